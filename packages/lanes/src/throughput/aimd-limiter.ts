import type { ConcurrencyLimiter } from './concurrency-limiter.js';

export interface AimdOptions {
  min: number;
  max: number;
  initial: number;
  /** Multiplicative decrease factor on overload. */
  backoffRatio?: number;
  /**
   * Latency may grow to this multiple of the best observed before increases stop. Default
   * Infinity: loss-based (429s, timeouts, pressure) as TCP, because generation latency follows
   * answer length, and with mixed lengths a latency rule stops growth for good.
   */
  latencyTolerance?: number;
  /** After a decrease, further decreases wait this long (one round trip's worth of results). */
  decreaseCooldownMs?: number;
}

/**
 * Adaptive concurrency, additive increase / multiplicative decrease (as TCP congestion control):
 * the limit grows by about one per limit's worth of successes while the lane is busy (and, when
 * a `latencyTolerance` is set, while latency holds near its best), and is cut by `backoffRatio` on a 429, a timeout or a back-off signal from the latency lane,
 * at most once per cooldown so one burst of failures is one decrease. Always within [min, max].
 */
export class AimdLimiter implements ConcurrencyLimiter {
  readonly #min: number;
  readonly #max: number;
  readonly #backoffRatio: number;
  readonly #tolerance: number;
  readonly #cooldownMs: number;
  #limit: number;
  #bestLatencyMs = Number.POSITIVE_INFINITY;
  #recentLatencyMs: number | undefined;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;

  constructor(options: AimdOptions) {
    if (!(Number.isInteger(options.min) && options.min >= 1 && options.min <= options.max)) {
      throw new RangeError(
        `AimdLimiter: need 1 <= min <= max (got min ${options.min}, max ${options.max})`,
      );
    }
    this.#min = options.min;
    this.#max = options.max;
    this.#limit = Math.min(options.max, Math.max(options.min, options.initial));
    this.#backoffRatio = options.backoffRatio ?? 0.5;
    this.#tolerance = options.latencyTolerance ?? Number.POSITIVE_INFINITY;
    this.#cooldownMs = options.decreaseCooldownMs ?? 1000;
  }

  /** The whole number of requests that may be in flight now. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /**
   * A call succeeded after `latencyMs` with `inflight` calls running; grows the limit unless
   * latency has risen past the tolerance, or fewer than half the limit's calls were running
   * (the lane is limited by its callers then, and growth would prove nothing).
   */
  onSuccess(latencyMs: number, inflight?: number): void {
    this.#bestLatencyMs = Math.min(this.#bestLatencyMs, latencyMs);
    this.#recentLatencyMs =
      this.#recentLatencyMs === undefined
        ? latencyMs
        : this.#recentLatencyMs * 0.8 + latencyMs * 0.2;
    if (this.#recentLatencyMs > this.#bestLatencyMs * this.#tolerance) return;
    if (inflight !== undefined && inflight < this.#limit / 2) return;
    this.#limit = Math.min(this.#max, this.#limit + 1 / this.#limit);
  }

  /** Overload (429, timeout, or the latency lane's back-off signal) at time `nowMs`: cut the limit. */
  onOverload(nowMs: number): void {
    if (nowMs - this.#lastDecreaseAt < this.#cooldownMs) return;
    this.#lastDecreaseAt = nowMs;
    this.#limit = Math.max(this.#min, Math.floor(this.#limit * this.#backoffRatio));
  }
}
