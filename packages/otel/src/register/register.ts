import {
  type Attributes,
  context,
  diag,
  type MeterProvider as MeterProviderApi,
  metrics,
  propagation,
  type TracerProvider as TracerProviderApi,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import {
  defaultResource,
  detectResources,
  envDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { registeredGlobals } from './global-state.js';
import { endpointOptions, type OtlpOptions, otlpSignals } from './otlp-settings.js';
import {
  type PrometheusEndpoint,
  type PrometheusOptions,
  startPrometheusEndpoint,
} from './prometheus-endpoint.js';

/** Options of `register()`; every field is optional. */
export interface RegisterOptions {
  /** `service.name`. Default `OTEL_SERVICE_NAME`, else the SDK's `unknown_service:node`. */
  serviceName?: string;
  /** More resource attributes; they win over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Attributes;
  /** The Prometheus scrape endpoint (default `127.0.0.1:9464/metrics`); `false` serves none. */
  prometheus?: false | PrometheusOptions;
  /** OTLP/HTTP export of spans and metrics; default from the `OTEL_EXPORTER_OTLP_*` variables. */
  otlp?: OtlpOptions;
  /** More span processors (for example an in-memory exporter in tests). */
  spanProcessors?: SpanProcessor[];
  /** More metric readers. */
  metricReaders?: IMetricReader[];
  /** Instrumentations to register with these providers, e.g. `new GoogleGenAIInstrumentation()`. */
  instrumentations?: Instrumentation[];
}

/** What `register()` started. */
export interface RegisteredTelemetry {
  /** The meter provider with the Prometheus (and OTLP) readers: give it to `createTelemetry`. */
  readonly meterProvider: MeterProviderApi;
  /** The tracer provider with the OTLP (and given) span processors. */
  readonly tracerProvider: TracerProviderApi;
  /** The Prometheus scrape URL, with the port actually bound; undefined when not served. */
  readonly prometheusUrl: string | undefined;
  /**
   * Whether these providers became the global ones. False for a provider some SDK had
   * registered already: that one is left in place, and this one is used only where passed.
   */
  readonly registeredGlobally: { tracerProvider: boolean; meterProvider: boolean };
  /** Exports what is buffered now (spans waiting in the batch processor, OTLP metrics). */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporters, closes the endpoint, and unregisters what it registered. */
  shutdown(): Promise<void>;
}

function resourceOf(options: RegisterOptions): Resource {
  const explicit: Attributes = { ...options.resourceAttributes };
  if (options.serviceName !== undefined) explicit[ATTR_SERVICE_NAME] = options.serviceName;
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes(explicit));
}

function sdkDisabled(): boolean {
  return process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

/**
 * Starts the OpenTelemetry SDK for a service: a meter provider read by a Prometheus exporter
 * on `host:port` (default `127.0.0.1:9464`) and, when the standard `OTEL_EXPORTER_OTLP_*`
 * variables or the options ask, OTLP/HTTP export of spans (and metrics); a tracer provider;
 * the resource from the options, `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`. It
 * registers globally only what no SDK has registered before (providers, context manager,
 * propagator), so it coexists with one the user already started. With `OTEL_SDK_DISABLED=true`
 * it starts nothing.
 */
export async function register(options: RegisterOptions = {}): Promise<RegisteredTelemetry> {
  if (sdkDisabled()) {
    return {
      meterProvider: metrics.getMeterProvider(),
      tracerProvider: trace.getTracerProvider(),
      prometheusUrl: undefined,
      registeredGlobally: { tracerProvider: false, meterProvider: false },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
  }
  const resource = resourceOf(options);
  const signals = otlpSignals(options.otlp);

  let prometheus: PrometheusEndpoint | undefined;
  if (options.prometheus !== false) {
    prometheus = await startPrometheusEndpoint(options.prometheus ?? {});
  }
  const readers: IMetricReader[] = [];
  if (prometheus !== undefined) readers.push(prometheus.exporter);
  if (signals.metrics) {
    const metricsOption = options.otlp?.metrics;
    const intervalMs = typeof metricsOption === 'object' ? metricsOption.intervalMs : undefined;
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(endpointOptions(metricsOption)),
        ...(intervalMs === undefined ? {} : { exportIntervalMillis: intervalMs }),
      }),
    );
  }
  readers.push(...(options.metricReaders ?? []));
  const meterProvider = new MeterProvider({ resource, readers });

  const spanProcessors: SpanProcessor[] = [];
  if (signals.traces) {
    spanProcessors.push(
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter(endpointOptions(options.otlp?.traces)),
      }),
    );
  }
  spanProcessors.push(...(options.spanProcessors ?? []));
  const tracerProvider = new TracerProvider({ resource, spanProcessors });

  const before = registeredGlobals();
  const registered = {
    tracerProvider: !before.tracerProvider && trace.setGlobalTracerProvider(tracerProvider),
    meterProvider: !before.meterProvider && metrics.setGlobalMeterProvider(meterProvider),
    contextManager:
      !before.contextManager &&
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()),
    propagator:
      !before.propagator &&
      propagation.setGlobalPropagator(
        new CompositePropagator({
          propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
        }),
      ),
  };
  if (before.tracerProvider || before.meterProvider) {
    diag.info(
      '@gemini-lanes/otel register(): an OpenTelemetry SDK is already registered; its global providers stay, and the ones register() returns are used only where they are passed (createTelemetry(config, sdk))',
    );
  }
  const unregisterInstrumentations =
    options.instrumentations === undefined
      ? undefined
      : registerInstrumentations({
          instrumentations: options.instrumentations,
          meterProvider,
          tracerProvider,
        });

  let shutdown: Promise<void> | undefined;
  return {
    meterProvider,
    tracerProvider,
    prometheusUrl: prometheus?.url,
    registeredGlobally: {
      tracerProvider: registered.tracerProvider,
      meterProvider: registered.meterProvider,
    },
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown: () => {
      shutdown ??= (async () => {
        unregisterInstrumentations?.();
        const results = await Promise.allSettled([
          tracerProvider.shutdown(),
          meterProvider.shutdown(),
        ]);
        await prometheus?.close();
        if (registered.tracerProvider) trace.disable();
        if (registered.meterProvider) metrics.disable();
        if (registered.contextManager) context.disable();
        if (registered.propagator) propagation.disable();
        for (const result of results) {
          if (result.status === 'rejected') {
            diag.error('@gemini-lanes/otel register(): shutdown failed', result.reason);
          }
        }
      })();
      return shutdown;
    },
  };
}
