import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/** What `NodeSDK` takes, named without importing the SDK's sub-packages. */
export type SpanProcessor = NonNullable<NodeSDKConfiguration['spanProcessors']>[number];
export type MetricReader = NonNullable<NodeSDKConfiguration['metricReaders']>[number];
export type Instrumentation = NodeSDKConfiguration['instrumentations'][number];

export interface OpenTelemetryOptions {
  /** `service.name` of the service's resource (more attributes: `OTEL_RESOURCE_ATTRIBUTES`). */
  serviceName: string;
  /** The service's metric readers; without them `NodeSDK` builds them from `OTEL_METRICS_EXPORTER`. */
  metricReaders?: MetricReader[];
  /** The service's span processors; without them `NodeSDK` builds them from `OTEL_TRACES_EXPORTER`. */
  spanProcessors?: SpanProcessor[];
  /** Instrumentations `NodeSDK` registers with its providers. */
  instrumentations?: Instrumentation[];
}

/**
 * The service's own OpenTelemetry set-up, as it was before gemini-lanes arrived: one `NodeSDK`
 * with the service's resource and exporters. `start()` registers the global tracer and meter
 * providers, the AsyncLocalStorage context manager (so spans started in a request nest under
 * it) and the W3C propagators. gemini-lanes adds nothing here but, optionally, one entry in
 * `instrumentations`: no second SDK, no second exporter.
 */
export function startOpenTelemetry(options: OpenTelemetryOptions): NodeSDK {
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    ...(options.metricReaders ? { metricReaders: options.metricReaders } : {}),
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: options.instrumentations ?? [],
    // This service writes no OpenTelemetry logs (NodeSDK would otherwise set up OTLP for them).
    logRecordProcessors: [],
  });
  sdk.start();
  return sdk;
}
