import {
  AggregationTemporality,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/**
 * A metric reader the demo collects from itself once a second, beside the Prometheus exporter
 * (`register({ metricReaders: [reader] })`): cumulative, as Prometheus reads them, so a window's
 * rates and quantiles are differences between two collections.
 */
export class InMemoryMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }

  /** Every instrument's cumulative points now (observable gauges read at this moment). */
  async read(): Promise<ResourceMetrics> {
    const { resourceMetrics } = await this.collect();
    return resourceMetrics;
  }

  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
