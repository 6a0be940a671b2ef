import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';

/** How long to keep asking, and what is being waited for (it names the failure). */
export interface PollOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between probes. Default 250 ms. */
  intervalMs?: number;
  /** What the caller waits for, as the timeout error should say it: "the page alert to fire". */
  description: string;
}

/** Thrown when a polled condition does not hold before its deadline; says what was seen last. */
export class PollTimeoutError extends Error {
  readonly lastValue: unknown;

  constructor(options: PollOptions, lastValue: unknown, lastError: unknown) {
    const seen =
      lastError === undefined
        ? `last value: ${inspect(lastValue, { depth: 6, breakLength: 120 })}`
        : `last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
    super(`timed out after ${options.timeoutMs} ms waiting for ${options.description}; ${seen}`);
    this.name = 'PollTimeoutError';
    this.lastValue = lastValue;
  }
}

/**
 * Calls `probe` until `done` accepts its value and returns that value; never sleeps longer than
 * the deadline allows. A probe that throws counts as "not yet" (a server still starting); the
 * last error or value is in the timeout message, so a failure says what the test saw.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: PollOptions,
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  let lastValue: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      lastValue = value;
      lastError = undefined;
      if (done(value)) return value;
    } catch (error) {
      lastError = error;
    }
    const left = deadline - performance.now();
    if (left <= 0) throw new PollTimeoutError(options, lastValue, lastError);
    await sleep(Math.min(interval, left));
  }
}
