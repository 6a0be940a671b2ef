import { defineConfig } from '@gemini-lanes/core';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { createTelemetry, type Telemetry, type TelemetryProviders } from './telemetry.js';

const GLOBAL = {};
const cache = new WeakMap<object, WeakMap<object, Telemetry>>();

/**
 * The telemetry used when a caller gives none: built once per pair of providers (the global
 * ones by default) from the default configuration, so instrumenting many clients without a
 * `telemetry` still creates each instrument once.
 */
export function defaultTelemetry(providers: TelemetryProviders = {}): Telemetry {
  const meterKey: MeterProvider | object = providers.meterProvider ?? GLOBAL;
  const tracerKey: TracerProvider | object = providers.tracerProvider ?? GLOBAL;
  let byTracer = cache.get(meterKey);
  if (byTracer === undefined) {
    byTracer = new WeakMap();
    cache.set(meterKey, byTracer);
  }
  let telemetry = byTracer.get(tracerKey);
  if (telemetry === undefined) {
    telemetry = createTelemetry(defineConfig({}), providers);
    byTracer.set(tracerKey, telemetry);
  }
  return telemetry;
}
