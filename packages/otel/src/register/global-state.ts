import {
  context,
  createContextKey,
  createNoopMeter,
  metrics,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';

const PROBE = createContextKey('@gemini-lanes/otel register probe');

/** Which global OpenTelemetry components someone (an SDK the user started) already registered. */
export interface GlobalState {
  tracerProvider: boolean;
  meterProvider: boolean;
  contextManager: boolean;
  propagator: boolean;
}

/** Looks, through the public API only, for global providers already registered. */
export function registeredGlobals(): GlobalState {
  const tracerProvider = trace.getTracerProvider();
  const hasTracer =
    !(tracerProvider instanceof ProxyTracerProvider) ||
    tracerProvider.getDelegateTracer('@gemini-lanes/otel/register') !== undefined;
  const noopMeter = Object.getPrototypeOf(createNoopMeter());
  const hasMeter =
    Object.getPrototypeOf(metrics.getMeterProvider().getMeter('@gemini-lanes/otel/register')) !==
    noopMeter;
  const hasContext =
    context.with(ROOT_CONTEXT.setValue(PROBE, true), () => context.active().getValue(PROBE)) ===
    true;
  const hasPropagator = propagation.fields().length > 0;
  return {
    tracerProvider: hasTracer,
    meterProvider: hasMeter,
    contextManager: hasContext,
    propagator: hasPropagator,
  };
}
