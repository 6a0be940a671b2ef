import type { ConcurrencyLimiter } from './concurrency-limiter.js';

export interface GradientOptions {
  min: number;
  max: number;
  initial: number;
  /** Latency may reach this multiple of its long-term average before the limit shrinks. */
  tolerance?: number;
  /** Weight of each new estimate in the limit (0–1]: lower is steadier, higher reacts faster. */
  smoothing?: number;
  /** Samples the long-term latency average spans (an exponential average over about this many). */
  longWindow?: number;
  /** Multiplicative cut on overload (429, timeout, the latency lane's back-off). */
  backoffRatio?: number;
  /** After a cut, further cuts wait this long. */
  decreaseCooldownMs?: number;
}

/** Samples averaged plainly before the exponential average takes over, so one outlier cannot set it. */
const WARMUP_SAMPLES = 10;

/**
 * Adaptive concurrency from the latency gradient (after Netflix concurrency-limits' Gradient2):
 * the ratio of the long-term average latency to the latest sample says whether calls are
 * queueing upstream. At or below `tolerance` × the average, the limit grows by about √limit per
 * sample (scaled by `smoothing`); above it, the limit shrinks in proportion (at most halving
 * the estimate per sample). When latency falls well below its long-term average (recovery after
 * a spell of overload), the average is pulled down quickly instead of waiting for it to decay.
 * A 429 or timeout is not a latency sample, so it cuts the limit by `backoffRatio` directly,
 * once per cooldown. Suits calls of similar size (embeddings, fixed-size prompts); for
 * generation whose latency follows the answer's length, AIMD reads the upstream better.
 */
export class GradientLimiter implements ConcurrencyLimiter {
  readonly #min: number;
  readonly #max: number;
  readonly #tolerance: number;
  readonly #smoothing: number;
  readonly #alpha: number;
  readonly #backoffRatio: number;
  readonly #cooldownMs: number;
  #estimate: number;
  #longLatencyMs: number | undefined;
  #samples = 0;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;

  constructor(options: GradientOptions) {
    if (!(Number.isInteger(options.min) && options.min >= 1 && options.min <= options.max)) {
      throw new RangeError(
        `GradientLimiter: need 1 <= min <= max (got min ${options.min}, max ${options.max})`,
      );
    }
    this.#tolerance = options.tolerance ?? 1.5;
    this.#smoothing = options.smoothing ?? 0.2;
    const longWindow = options.longWindow ?? 600;
    if (!(this.#tolerance >= 1)) {
      throw new RangeError(`GradientLimiter: tolerance must be >= 1 (got ${this.#tolerance})`);
    }
    if (!(this.#smoothing > 0 && this.#smoothing <= 1)) {
      throw new RangeError(`GradientLimiter: smoothing must be in (0, 1] (got ${this.#smoothing})`);
    }
    if (!(longWindow >= 1)) {
      throw new RangeError(`GradientLimiter: longWindow must be >= 1 (got ${longWindow})`);
    }
    this.#min = options.min;
    this.#max = options.max;
    this.#estimate = Math.min(options.max, Math.max(options.min, options.initial));
    this.#alpha = 2 / (longWindow + 1);
    this.#backoffRatio = options.backoffRatio ?? 0.5;
    this.#cooldownMs = options.decreaseCooldownMs ?? 1000;
  }

  get limit(): number {
    return Math.floor(this.#estimate);
  }

  onSuccess(latencyMs: number, inflight?: number): void {
    // A zero latency (an instant answer, a fake clock) would make the ratio infinite.
    const sample = Math.max(latencyMs, 1e-3);
    this.#samples++;
    let long = this.#longLatencyMs ?? sample;
    long =
      this.#samples <= WARMUP_SAMPLES
        ? long + (sample - long) / this.#samples
        : long * (1 - this.#alpha) + sample * this.#alpha;
    if (long / sample > 2) long *= 0.95;
    this.#longLatencyMs = long;
    // Callers, not the upstream, limit a lane using less than half its limit: nothing to learn.
    if (inflight !== undefined && inflight < this.#estimate / 2) return;
    const gradient = Math.max(0.5, Math.min(1, (this.#tolerance * long) / sample));
    const target = this.#estimate * gradient + Math.sqrt(this.#estimate);
    const next = this.#estimate * (1 - this.#smoothing) + target * this.#smoothing;
    this.#estimate = Math.max(this.#min, Math.min(this.#max, next));
  }

  onOverload(nowMs: number): void {
    if (nowMs - this.#lastDecreaseAt < this.#cooldownMs) return;
    this.#lastDecreaseAt = nowMs;
    this.#estimate = Math.max(this.#min, Math.floor(this.#estimate * this.#backoffRatio));
  }
}
