import type { Clock } from '@gemini-lanes/core';

/**
 * A sum over the last `windowMs`, kept in a fixed ring of slots so memory does not grow with
 * traffic; accurate to one slot's width.
 */
export class SlidingWindowSum {
  readonly #slotMs: number;
  readonly #values: Float64Array;
  readonly #starts: Float64Array;
  readonly #clock: Clock;

  constructor(windowMs: number, slots: number, clock: Clock) {
    this.#slotMs = windowMs / slots;
    this.#values = new Float64Array(slots);
    this.#starts = new Float64Array(slots).fill(Number.NEGATIVE_INFINITY);
    this.#clock = clock;
  }

  /**
   * Adds `amount` to the slot of `atMs` (default now). A correction (say a refund) to a slot the
   * ring has already moved past is dropped: that amount has left the window already.
   */
  add(amount: number, atMs: number = this.#clock.now()): void {
    const slot = Math.floor(atMs / this.#slotMs);
    const start = slot * this.#slotMs;
    const length = this.#values.length;
    const index = ((slot % length) + length) % length;
    const held = this.#starts[index] ?? Number.NEGATIVE_INFINITY;
    if (held > start) return;
    if (held !== start) {
      this.#starts[index] = start;
      this.#values[index] = 0;
    }
    this.#values[index] = (this.#values[index] ?? 0) + amount;
  }

  sum(): number {
    const oldest = this.#clock.now() - this.#slotMs * this.#values.length;
    let total = 0;
    for (let i = 0; i < this.#values.length; i++) {
      if ((this.#starts[i] ?? Number.NEGATIVE_INFINITY) > oldest) total += this.#values[i] ?? 0;
    }
    return total;
  }
}
