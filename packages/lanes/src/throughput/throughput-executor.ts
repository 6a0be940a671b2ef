import {
  ATTR,
  type Clock,
  describeUpstreamError,
  LaneClosedError,
  type Outcome,
  QuotaExhaustedError,
  RequestTimeoutError,
  type RetryReason,
  systemClock,
  type ThroughputLaneConfig,
} from '@gemini-lanes/core';
import { guard, type Telemetry } from '@gemini-lanes/otel';
import { diag } from '@opentelemetry/api';
import type { QuotaLimiter, QuotaPermit } from '../quota/quota-limiter.js';
import { neverSent } from '../quota/unserved.js';
import { retryDelayMs } from './backoff.js';
import { CallSignals } from './call-signals.js';
import { ConcurrencyGate, type GatePriority } from './concurrency-gate.js';
import { type ConcurrencyLimiter, createConcurrencyLimiter } from './concurrency-limiter.js';
import { RetryBudget } from './retry-budget.js';

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The default `Sleep`: a timer that keeps the process alive, so a retry is never dropped on exit. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export interface ThroughputExecutorOptions {
  concurrency: ThroughputLaneConfig['concurrency'];
  retry: ThroughputLaneConfig['retry'];
  /** Per-attempt deadline unless a call sets its own. */
  timeoutMs: number;
  quota?: QuotaLimiter | undefined;
  telemetry?: Telemetry | undefined;
  clock?: Clock | undefined;
  /** Uniform in [0, 1), for the backoff's jitter. */
  random?: (() => number) | undefined;
  /** How to wait between attempts; tests pass one that records the delays. */
  sleep?: Sleep | undefined;
}

/** What one attempt gets. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborts when the caller gives up or the attempt's deadline passes; hand it to the SDK. */
  readonly signal: AbortSignal;
  /** Stops the attempt's deadline (a stream that has yielded its first chunk). */
  disarm(): void;
}

/** One unit of throughput work: a model call the executor may attempt several times. */
export interface Work<T> {
  model: string;
  operation: 'generate_content' | 'embeddings';
  /** Estimated input tokens, debited from the shared quota before each attempt. */
  inputTokens: number;
  /** One upstream attempt. */
  send(context: AttemptContext): Promise<T>;
}

export interface WorkOptions {
  signal?: AbortSignal | undefined;
  /** `low` for a job's items: callers' own calls take free slots first. */
  priority?: GatePriority | undefined;
  timeoutMs?: number | undefined;
  onAttempt?: ((attempt: number) => void) | undefined;
}

/** A successful attempt's result, holding its slot until the caller has used it. */
export interface Lease<T> {
  readonly value: T;
  /** Corrects the quota's estimate with the input tokens the response reported. */
  settle(promptTokens: number | undefined): Promise<void>;
  /** The error the caller should see for a failure while using the value (a stream breaking). */
  failure(error: unknown): unknown;
  /** Releases the slot, once; `finished: false` aborts an attempt left unfinished (an abandoned stream). */
  release(finished: boolean): void;
}

/** A per-call `timeoutMs`, checked: a finite number > 0, or the default when absent. */
export function validTimeout(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(
      `throughput lane: options.timeoutMs must be a finite number > 0 (got ${value})`,
    );
  }
  return value;
}

/**
 * The throughput lane's engine: a slot under the adaptive concurrency limit (first come, first
 * served), then per attempt the shared quota, the call with its own deadline, and on a
 * retryable failure (429, 5xx, reset, timeout) a full-jitter backoff that honours the server's
 * `RetryInfo`, within `maxAttempts` and the retry budget. 429s, attempt timeouts and the
 * latency lane's pressure signals cut the limit; successes grow it.
 *
 * The slot is held while waiting for quota and between attempts: quota is then taken only when
 * a call can be sent at once (taken earlier, it would sit debited while the call queued, and
 * the limiter's buckets would run ahead of the upstream's window), and the concurrency limit
 * bounds all the work the lane has started, retries included.
 */
export class ThroughputExecutor {
  readonly #gate: ConcurrencyGate;
  readonly #limiter: ConcurrencyLimiter;
  readonly #budget: RetryBudget;
  readonly #retry: ThroughputLaneConfig['retry'];
  readonly #timeoutMs: number;
  readonly #quota: QuotaLimiter | undefined;
  readonly #telemetry: Telemetry | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #sleep: Sleep;
  readonly #closing = new AbortController();
  /** Calls not yet over, whose waits the lane's closing ends. */
  readonly #calls = new Set<CallSignals>();
  readonly #unsubscribe: (() => void) | undefined;

  constructor(options: ThroughputExecutorOptions) {
    this.#retry = options.retry;
    this.#timeoutMs = options.timeoutMs;
    this.#quota = options.quota;
    this.#telemetry = options.telemetry;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#limiter = createConcurrencyLimiter(options.concurrency);
    this.#budget = new RetryBudget({ ratio: options.retry.budget, clock: this.#clock });
    const instruments = options.telemetry?.instruments;
    this.#gate = new ConcurrencyGate(
      () => this.#limiter.limit,
      instruments &&
        ((delta) =>
          guard('backlog metric', () =>
            instruments.backlog.add(delta, { [ATTR.lane]: 'throughput' }),
          )),
    );
    // The latency lane's queue wait or 429s: leave it room. The lane's own reports are its own.
    this.#unsubscribe = options.quota?.onPressure((signal) => {
      if (signal.lane !== 'throughput') this.#limiter.onOverload(this.#clock.now());
    });
  }

  /** The concurrency limit in force. */
  get limit(): number {
    return this.#limiter.limit;
  }

  /** Calls holding a slot (waiting for quota, sending, or between attempts). */
  get inflight(): number {
    return this.#gate.held;
  }

  /** Calls waiting for a slot. */
  get backlog(): number {
    return this.#gate.waiting;
  }

  /** Runs `work` to its result (see `run`), settling the quota with `promptTokens(result)`. */
  async execute<T>(
    work: Work<T>,
    options: WorkOptions,
    promptTokens: (value: T) => number | undefined = () => undefined,
  ): Promise<T> {
    const lease = await this.run(work, options);
    try {
      await lease.settle(promptTokens(lease.value));
      return lease.value;
    } finally {
      lease.release(true);
    }
  }

  /**
   * Takes a slot and attempts `work` until it succeeds, fails for good, or the caller aborts
   * (rejects with the signal's reason). The final error is the upstream's own (an `ApiError`
   * with its status), `RequestTimeoutError` when the last attempt passed its deadline,
   * `LaneClosedError` when the lane closed while the call waited, or the quota's error.
   */
  async run<T>(work: Work<T>, options: WorkOptions = {}): Promise<Lease<T>> {
    const timeoutMs = validTimeout(options.timeoutMs, this.#timeoutMs);
    const caller = options.signal;
    const model = work.model.replace(/^models\//, '');
    // Its own signals even without a caller's, so waits never pile listeners on the lane's
    // closing signal, and without composite signals, which outlive the call (see CallSignals).
    const signals = new CallSignals(caller, this.#closing.signal);
    const waitSignal = signals.wait;
    this.#calls.add(signals);
    const endCall = () => {
      this.#calls.delete(signals);
      signals.end();
    };
    let releaseSlot: () => void;
    try {
      releaseSlot = await this.#gate.acquire(waitSignal, options.priority);
    } catch (error) {
      endCall();
      throw this.#unsent(model, work.operation, caller, error);
    }
    this.#inflightChanged(1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      endCall();
      this.#inflightChanged(-1);
      releaseSlot();
    };
    this.#budget.recordRequest();
    let previous: unknown;
    try {
      for (let attempt = 1; ; attempt++) {
        let permit: QuotaPermit | undefined;
        if (this.#quota) {
          try {
            permit = await this.#quota.acquire(
              { model, lane: 'throughput', inputTokens: work.inputTokens },
              { signal: waitSignal },
            );
          } catch (error) {
            throw attempt === 1
              ? this.#unsent(model, work.operation, caller, error)
              : this.#waitFailure(caller, error, previous);
          }
        }
        // Closed or cancelled while the quota was being taken: the call is still unsent.
        if (waitSignal.aborted) {
          if (permit) await this.#quietly('quota refund', permit.refund());
          throw attempt === 1
            ? this.#unsent(model, work.operation, caller, waitSignal.reason)
            : this.#waitFailure(caller, waitSignal.reason, previous);
        }
        const onAttempt = options.onAttempt;
        if (onAttempt) guard('onAttempt hook', () => onAttempt(attempt));
        const controller = signals.attempt();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          controller.abort(new RequestTimeoutError(timeoutMs));
        }, timeoutMs);
        timer.unref();
        const signal = controller.signal;
        const started = this.#clock.now();
        try {
          const value = await work.send({ attempt, signal, disarm: () => clearTimeout(timer) });
          clearTimeout(timer);
          this.#limiter.onSuccess(this.#clock.now() - started, this.#gate.held);
          this.#gate.pump();
          return this.#lease(value, permit, controller, caller, release);
        } catch (error) {
          clearTimeout(timer);
          // The upstream may have served an aborted attempt: its quota stays debited.
          if (caller?.aborted) throw caller.reason;
          const info = describeUpstreamError(error);
          const rateLimited = info.httpStatus === 429;
          // A 429 or a connection never made: the upstream served nothing, so give it back.
          if (permit && (rateLimited || neverSent(error))) {
            await this.#quietly('quota refund', permit.refund());
          }
          if (rateLimited || timedOut) this.#limiter.onOverload(this.#clock.now());
          const failure = timedOut ? timeoutError(timeoutMs, error) : error;
          const reason: RetryReason | undefined = timedOut ? 'timeout' : info.retryReason;
          // A 429 that says when to come back (RetryInfo) is retried without drawing on the
          // retry budget: waiting as told adds no load, and a burst of them from a full window
          // would otherwise empty the budget and fail requests the server asked to see again.
          // maxAttempts still bounds it.
          const toldWhen = reason === 'rate_limited' && info.retryDelayMs !== undefined;
          if (
            reason === undefined ||
            attempt >= this.#retry.maxAttempts ||
            this.#closing.signal.aborted ||
            (!toldWhen && !this.#budget.tryRetry())
          ) {
            throw failure;
          }
          guard('retry metric', () =>
            this.#telemetry?.instruments.retries.add(1, {
              [ATTR.lane]: 'throughput',
              [ATTR.retryReason]: reason,
              [ATTR.requestModel]: this.#telemetry.modelLabel(model),
            }),
          );
          previous = failure;
          const delay = retryDelayMs(
            attempt,
            {
              baseDelayMs: this.#retry.baseDelayMs,
              maxDelayMs: this.#retry.maxDelayMs,
              random: this.#random,
            },
            info.retryDelayMs,
          );
          try {
            await this.#sleep(delay, waitSignal);
          } catch (sleepError) {
            throw this.#waitFailure(caller, sleepError, failure);
          }
        }
      }
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Refuses new work and rejects waiting work with `LaneClosedError`; running attempts finish. */
  close(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new LaneClosedError());
    for (const call of this.#calls) call.close(this.#closing.signal.reason);
    this.#gate.close(() => new LaneClosedError());
    this.#unsubscribe?.();
  }

  #lease<T>(
    value: T,
    permit: QuotaPermit | undefined,
    controller: AbortController,
    caller: AbortSignal | undefined,
    release: () => void,
  ): Lease<T> {
    return {
      value,
      settle: async (promptTokens) => {
        if (permit && promptTokens !== undefined) {
          await this.#quietly('quota settle', permit.settle(promptTokens));
        }
      },
      failure: (error) => (caller?.aborted ? caller.reason : error),
      release: (finished) => {
        if (!finished) controller.abort();
        release();
      },
    };
  }

  /** A call that never reached the upstream: counted as `rejected` or `cancelled`, then its error. */
  #unsent(
    model: string,
    operation: Work<unknown>['operation'],
    caller: AbortSignal | undefined,
    error: unknown,
  ): unknown {
    const outcome: Outcome = caller?.aborted ? 'cancelled' : 'rejected';
    const telemetry = this.#telemetry;
    guard('request metric', () => {
      if (!telemetry) return;
      telemetry.instruments.requests.add(1, {
        [ATTR.lane]: 'throughput',
        [ATTR.requestModel]: telemetry.modelLabel(model),
        [ATTR.operationName]: operation,
        [ATTR.outcome]: outcome,
      });
      const reason =
        outcome === 'cancelled'
          ? undefined
          : this.#closing.signal.aborted
            ? 'shutdown'
            : error instanceof QuotaExhaustedError
              ? 'quota'
              : undefined;
      if (reason !== undefined) {
        telemetry.instruments.rejections.add(1, {
          [ATTR.lane]: 'throughput',
          [ATTR.rejectionReason]: reason,
        });
      }
    });
    return this.#waitFailure(caller, error, undefined);
  }

  /** Why a wait (for a slot, quota or a retry) ended: the caller's reason, the lane closing, or `error`. */
  #waitFailure(caller: AbortSignal | undefined, error: unknown, previous: unknown): unknown {
    if (caller?.aborted) return caller.reason;
    if (this.#closing.signal.aborted) {
      const closed = new LaneClosedError();
      if (previous !== undefined) Object.defineProperty(closed, 'cause', { value: previous });
      return closed;
    }
    return error;
  }

  #inflightChanged(delta: 1 | -1): void {
    guard('in-flight metric', () =>
      this.#telemetry?.instruments.inflight.add(delta, { [ATTR.lane]: 'throughput' }),
    );
  }

  /** Quota bookkeeping must not fail a call the upstream answered: report it instead. */
  async #quietly(what: string, work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (error) {
      diag.error(`@gemini-lanes/lanes: throughput lane ${what} failed`, error);
    }
  }
}

/** The lane's own deadline surfaces as `RequestTimeoutError` whatever layer noticed it. */
function timeoutError(timeoutMs: number, error: unknown): RequestTimeoutError {
  if (error instanceof RequestTimeoutError && error.timeoutMs === timeoutMs) return error;
  const timeout = new RequestTimeoutError(timeoutMs);
  Object.defineProperty(timeout, 'cause', { value: error });
  return timeout;
}
