import { defineConfig, type GeminiLanesConfigInput } from '@gemini-lanes/core';
import { createTelemetry, type Telemetry } from '@gemini-lanes/otel';
import {
  type Attributes,
  type DiagLogger,
  DiagLogLevel,
  diag,
  type HrTime,
} from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** A reader the test collects from on demand (cumulative, as Prometheus reads). */
export class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface Point {
  attributes: Attributes;
  value: number | Histogram;
}

export function flatten(metrics: ResourceMetrics): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const list = out.get(metric.descriptor.name) ?? [];
      for (const point of metric.dataPoints as Array<DataPoint<number | Histogram>>) {
        list.push({ attributes: point.attributes, value: point.value });
      }
      out.set(metric.descriptor.name, list);
    }
  }
  return out;
}

/** In-memory providers and a telemetry built on them. */
export function harness(config: GeminiLanesConfigInput = {}) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry: Telemetry = createTelemetry(defineConfig(config), {
    meterProvider,
    tracerProvider,
  });
  return {
    telemetry,
    tracerProvider,
    meterProvider,
    reader,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** Every data point now, by instrument name. */
    async metrics(): Promise<Map<string, Point[]>> {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return flatten(resourceMetrics);
    },
    async shutdown(): Promise<void> {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}

export type Harness = ReturnType<typeof harness>;

/** The points of `name` whose attributes include all of `match`. */
export function pointsOf(
  metrics: Map<string, Point[]>,
  name: string,
  match: Attributes = {},
): Point[] {
  return (metrics.get(name) ?? []).filter((p) =>
    Object.entries(match).every(([k, v]) => p.attributes[k] === v),
  );
}

/** The one point of `name` with exactly `attributes`, or a failure naming what there was. */
export function pointWith(
  metrics: Map<string, Point[]>,
  name: string,
  attributes: Attributes,
): Point {
  const all = metrics.get(name) ?? [];
  const found = all.filter(
    (p) =>
      Object.keys(p.attributes).length === Object.keys(attributes).length &&
      Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one ${name} point with ${JSON.stringify(attributes)}, found ${found.length} among ${JSON.stringify(all.map((p) => p.attributes))}`,
    );
  }
  return found[0] as Point;
}

export function sumOf(point: Point): number {
  return typeof point.value === 'number' ? point.value : (point.value.sum ?? Number.NaN);
}

export function countOf(point: Point): number {
  return typeof point.value === 'number' ? Number.NaN : point.value.count;
}

/** Seconds from an HrTime. */
export function seconds(time: HrTime): number {
  return time[0] + time[1] / 1e9;
}

/** Captures `diag` warnings and errors until `restore()`. */
export function captureDiag() {
  const seen: Array<{ level: 'warn' | 'error'; message: string; args: unknown[] }> = [];
  const logger: DiagLogger = {
    error: (message, ...args) => seen.push({ level: 'error', message, args }),
    warn: (message, ...args) => seen.push({ level: 'warn', message, args }),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return { seen, restore: () => diag.disable() };
}
