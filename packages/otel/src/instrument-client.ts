import type { Lane, PricingTier } from '@gemini-lanes/core';
import { CallRecorder } from './call-recorder.js';
import type { ClientContext, RequestHook, ResponseHook, RoundTripSpans } from './client-context.js';
import { captureContentEnabled } from './content-capture.js';
import { endpointOf } from './endpoint.js';
import { type AsyncMethod, type GenAIClientLike, isGenAIClient } from './genai-client.js';
import { guard } from './guard.js';
import type { Operation } from './operation.js';
import { observeRoundTrips } from './round-trips.js';
import { ObservedStream, recordNoFirstChunk } from './stream-observer.js';
import type { Telemetry } from './telemetry.js';

/** Marks a client as instrumented; a registered symbol, so two copies of this package agree. */
const INSTRUMENTED = Symbol.for('@gemini-lanes/otel.instrumented');

/** How one client is instrumented. */
export interface ClientSettings {
  telemetry: () => Telemetry;
  lane: Lane | undefined;
  captureContent: boolean | undefined;
  roundTripSpans: RoundTripSpans | undefined;
  requestHook: RequestHook | undefined;
  responseHook: ResponseHook | undefined;
  tier: PricingTier | undefined;
  enabled: () => boolean;
}

/** Whether the client was created with `httpOptions.retryOptions` (the SDK then retries). */
function clientRetries(client: GenAIClientLike): boolean {
  const options = (client as { httpOptions?: { retryOptions?: unknown } }).httpOptions;
  return options?.retryOptions !== undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object without models.generateContent';
  return `a ${typeof value}`;
}

function startCall(
  ctx: ClientContext,
  operation: Operation,
  params: unknown,
  stream: boolean,
  spanName: string | undefined,
): CallRecorder {
  const recorder = new CallRecorder(ctx, operation, params, stream, spanName);
  const hook = ctx.requestHook;
  if (hook !== undefined && recorder.span.isRecording()) {
    guard('requestHook', () => hook(recorder.span, { operation, params }));
  }
  return recorder;
}

function replace(target: Record<string, unknown>, name: string, wrapper: AsyncMethod): void {
  const enumerable = Object.getOwnPropertyDescriptor(target, name)?.enumerable ?? false;
  Object.defineProperty(target, name, {
    configurable: true,
    writable: true,
    enumerable,
    value: wrapper,
  });
}

function wrapUnary(
  target: Record<string, unknown> | undefined,
  name: string,
  ctx: ClientContext,
  operation: Operation,
  spanName?: string,
): void {
  const original = target?.[name];
  if (target === undefined || typeof original !== 'function') return;
  const call = original as AsyncMethod;
  replace(target, name, function instrumented(this: unknown, ...args: never[]) {
    if (!ctx.enabled()) return call.apply(this, args);
    const recorder = guard('call start', () => startCall(ctx, operation, args[0], false, spanName));
    if (recorder === undefined) return call.apply(this, args);
    let pending: Promise<unknown>;
    try {
      pending = recorder.run(() => call.apply(this, args));
    } catch (error) {
      guard('call end', () => recorder.end({ error }));
      throw error;
    }
    return pending.then(
      (response) => {
        guard('call end', () => recorder.end({ response: response as never }));
        return response;
      },
      (error: unknown) => {
        guard('call end', () => recorder.end({ error }));
        throw error;
      },
    );
  });
}

function wrapStream(target: Record<string, unknown>, name: string, ctx: ClientContext): void {
  const original = target[name];
  if (typeof original !== 'function') return;
  const call = original as AsyncMethod;
  replace(target, name, function instrumented(this: unknown, ...args: never[]) {
    if (!ctx.enabled()) return call.apply(this, args);
    const recorder = guard('call start', () =>
      startCall(ctx, 'generate_content', args[0], true, undefined),
    );
    if (recorder === undefined) return call.apply(this, args);
    const failed = (error: unknown) => {
      guard('time to first chunk', () => recordNoFirstChunk(recorder, recorder.errorType(error)));
      guard('call end', () => recorder.end({ error }));
    };
    let pending: Promise<unknown>;
    try {
      pending = recorder.run(() => call.apply(this, args));
    } catch (error) {
      failed(error);
      throw error;
    }
    return pending.then(
      (stream) => {
        const observed = guard(
          'stream start',
          () => new ObservedStream(recorder, stream as AsyncGenerator<unknown, unknown, unknown>),
        );
        if (observed === undefined) guard('call end', () => recorder.end({}));
        return observed ?? stream;
      },
      (error: unknown) => {
        failed(error);
        throw error;
      },
    );
  });
}

/**
 * Instruments one client in place: its `models` and `batches` methods (instance properties
 * in the SDK, so wrapped on this instance) and its HTTP round trips. A client already
 * instrumented is left as it is.
 */
export function instrumentClient(client: unknown, settings: ClientSettings, caller: string): void {
  if (!isGenAIClient(client)) {
    throw new TypeError(
      `${caller}: expected a GoogleGenAI client from @google/genai (an object whose models has generateContent and generateContentStream), got ${describe(client)}`,
    );
  }
  if (INSTRUMENTED in client) return;
  Object.defineProperty(client, INSTRUMENTED, { value: true });
  const genai: GenAIClientLike = client;
  let telemetry: Telemetry | undefined;
  const ctx: ClientContext = {
    telemetry: () => {
      telemetry ??= settings.telemetry();
      return telemetry;
    },
    lane: settings.lane,
    endpoint: endpointOf(genai),
    captureContent: captureContentEnabled(settings.captureContent),
    roundTripSpans: settings.roundTripSpans ?? 'multiple',
    retries: clientRetries(genai),
    requestHook: settings.requestHook,
    responseHook: settings.responseHook,
    tier: settings.tier ?? 'standard',
    secrets: typeof genai.apiKey === 'string' && genai.apiKey !== '' ? [genai.apiKey] : [],
    owner: genai.apiClient,
    enabled: settings.enabled,
  };
  const { models, batches } = genai;
  wrapUnary(models, 'generateContent', ctx, 'generate_content');
  wrapStream(models, 'generateContentStream', ctx);
  wrapUnary(models, 'embedContent', ctx, 'embeddings');
  wrapUnary(models, 'countTokens', ctx, 'count_tokens');
  wrapUnary(models, 'computeTokens', ctx, 'compute_tokens');
  wrapUnary(batches, 'create', ctx, 'batch');
  wrapUnary(batches, 'get', ctx, 'batch', 'batch get');
  wrapUnary(batches, 'list', ctx, 'batch', 'batch list');
  wrapUnary(batches, 'cancel', ctx, 'batch', 'batch cancel');
  if (genai.apiClient !== undefined) observeRoundTrips(genai.apiClient);
}
