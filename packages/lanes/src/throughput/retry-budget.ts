import { type Clock, systemClock } from '@gemini-lanes/core';
import { SlidingWindowSum } from '../quota/sliding-window.js';

export interface RetryBudgetOptions {
  /** Retries allowed per first attempt, over the window (0.2: retries add at most 20 % load). */
  ratio: number;
  /** Retries allowed per second regardless of traffic, so a quiet lane can still retry. */
  minPerSecond?: number;
  windowMs?: number;
  clock?: Clock;
}

/**
 * Keeps retries a bounded share of traffic (after Finagle's RetryBudget): every first attempt
 * deposits `ratio` of a retry, every retry withdraws one. When an upstream is failing
 * everything, retries stop at the budget instead of multiplying the load on it.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #reserve: number;
  readonly #requests: SlidingWindowSum;
  readonly #retries: SlidingWindowSum;

  constructor(options: RetryBudgetOptions) {
    if (!(options.ratio >= 0 && options.ratio <= 1)) {
      throw new RangeError(`RetryBudget: ratio must be in [0, 1] (got ${options.ratio})`);
    }
    const windowMs = options.windowMs ?? 10_000;
    const clock = options.clock ?? systemClock;
    this.#ratio = options.ratio;
    this.#reserve = ((options.minPerSecond ?? 1) * windowMs) / 1000;
    this.#requests = new SlidingWindowSum(windowMs, 10, clock);
    this.#retries = new SlidingWindowSum(windowMs, 10, clock);
  }

  /** Counts a first attempt. */
  recordRequest(): void {
    this.#requests.add(1);
  }

  /** Withdraws one retry if the budget allows it; false means: give up now. */
  tryRetry(): boolean {
    if (this.#retries.sum() + 1 > this.#reserve + this.#ratio * this.#requests.sum()) return false;
    this.#retries.add(1);
    return true;
  }
}
