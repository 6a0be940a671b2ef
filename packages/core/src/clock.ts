/**
 * Time as the rest of the project sees it. Queues, token buckets, backoff and quota windows
 * take a `Clock` so tests drive time by hand instead of sleeping.
 */
export interface Clock {
  /** Monotonic milliseconds: only differences are meaningful; never goes backwards. */
  now(): number;
}

/** The process's monotonic clock (`performance.now()`), immune to wall-clock jumps. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
});

/** A clock that moves only when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #now: number;

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (must be finite and ≥ 0) and returns the new time. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`ManualClock.advance(ms): ms must be a finite number >= 0 (got ${ms})`);
    }
    this.#now += ms;
    return this.#now;
  }
}
