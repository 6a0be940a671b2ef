import type { Lane, PricingTier } from '@gemini-lanes/core';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { RequestHook, ResponseHook, RoundTripSpans } from './client-context.js';
import { defaultTelemetry } from './default-telemetry.js';
import { instrumentClient } from './instrument-client.js';
import type { Telemetry } from './telemetry.js';

/** Options of `instrumentGenAI`. */
export interface InstrumentGenAIOptions {
  /** The lane the client serves, recorded as `gemini_lanes.lane` on spans and metrics. */
  lane: Lane;
  /**
   * The process's telemetry (`createTelemetry(config)`). Without it, one built from the default
   * configuration on `meterProvider`/`tracerProvider` (default: the global ones) is shared.
   */
  telemetry?: Telemetry | undefined;
  meterProvider?: MeterProvider | undefined;
  tracerProvider?: TracerProvider | undefined;
  /**
   * Record prompts and answers as `gen_ai.input.messages`, `gen_ai.output.messages` and
   * `gen_ai.system_instructions`. Default: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`
   * is `true`; otherwise off.
   */
  captureContent?: boolean | undefined;
  /**
   * Which HTTP round trips get a child span: `multiple` (default) only those of a call made
   * of several (automatic function calling, continuation hops, retries); `always` every one.
   */
  roundTripSpans?: RoundTripSpans | undefined;
  /** Runs after the call's span started, before the request is sent; errors are caught. */
  requestHook?: RequestHook | undefined;
  /** Runs when the call succeeded, before its span ends; errors are caught. */
  responseHook?: ResponseHook | undefined;
  /** Pricing tier when neither request nor response names one. Default `standard`. */
  tier?: PricingTier | undefined;
}

/**
 * Instruments one `GoogleGenAI` client in place and returns it: `models.generateContent`,
 * `generateContentStream`, `embedContent`, `countTokens`, `computeTokens` (chats go through
 * them), `batches.create/get/list/cancel`, and every HTTP round trip they make. Instrumenting
 * the same client again changes nothing; anything that is not a client is refused with a
 * `TypeError`. Telemetry never changes a call's result, the order of its chunks or the error
 * it throws.
 */
export function instrumentGenAI<T extends object>(client: T, options: InstrumentGenAIOptions): T {
  const { telemetry, meterProvider, tracerProvider } = options;
  instrumentClient(
    client,
    {
      telemetry: () => telemetry ?? defaultTelemetry({ meterProvider, tracerProvider }),
      lane: options.lane,
      captureContent: options.captureContent,
      roundTripSpans: options.roundTripSpans,
      requestHook: options.requestHook,
      responseHook: options.responseHook,
      tier: options.tier,
      enabled: () => true,
    },
    'instrumentGenAI(client)',
  );
  return client;
}
