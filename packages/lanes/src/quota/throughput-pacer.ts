/**
 * Spreads the throughput lane's use of a per-minute quota over the minute. The sliding window
 * alone lets a backlog take the lane's whole share in the first seconds of a window and then
 * stall until that window ages out: the same tokens per minute, but in bursts the upstream feels
 * and a job that stops for most of each minute. The pacer is a token bucket refilling at the
 * share per minute with a small burst, so the lane sends at the rate the quota allows, evenly;
 * the sliding window stays the hard guarantee. In-process: each replica paces its own lane.
 */
export class ThroughputPacer {
  readonly #capacity: number;
  readonly #perMs: number;
  #level: number;
  #at: number | undefined;

  /** `perWindow` over `windowMs`, with bursts of up to `burstShare` of it. */
  constructor(perWindow: number, windowMs: number, burstShare: number) {
    this.#perMs = perWindow / windowMs;
    // At least one whole request (or token) fits, however small the share.
    this.#capacity = Math.max(1, perWindow * burstShare);
    this.#level = this.#capacity;
  }

  /** Milliseconds until `amount` fits (0: it fits now). Never more than the refill of `amount`. */
  waitMs(amount: number, nowMs: number): number {
    this.#refill(nowMs);
    // An amount above the burst capacity waits for a full bucket, then runs it into debt.
    const needed = Math.min(amount, this.#capacity);
    return this.#level >= needed ? 0 : Math.ceil((needed - this.#level) / this.#perMs);
  }

  take(amount: number, nowMs: number): void {
    this.#refill(nowMs);
    this.#level -= amount;
  }

  /** Gives back (`delta` < 0) or charges (`delta` > 0) a correction, never above the capacity. */
  adjust(delta: number, nowMs: number): void {
    this.#refill(nowMs);
    this.#level = Math.min(this.#capacity, this.#level - delta);
  }

  #refill(nowMs: number): void {
    if (this.#at !== undefined && nowMs > this.#at) {
      this.#level = Math.min(this.#capacity, this.#level + (nowMs - this.#at) * this.#perMs);
    }
    this.#at = Math.max(this.#at ?? nowMs, nowMs);
  }
}
