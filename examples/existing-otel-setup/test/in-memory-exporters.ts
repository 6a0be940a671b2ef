/**
 * In-memory stand-ins for the service's exporters, written against the interfaces `NodeSDK`
 * takes (the SDK's `IMetricReader` and `SpanProcessor`), so the test sees exactly what the
 * service's own exporters would receive.
 */
import type { MetricReader, SpanProcessor } from '../src/index.js';

export type ReadableSpan = Parameters<SpanProcessor['onEnd']>[0];
type MetricProducer = Parameters<MetricReader['setMetricProducer']>[0];
export type CollectionResult = Awaited<ReturnType<MetricReader['collect']>>;

/** Keeps every span that ends. */
export class MemorySpanProcessor implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** A pull reader (like the Prometheus exporter): cumulative, default aggregations, read on `collect()`. */
export class MemoryMetricReader implements MetricReader {
  #producer: MetricProducer | undefined;
  setMetricProducer(producer: MetricProducer): void {
    if (this.#producer !== undefined) throw new Error('MemoryMetricReader is already registered');
    this.#producer = producer;
  }
  selectAggregation() {
    return { type: 0 as const }; // AggregationType.DEFAULT
  }
  selectAggregationTemporality() {
    return 1 as const; // AggregationTemporality.CUMULATIVE
  }
  selectCardinalityLimit(): number {
    return 2000;
  }
  async collect(): Promise<CollectionResult> {
    if (this.#producer === undefined) throw new Error('MemoryMetricReader is not registered');
    return this.#producer.collect();
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
