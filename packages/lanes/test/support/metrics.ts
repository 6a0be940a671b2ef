import { defineConfig, type GeminiLanesConfigInput } from '@gemini-lanes/core';
import { createTelemetry } from '@gemini-lanes/otel';
import type { Attributes, TracerProvider } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A configuration, telemetry on an in-memory meter, and a way to read what it recorded. */
export function metricsHarness(
  input: GeminiLanesConfigInput = {},
  providers: { tracerProvider?: TracerProvider } = {},
) {
  const config = defineConfig(input);
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = createTelemetry(config, { meterProvider, ...providers });
  return {
    config,
    telemetry,
    /** The summed value (counters, gauges) or count (histograms) of `name` over points matching `match`. */
    async value(name: string, match: Attributes): Promise<number> {
      const { resourceMetrics } = await reader.collect();
      let total = 0;
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name !== name) continue;
          for (const point of metric.dataPoints as Array<DataPoint<number | Histogram>>) {
            if (!Object.entries(match).every(([k, v]) => point.attributes[k] === v)) continue;
            total += typeof point.value === 'number' ? point.value : point.value.count;
          }
        }
      }
      return total;
    },
    /** Everything recorded so far, as the reader collects it. */
    async collect() {
      return (await reader.collect()).resourceMetrics;
    },
    shutdown: () => meterProvider.shutdown(),
  };
}
