import type { Lane, PricingTier } from '@gemini-lanes/core';
import type { Span } from '@opentelemetry/api';
import type { Endpoint } from './endpoint.js';
import type { Operation } from './operation.js';
import type { Telemetry } from './telemetry.js';

/** What a request hook is told about the call it may annotate. */
export interface RequestHookInfo {
  operation: Operation;
  /** The method's first argument, as the caller passed it. */
  params: unknown;
}

/** What a response hook is told once the call succeeded. */
export interface ResponseHookInfo extends RequestHookInfo {
  /** The method's result; for a stream, its last chunk. */
  response: unknown;
  /** For a stream, how many chunks it delivered. */
  chunks?: number;
}

/** Runs when the call's span has started, before the request is sent. Errors are caught. */
export type RequestHook = (span: Span, info: RequestHookInfo) => void;
/** Runs when the call succeeded, before its span ends. Errors are caught. */
export type ResponseHook = (span: Span, info: ResponseHookInfo) => void;

/**
 * Which HTTP round trips of a call get a child span: `multiple` (default) those of a call made
 * of several (automatic function calling, continuation, SDK retries), where each one's own
 * status and usage matter; `always` every one, even the single round trip of a plain call.
 */
export type RoundTripSpans = 'multiple' | 'always';

/** Everything the wrappers of one instrumented client share. */
export interface ClientContext {
  /** The telemetry to record through, resolved on first use. */
  telemetry(): Telemetry;
  readonly lane: Lane | undefined;
  readonly endpoint: Endpoint;
  readonly captureContent: boolean;
  readonly roundTripSpans: RoundTripSpans;
  /** The client retries failed requests (`httpOptions.retryOptions`): a call may take several round trips. */
  readonly retries: boolean;
  readonly requestHook: RequestHook | undefined;
  readonly responseHook: ResponseHook | undefined;
  /** The pricing tier when neither the request nor the response names one. */
  readonly tier: PricingTier;
  /** Strings never to record (the client's API key). */
  readonly secrets: readonly string[];
  /** The SDK's API client, whose round trips belong to this client's calls. */
  readonly owner: object | undefined;
  /** False while the instrumentation that wrapped the client is disabled. */
  enabled(): boolean;
}
