import type { GeminiLanesConfig } from '@gemini-lanes/core';
import {
  createTelemetry,
  GoogleGenAIInstrumentation,
  instrumentGenAI,
  type Telemetry,
} from '@gemini-lanes/otel';
import type { GoogleGenAI } from '@google/genai';
import { metrics, trace } from '@opentelemetry/api';

/** The two ways to instrument a `GoogleGenAI` client the service creates itself. */
export type InstrumentationStyle = 'instrumentGenAI' | 'GoogleGenAIInstrumentation';

/**
 * Way 2, part 1: the instrumentation object, created before the SDK so it can go into
 * `NodeSDK({ instrumentations: [...] })` like any other OpenTelemetry instrumentation. The SDK
 * hands it its providers when it starts.
 */
export function createGenAIInstrumentation(): GoogleGenAIInstrumentation {
  return new GoogleGenAIInstrumentation({ lane: 'latency' });
}

/**
 * gemini-lanes' instruments, created once for the process on the providers the service's SDK
 * registered globally (call after `sdk.start()`: the metrics API has no proxy provider, so a
 * meter taken before it would be a no-op one for good). Both ways, and every lane, share it, so
 * no instrument is created twice with different bucket boundaries.
 */
export function telemetryOnGlobalProviders(config: GeminiLanesConfig): Telemetry {
  return createTelemetry(config, {
    meterProvider: metrics.getMeterProvider(),
    tracerProvider: trace.getTracerProvider(),
  });
}

/**
 * Instruments the service's own client, one way or the other:
 *
 * - `instrumentGenAI`: wrap the instance. Nothing else to register.
 * - `GoogleGenAIInstrumentation`: the instrumentation `NodeSDK` registered gets the shared
 *   telemetry, then instruments this instance. (With the `import-in-the-middle` loader hook,
 *   `node --import ./register-hook.mjs`, it would instrument every client as it is created;
 *   without it, as here, an ES module import cannot be patched, so `instrument(client)` does
 *   it. Instrumenting a client twice is a no-op, so this line is right either way.)
 */
export function instrumentClient<T extends GoogleGenAI>(
  client: T,
  telemetry: Telemetry,
  style: InstrumentationStyle,
  instrumentation: GoogleGenAIInstrumentation | undefined,
): T {
  if (style === 'instrumentGenAI') return instrumentGenAI(client, { lane: 'latency', telemetry });
  if (instrumentation === undefined) {
    throw new TypeError('GoogleGenAIInstrumentation style needs the registered instrumentation');
  }
  instrumentation.setConfig({ ...instrumentation.getConfig(), telemetry });
  return instrumentation.instrument(client);
}
