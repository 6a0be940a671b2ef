import { ATTR } from '@gemini-lanes/core';
import { CANCELLED_BY_CALLER, type CallRecorder } from './call-recorder.js';
import { StreamedCandidates } from './content-capture.js';
import { CANCELLED } from './error-type.js';
import type { GenerateResponseLike, UsageMetadata } from './genai-client.js';
import { guard } from './guard.js';
import type { MetricAttributesOf } from './instruments.js';
import { sumUsage } from './usage.js';

/** Gaps held before they are recorded anyway, so a very long stream holds a bounded buffer. */
const MAX_PENDING_GAPS = 256;

/** The SDK's automatic function calling yields the function responses as a `user` turn. */
function isFunctionResponseTurn(chunk: GenerateResponseLike): boolean {
  return chunk.candidates?.[0]?.content?.role === 'user';
}

/**
 * Records the time to the first chunk of a stream that never delivered one (it failed, or
 * its caller gave up), with its `error.type`, so it counts against the time-to-first-chunk SLI.
 */
export function recordNoFirstChunk(recorder: CallRecorder, errorType: string): void {
  const attributes: MetricAttributesOf<'timeToFirstChunk'> = {
    ...recorder.base,
    [ATTR.errorType]: errorType,
  };
  recorder.telemetry.instruments.timeToFirstChunk.record(
    (performance.now() - recorder.start) / 1000,
    attributes,
  );
}

/**
 * Wraps the SDK's stream so each chunk reaches the caller as soon as the SDK yields it (never
 * buffered), while the call's telemetry observes it: time to the first chunk, time between
 * chunks (not across round trips), the usage, and, when the caller stops early, a span ended
 * as `cancelled` with what it saw. Errors are recorded and rethrown unchanged.
 *
 * Usage in chunks is cumulative: the SDK's chunks carry the running total of their round of
 * automatic function calling (continuation hops included, which the SDK adds up itself), so
 * the last chunk of a round counts and the rounds are added up; chunks are never added up.
 */
export class ObservedStream<T> implements AsyncGenerator<T, unknown, unknown> {
  readonly #inner: AsyncGenerator<T, unknown, unknown>;
  readonly #recorder: CallRecorder;
  readonly #candidates: StreamedCandidates | undefined;
  #chunks = 0;
  #lastAt: number | undefined;
  #last: GenerateResponseLike | undefined;
  #chunkAttributes: MetricAttributesOf<'timePerOutputChunk'> | undefined;
  /**
   * Times between chunks (seconds), recorded as a burst when the stream ends: the same
   * measurements, but each one recorded right after the previous while the metric code is
   * still hot in the CPU's caches, rather than one at a time between network reads.
   */
  readonly #gaps: number[] = [];
  /** Usage of the finished rounds of automatic function calling. */
  #usage: UsageMetadata | undefined;
  /** The latest usage of the round in progress: cumulative, so the last one counts. */
  #roundUsage: UsageMetadata | undefined;
  #ended = false;

  constructor(recorder: CallRecorder, inner: AsyncGenerator<T, unknown, unknown>) {
    this.#inner = inner;
    this.#recorder = recorder;
    this.#candidates =
      recorder.ctx.captureContent && recorder.span.isRecording()
        ? new StreamedCandidates()
        : undefined;
    if (recorder.scope !== undefined) {
      recorder.scope.onRoundTrip = () => {
        this.#lastAt = undefined;
      };
    }
  }

  next(...args: [] | [unknown]): Promise<IteratorResult<T, unknown>> {
    if (this.#ended) return this.#inner.next(...args);
    let pending: Promise<IteratorResult<T, unknown>>;
    try {
      // Later round trips of the stream (automatic function calling, retries) start inside
      // next(): it runs in the call's scope when they are observed; otherwise it is called as is.
      pending =
        this.#recorder.scope === undefined
          ? this.#inner.next(...args)
          : this.#recorder.run(() => this.#inner.next(...args));
    } catch (error) {
      this.#fail(error);
      throw error;
    }
    return pending.then(
      (result) => {
        if (result.done === true) this.#finish();
        else guard('stream chunk', () => this.#chunk(result.value));
        return result;
      },
      (error: unknown) => {
        this.#fail(error);
        throw error;
      },
    );
  }

  return(value?: unknown): Promise<IteratorResult<T, unknown>> {
    if (!this.#ended) this.#abandon();
    return this.#inner.return(value);
  }

  throw(error?: unknown): Promise<IteratorResult<T, unknown>> {
    if (this.#ended) return this.#inner.throw(error);
    return this.#inner.throw(error).then(
      (result) => {
        if (result.done === true) this.#abandon();
        return result;
      },
      (thrown: unknown) => {
        this.#fail(thrown);
        throw thrown;
      },
    );
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return(undefined);
  }

  #chunk(value: T): void {
    const now = performance.now();
    const chunk = value as GenerateResponseLike;
    if (typeof chunk !== 'object' || chunk === null) return;
    if (isFunctionResponseTurn(chunk)) {
      // Automatic function calling: the round before this turn is over, and the next one
      // reports its usage from zero again (and its first chunk is no gap after this one's last).
      this.#closeRound();
      this.#lastAt = undefined;
      return;
    }
    const recorder = this.#recorder;
    const { instruments } = recorder.telemetry;
    this.#chunks++;
    this.#last = chunk;
    if (this.#chunkAttributes === undefined) {
      const attributes: MetricAttributesOf<'timePerOutputChunk'> = { ...recorder.base };
      if (typeof chunk.modelVersion === 'string' && chunk.modelVersion !== '') {
        attributes[ATTR.responseModel] = recorder.telemetry.modelLabel(chunk.modelVersion);
      }
      this.#chunkAttributes = attributes;
      instruments.timeToFirstChunk.record((now - recorder.start) / 1000, attributes);
    } else if (this.#lastAt !== undefined) {
      this.#gaps.push((now - this.#lastAt) / 1000);
      if (this.#gaps.length >= MAX_PENDING_GAPS) this.#recordGaps();
    }
    this.#lastAt = now;
    if (chunk.usageMetadata !== undefined) this.#roundUsage = chunk.usageMetadata;
    this.#candidates?.add(chunk.candidates);
  }

  #recordGaps(): void {
    const attributes = this.#chunkAttributes;
    const gaps = this.#gaps;
    if (attributes === undefined || gaps.length === 0) return;
    const histogram = this.#recorder.telemetry.instruments.timePerOutputChunk;
    for (let i = 0; i < gaps.length; i++) histogram.record(gaps[i] as number, attributes);
    gaps.length = 0;
  }

  #closeRound(): void {
    if (this.#roundUsage === undefined) return;
    this.#usage = sumUsage(this.#usage, this.#roundUsage);
    this.#roundUsage = undefined;
  }

  #totalUsage(): UsageMetadata | undefined {
    this.#closeRound();
    return this.#usage;
  }

  #finish(): void {
    this.#ended = true;
    guard('time per output chunk', () => this.#recordGaps());
    guard('stream end', () =>
      this.#recorder.end({
        response: this.#last,
        candidates: this.#candidates?.candidates(),
        chunks: this.#chunks,
        usage: this.#totalUsage(),
      }),
    );
  }

  #fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    guard('time per output chunk', () => this.#recordGaps());
    if (this.#chunkAttributes === undefined) {
      guard('time to first chunk', () =>
        recordNoFirstChunk(this.#recorder, this.#recorder.errorType(error)),
      );
    }
    guard('stream error', () =>
      this.#recorder.end({
        error,
        response: this.#last,
        candidates: this.#candidates?.candidates(),
        chunks: this.#chunks,
        usage: this.#totalUsage(),
      }),
    );
  }

  #abandon(): void {
    this.#ended = true;
    guard('time per output chunk', () => this.#recordGaps());
    if (this.#chunkAttributes === undefined) {
      guard('time to first chunk', () => recordNoFirstChunk(this.#recorder, CANCELLED));
    }
    guard('stream abandoned', () =>
      this.#recorder.end({
        error: CANCELLED_BY_CALLER,
        response: this.#last,
        candidates: this.#candidates?.candidates(),
        chunks: this.#chunks,
        usage: this.#totalUsage(),
      }),
    );
  }
}
