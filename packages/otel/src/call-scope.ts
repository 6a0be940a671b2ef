import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { RoundTripSpans } from './client-context.js';
import { errorTypeOf } from './error-type.js';
import { GENAI_SPAN_ATTR } from './genai-attributes.js';
import type { GenerateResponseLike, UsageMetadata } from './genai-client.js';
import { redact } from './redact.js';
import { inputTokens, outputTokens, sumUsage } from './usage.js';

/** What a call's HTTP round trips report back to it. */
export interface CallScopeOptions {
  /** The client's API client: round trips of other clients inside this call are not ours. */
  owner: object | undefined;
  tracer: Tracer;
  /** The call span, when it records: round trips become its children. */
  parent: Span | undefined;
  address: string;
  port: number;
  secrets: readonly string[];
  /** `always`: a child span for every round trip; `multiple`: only when there are several. */
  roundTripSpans: RoundTripSpans;
}

/** Wall-clock milliseconds with sub-millisecond precision, as span times take them. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * One HTTP round trip of a call. What it observed is kept here, so its span can be created
 * after the fact (with its own start and end times) once a second round trip shows the call
 * is made of several.
 */
export class RoundTrip {
  readonly url: string;
  readonly method: string;
  readonly startTime = now();
  readonly streaming: boolean;
  endTime: number | undefined;
  status: number | undefined;
  errorType: string | undefined;
  usage: UsageMetadata | undefined;
  responseId: string | undefined;
  span: Span | undefined;

  constructor(url: string, method: string) {
    this.url = url;
    this.method = method;
    this.streaming = url.includes('alt=sse');
  }

  get ended(): boolean {
    return this.endTime !== undefined;
  }
}

/**
 * The state one instrumented call shares with its HTTP round trips. One call can be several
 * round trips (automatic function calling, continuation hops, SDK retries), and the SDK
 * returns only the last response's usage: each unary round trip's own usage, read from the
 * body the SDK parses, is added here, so the call counts every token it was billed for.
 *
 * Each round trip of a call made of several is a child span of the call's span. By default a
 * call of a single round trip gets none: its own span already covers that one request, and
 * leaving out the duplicate keeps the instrumentation cheap (`roundTripSpans: 'always'` keeps it).
 */
export class CallScope {
  readonly owner: object | undefined;
  readonly #options: CallScopeOptions;
  /** Round trips started so far. */
  roundTrips = 0;
  /** Usage of the unary round trips whose body was read. */
  usage: UsageMetadata | undefined;
  #first: RoundTrip | undefined;
  #streamRound: RoundTrip | undefined;
  #open: RoundTrip[] | undefined;
  /** Called when a new round trip starts, so a stream does not time the gap across rounds. */
  onRoundTrip: (() => void) | undefined;

  constructor(options: CallScopeOptions) {
    this.owner = options.owner;
    this.#options = options;
  }

  /** Starts observing one round trip. */
  begin(url: string, init: RequestInit | undefined): RoundTrip {
    this.#endStreamRound();
    this.roundTrips++;
    this.onRoundTrip?.();
    const roundTrip = new RoundTrip(url, init?.method ?? 'GET');
    if (this.#options.parent === undefined) return roundTrip;
    if (this.roundTrips === 1 && this.#options.roundTripSpans === 'multiple') {
      this.#first = roundTrip;
    } else {
      if (this.#first !== undefined) {
        this.#startSpan(this.#first);
        this.#first = undefined;
      }
      this.#startSpan(roundTrip);
    }
    return roundTrip;
  }

  /** The response headers arrived; a unary body is observed as the SDK parses it. */
  responded(roundTrip: RoundTrip, response: Response): void {
    roundTrip.status = response.status;
    if (!response.ok) roundTrip.errorType = String(response.status);
    roundTrip.span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
    if (roundTrip.errorType !== undefined) {
      roundTrip.span?.setAttribute(ATTR_ERROR_TYPE, roundTrip.errorType);
    }
    if (roundTrip.streaming && response.ok) {
      // A stream's round trip lasts until the next one starts or the call ends.
      this.#streamRound = roundTrip;
      return;
    }
    const json = response.json;
    if (typeof json !== 'function') return;
    // The SDK reads the body with `response.json()`: observing that call reads each round
    // trip's usage without cloning or parsing the body a second time.
    (response as { json: () => Promise<unknown> }).json = () =>
      json.call(response).then(
        (body: unknown) => {
          this.#body(roundTrip, body);
          return body;
        },
        (error: unknown) => {
          this.failed(roundTrip, error);
          throw error;
        },
      );
  }

  /** The round trip failed before or while its body was read. */
  failed(roundTrip: RoundTrip, error: unknown): void {
    if (roundTrip.ended) return;
    roundTrip.errorType ??= errorTypeOf(error);
    this.#end(roundTrip);
  }

  /** Ends every round trip still open; called once, when the call ends. */
  close(): void {
    this.#endStreamRound();
    if (this.#first !== undefined && !this.#first.ended) this.#first.endTime = now();
    for (const roundTrip of this.#open ?? []) this.#end(roundTrip);
    this.#open = undefined;
  }

  #body(roundTrip: RoundTrip, body: unknown): void {
    if (roundTrip.ended) return;
    const response = body as GenerateResponseLike | undefined;
    const usage = response?.usageMetadata;
    if (usage !== undefined && typeof usage === 'object') {
      this.usage = sumUsage(this.usage, usage);
      roundTrip.usage = usage;
    }
    if (typeof response?.responseId === 'string') roundTrip.responseId = response.responseId;
    this.#end(roundTrip);
  }

  #endStreamRound(): void {
    const round = this.#streamRound;
    if (round === undefined) return;
    this.#streamRound = undefined;
    this.#end(round);
  }

  #startSpan(roundTrip: RoundTrip): void {
    const { tracer, parent, address, port, secrets } = this.#options;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: roundTrip.method,
      [ATTR_SERVER_ADDRESS]: address,
      [ATTR_SERVER_PORT]: port,
      [ATTR_URL_FULL]: redact(roundTrip.url, secrets),
    };
    const span = tracer.startSpan(
      roundTrip.method,
      { kind: SpanKind.CLIENT, attributes, startTime: roundTrip.startTime },
      trace.setSpan(context.active(), parent as Span),
    );
    roundTrip.span = span;
    if (roundTrip.ended) {
      this.#finishSpan(roundTrip, span);
    } else {
      if (roundTrip.status !== undefined) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, roundTrip.status);
      }
      this.#open ??= [];
      this.#open.push(roundTrip);
    }
  }

  #end(roundTrip: RoundTrip): void {
    if (roundTrip.ended) return;
    roundTrip.endTime = now();
    if (roundTrip.span !== undefined) this.#finishSpan(roundTrip, roundTrip.span);
  }

  #finishSpan(roundTrip: RoundTrip, span: Span): void {
    if (roundTrip.status !== undefined) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, roundTrip.status);
    }
    if (roundTrip.errorType !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, roundTrip.errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    const usage = roundTrip.usage;
    if (usage !== undefined) {
      span.setAttribute(GENAI_SPAN_ATTR.usageInputTokens, inputTokens(usage));
      span.setAttribute(GENAI_SPAN_ATTR.usageOutputTokens, outputTokens(usage));
    }
    if (roundTrip.responseId !== undefined) {
      span.setAttribute(GENAI_SPAN_ATTR.responseId, roundTrip.responseId);
    }
    span.end(roundTrip.endTime);
  }
}

/** The call each async flow is in, for the round trips its SDK call makes. */
export const callScopes = new AsyncLocalStorage<CallScope>();
