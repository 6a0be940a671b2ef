import { ATTR, type Outcome, type PricingTier } from '@gemini-lanes/core';
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { ERROR_TYPE_VALUE_OTHER } from '@opentelemetry/semantic-conventions';
import { BATCH_STATES } from './batch-state.js';
import { automaticFunctionCalling, type ParamsLike, retriesAsked, tierOf } from './call-params.js';
import { CallScope, callScopes } from './call-scope.js';
import type { ClientContext, ResponseHookInfo } from './client-context.js';
import { inputMessages, outputMessages, systemInstructions } from './content-capture.js';
import { CANCELLED, errorTypeOf, TIMEOUT } from './error-type.js';
import { GENAI_SPAN_ATTR } from './genai-attributes.js';
import type { CandidateLike, GenerateResponseLike, UsageMetadata } from './genai-client.js';
import { guard } from './guard.js';
import type { MetricAttributesOf } from './instruments.js';
import { laneAttemptOf } from './lane-attempt.js';
import type { Operation } from './operation.js';
import { redact } from './redact.js';
import { addRequestAttributes } from './request-attributes.js';
import { routeDecisionFrom } from './route-decision.js';
import type { Telemetry } from './telemetry.js';
import { embeddingUsage, inputTokens, outputTokens, setUsageAttributes } from './usage.js';

type BaseAttributes = MetricAttributesOf<'timePerOutputChunk'>;

/** How a call ended, as the recorder needs it. */
export interface CallEnd {
  /** The result (unary) or the last chunk (stream). */
  response?: GenerateResponseLike | undefined;
  /** The error that ended it, or `CANCELLED_BY_CALLER` for an abandoned stream. */
  error?: unknown;
  /** Candidates to capture, when content capture is on and they are not the response's own. */
  candidates?: readonly CandidateLike[] | undefined;
  /** Stream chunks delivered. */
  chunks?: number;
  /** A stream's usage, as its chunks reported it; unary calls take their round trips'. */
  usage?: UsageMetadata | undefined;
}

/** The error value of a stream its caller stopped reading. */
export const CANCELLED_BY_CALLER: unique symbol = Symbol('cancelled by the caller');

/**
 * One instrumented call: its span (kind CLIENT, named `{operation} {model}`), its scope for
 * round trips, and at the end the GenAI metrics (duration, token usage), the project's own
 * (tokens and cost by kind, requests by outcome) and the span's response attributes.
 */
export class CallRecorder {
  readonly ctx: ClientContext;
  readonly telemetry: Telemetry;
  readonly operation: Operation;
  readonly params: unknown;
  readonly stream: boolean;
  /** `performance.now()` when the call was issued. */
  readonly start: number;
  readonly span: Span;
  /** The scope its round trips report to, when they are observed. */
  readonly scope: CallScope | undefined;
  /** The attributes every GenAI metric of the call shares. */
  readonly base: BaseAttributes;
  readonly requestModel: string | undefined;
  #ended = false;

  constructor(
    ctx: ClientContext,
    operation: Operation,
    params: unknown,
    stream: boolean,
    spanName?: string,
  ) {
    // A lane's hedge is timed from the request it hedges: what the caller waited.
    const attempt = ctx.lane === undefined ? undefined : laneAttemptOf(params);
    const laneAttempt = attempt?.lane === ctx.lane ? attempt : undefined;
    this.start =
      laneAttempt?.kind === 'hedge' ? (laneAttempt.since ?? performance.now()) : performance.now();
    this.ctx = ctx;
    this.telemetry = ctx.telemetry();
    this.operation = operation;
    this.params = params;
    this.stream = stream;
    const p = (typeof params === 'object' && params !== null ? params : {}) as ParamsLike;
    const model = typeof p.model === 'string' && p.model !== '' ? p.model : undefined;
    this.requestModel = model;
    const afc = operation === 'generate_content' && !stream && automaticFunctionCalling(p.config);
    const { endpoint, lane } = ctx;

    // Only attributes with a value: the SDK would export an undefined one as a label.
    const base: BaseAttributes = {
      [ATTR.operationName]: operation,
      [ATTR.providerName]: endpoint.provider,
      [ATTR.serverAddress]: endpoint.address,
      [ATTR.serverPort]: endpoint.port,
    };
    if (model !== undefined) base[ATTR.requestModel] = this.telemetry.modelLabel(model);
    if (lane !== undefined) base[ATTR.lane] = lane;
    this.base = base;

    // The attributes a sampler may look at are given at the start (semconv: operation,
    // provider, model, server); the rest only when the span records.
    const name = spanName ?? (model === undefined ? operation : `${operation} ${model}`);
    const tracer = this.telemetry.tracer;
    this.span = tracer.startSpan(name, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR.operationName]: operation,
        [ATTR.providerName]: endpoint.provider,
        [ATTR.requestModel]: model,
        [ATTR.serverAddress]: endpoint.address,
        [ATTR.serverPort]: endpoint.port,
      },
    });
    const recording = this.span.isRecording();
    // The call's HTTP round trips are observed: always for a unary call with automatic
    // function calling (the SDK returns only the last round's usage, so each round's is read
    // on the way); when its span records, for the child spans of a call that may take several
    // round trips (retries configured, function calling), or of every call with
    // `roundTripSpans: 'always'`. Other calls get no scope at all, which is cheaper: their
    // usage is the response's (the SDK itself adds up the hops of automatic continuation).
    const observe =
      afc ||
      (recording &&
        (ctx.roundTripSpans === 'always' ||
          ctx.retries ||
          retriesAsked(p.config) ||
          (stream && automaticFunctionCalling(p.config))));
    if (recording) {
      const attributes: Attributes = {};
      if (lane !== undefined) {
        attributes[ATTR.lane] = lane;
        // A router's decision for this lane, when the call runs inside it (`withRouteDecision`).
        const route = routeDecisionFrom(context.active());
        if (route?.lane === lane) attributes[ATTR.routeReason] = route.reason;
        if (laneAttempt !== undefined) {
          attributes[ATTR.attemptKind] = laneAttempt.kind;
          if (laneAttempt.fallbackReason !== undefined) {
            attributes[ATTR.fallbackReason] = laneAttempt.fallbackReason;
          }
        }
      }
      if (operation === 'generate_content') attributes[ATTR.requestStream] = String(stream);
      addRequestAttributes(attributes, operation, p.config);
      this.span.setAttributes(attributes);
    }
    this.scope = observe
      ? new CallScope({
          owner: ctx.owner,
          tracer,
          parent: recording ? this.span : undefined,
          address: endpoint.address,
          port: endpoint.port,
          secrets: ctx.secrets,
          roundTripSpans: ctx.roundTripSpans,
        })
      : undefined;
    if (recording && ctx.captureContent) this.#captureInput(p);
  }

  /**
   * Runs the SDK call inside the call's scope (for its round trips) and, when the span
   * records, with the span active, so instrumentations below (HTTP, fetch) nest under it.
   */
  run<T>(fn: () => T): T {
    const scope = this.scope;
    if (!this.span.isRecording()) return scope === undefined ? fn() : callScopes.run(scope, fn);
    const active = trace.setSpan(context.active(), this.span);
    if (scope === undefined) return context.with(active, fn);
    return callScopes.run(scope, () => context.with(active, fn));
  }

  /** The pricing tier: the response's, else the request's, else the client's default. */
  tier(response: GenerateResponseLike | undefined): PricingTier {
    const config = (this.params as ParamsLike | undefined)?.config;
    return (
      tierOf(response?.usageMetadata?.serviceTier) ?? tierOf(config?.serviceTier) ?? this.ctx.tier
    );
  }

  /**
   * Ends the call once: closes its round trips, sets the span's response attributes, records
   * the metrics and ends the span, which ends even when a step before it throws (a broken
   * meter); the failure is then reported through `diag`.
   */
  end(outcome: CallEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    guard('call end', () => this.#finish(outcome));
  }

  #finish(outcome: CallEnd): void {
    const span = this.span;
    try {
      this.scope?.close();
      const response = outcome.response;
      const errorType = 'error' in outcome ? this.errorType(outcome.error) : undefined;
      const responseModel =
        typeof response?.modelVersion === 'string' && response.modelVersion !== ''
          ? response.modelVersion
          : undefined;
      const usage =
        'usage' in outcome
          ? outcome.usage
          : (this.scope?.usage ?? response?.usageMetadata ?? embeddingUsage(response));
      try {
        if (span.isRecording()) this.#finishSpan(span, outcome, errorType, responseModel, usage);
      } finally {
        this.#recordMetrics(errorType, responseModel, usage, response);
      }
    } finally {
      span.end();
    }
  }

  /**
   * `error.type` of the error that ended the call. The SDK aborts with the same `AbortError`
   * for the caller's `abortSignal` and for its own `httpOptions.timeout`: when the caller's
   * signal did not fire, it was the deadline. When it did, its reason says why: a
   * gemini-lanes request error (a lane's deadline) gives its `errorType`, an
   * `AbortSignal.timeout()` gives `timeout`, anything else is `cancelled`.
   */
  errorType(error: unknown): string {
    if (error === CANCELLED_BY_CALLER) return CANCELLED;
    const type = errorTypeOf(error);
    if (type !== CANCELLED) return type;
    const signal = (this.params as ParamsLike | undefined)?.config?.abortSignal;
    if (typeof signal !== 'object' || signal === null) return TIMEOUT;
    const { aborted, reason } = signal as AbortSignal;
    if (aborted !== true) return TIMEOUT;
    const fromReason = errorTypeOf(reason);
    return fromReason === ERROR_TYPE_VALUE_OTHER ? CANCELLED : fromReason;
  }

  #recordMetrics(
    errorType: string | undefined,
    responseModel: string | undefined,
    usage: UsageMetadata | undefined,
    response: GenerateResponseLike | undefined,
  ): void {
    const { telemetry, base } = this;
    const seconds = (performance.now() - this.start) / 1000;
    const responseLabel =
      responseModel === undefined ? undefined : telemetry.modelLabel(responseModel);
    const duration: MetricAttributesOf<'operationDuration'> = { ...base };
    if (responseLabel !== undefined) duration[ATTR.responseModel] = responseLabel;
    if (this.operation === 'generate_content') {
      duration[ATTR.requestStream] = this.stream ? 'true' : 'false';
    }
    if (errorType !== undefined) duration[ATTR.errorType] = errorType;
    telemetry.instruments.operationDuration.record(seconds, duration);

    if (usage !== undefined) this.#recordUsage(usage, responseLabel, response);

    const outcome: Outcome =
      errorType === undefined ? 'success' : errorType === CANCELLED ? 'cancelled' : 'error';
    const requests: MetricAttributesOf<'requests'> = {
      [ATTR.operationName]: this.operation,
      [ATTR.outcome]: outcome,
    };
    const model = base[ATTR.requestModel];
    if (model !== undefined) requests[ATTR.requestModel] = model;
    const lane = base[ATTR.lane];
    if (lane !== undefined) requests[ATTR.lane] = lane;
    telemetry.instruments.requests.add(1, requests);
  }

  #recordUsage(
    usage: UsageMetadata,
    responseLabel: string | undefined,
    response: GenerateResponseLike | undefined,
  ): void {
    if (this.operation !== 'generate_content' && this.operation !== 'embeddings') return;
    const { telemetry, base } = this;
    const input: MetricAttributesOf<'tokenUsage'> = { ...base };
    if (responseLabel !== undefined) input[ATTR.responseModel] = responseLabel;
    const output: MetricAttributesOf<'tokenUsage'> = { ...input };
    input[ATTR.tokenType] = 'input';
    telemetry.instruments.tokenUsage.record(inputTokens(usage), input);
    if (this.operation === 'generate_content') {
      output[ATTR.tokenType] = 'output';
      telemetry.instruments.tokenUsage.record(outputTokens(usage), output);
    }
    if (this.requestModel !== undefined) {
      telemetry.recordUsage(usage, {
        model: this.requestModel,
        lane: this.ctx.lane,
        tier: this.tier(response),
      });
    }
  }

  #finishSpan(
    span: Span,
    outcome: CallEnd,
    errorType: string | undefined,
    responseModel: string | undefined,
    usage: UsageMetadata | undefined,
  ): void {
    const response = outcome.response;
    if (typeof response?.responseId === 'string') {
      span.setAttribute(GENAI_SPAN_ATTR.responseId, response.responseId);
    }
    if (responseModel !== undefined) span.setAttribute(ATTR.responseModel, responseModel);
    const candidates = outcome.candidates ?? response?.candidates;
    if (Array.isArray(candidates) && candidates.length > 0) {
      const reasons = candidates
        .map((c) => c.finishReason)
        .filter((r): r is string => typeof r === 'string')
        .map((r) => r.toLowerCase());
      if (reasons.length > 0) span.setAttribute(GENAI_SPAN_ATTR.responseFinishReasons, reasons);
      if (this.ctx.captureContent) {
        span.setAttribute(
          GENAI_SPAN_ATTR.outputMessages,
          JSON.stringify(outputMessages(candidates)),
        );
      }
    }
    if (usage !== undefined && this.operation === 'generate_content') {
      setUsageAttributes(span, usage);
    } else if (usage !== undefined && this.operation === 'embeddings') {
      span.setAttribute(GENAI_SPAN_ATTR.usageInputTokens, inputTokens(usage));
    }
    const state = (response as { state?: unknown } | undefined)?.state;
    if (this.operation === 'batch' && typeof state === 'string') {
      const mapped = BATCH_STATES[state];
      if (mapped !== undefined) span.setAttribute(ATTR.batchState, mapped);
    }
    if (errorType !== undefined) {
      span.setAttribute(ATTR.errorType, errorType);
      const error = outcome.error;
      const message =
        error === CANCELLED_BY_CALLER
          ? 'the caller stopped reading the stream'
          : redact(error instanceof Error ? error.message : String(error), this.ctx.secrets);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      if (error instanceof Error) {
        const exception: { name: string; message: string; stack?: string } = {
          name: error.name,
          message,
        };
        if (error.stack !== undefined) exception.stack = redact(error.stack, this.ctx.secrets);
        span.recordException(exception);
      }
    } else if (this.ctx.responseHook !== undefined) {
      const hook = this.ctx.responseHook;
      const info: ResponseHookInfo = {
        operation: this.operation,
        params: this.params,
        response: outcome.response,
      };
      if (outcome.chunks !== undefined) info.chunks = outcome.chunks;
      guard('responseHook', () => hook(span, info));
    }
  }

  #captureInput(p: ParamsLike): void {
    if (this.operation !== 'generate_content') return;
    const messages = inputMessages(p.contents);
    this.span.setAttribute(GENAI_SPAN_ATTR.inputMessages, JSON.stringify(messages));
    const system = systemInstructions(p.config?.systemInstruction);
    if (system.length > 0) {
      this.span.setAttribute(GENAI_SPAN_ATTR.systemInstructions, JSON.stringify(system));
    }
  }
}
