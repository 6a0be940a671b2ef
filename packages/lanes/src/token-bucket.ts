import { type Clock, systemClock } from '@gemini-lanes/core';

export interface TokenBucketOptions {
  /** Most tokens the bucket holds: the burst it allows. Must be > 0. */
  capacity: number;
  /** Tokens added per second, continuously. Must be > 0. */
  refillPerSecond: number;
  /** Tokens at start; defaults to a full bucket. */
  initial?: number;
  clock?: Clock;
}

/**
 * A continuously refilling token bucket. The quota limiter builds RPM, input-TPM and RPD
 * limits from these. `adjust` lets a caller correct an estimate after the fact (input tokens
 * are estimated before a call and known after it), which may leave the bucket in debt:
 * tokens really spent are never forgiven.
 */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    const { capacity, refillPerSecond } = options;
    if (!(Number.isFinite(capacity) && capacity > 0)) {
      throw new RangeError(`TokenBucket: capacity must be a finite number > 0 (got ${capacity})`);
    }
    if (!(Number.isFinite(refillPerSecond) && refillPerSecond > 0)) {
      throw new RangeError(
        `TokenBucket: refillPerSecond must be a finite number > 0 (got ${refillPerSecond})`,
      );
    }
    const initial = options.initial ?? capacity;
    if (!(Number.isFinite(initial) && initial >= 0 && initial <= capacity)) {
      throw new RangeError(`TokenBucket: initial must be in [0, capacity] (got ${initial})`);
    }
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.#clock = options.clock ?? systemClock;
    this.#tokens = initial;
    this.#updatedAt = this.#clock.now();
  }

  /** Tokens available now (negative while in debt). */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes `n` tokens if they are all there; never partially. */
  tryTake(n: number): boolean {
    this.#refill();
    if (n > this.#tokens) return false;
    this.#tokens -= n;
    return true;
  }

  /**
   * Milliseconds until `n` tokens will be available, 0 if they are now, and `Infinity` if `n`
   * exceeds the capacity (such a request can never be served; callers should reject it).
   */
  msUntil(n: number): number {
    if (n > this.capacity) return Number.POSITIVE_INFINITY;
    this.#refill();
    const missing = n - this.#tokens;
    return missing <= 0 ? 0 : (missing / this.refillPerSecond) * 1000;
  }

  /** Adds (`delta` > 0, a refund) or removes (`delta` < 0, a late charge) tokens; may go into debt. */
  adjust(delta: number): void {
    this.#refill();
    this.#tokens = Math.min(this.capacity, this.#tokens + delta);
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(
        this.capacity,
        this.#tokens + (elapsed / 1000) * this.refillPerSecond,
      );
      this.#updatedAt = now;
    }
  }
}
