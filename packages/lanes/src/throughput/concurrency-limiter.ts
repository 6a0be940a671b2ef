import type { ThroughputLaneConfig } from '@gemini-lanes/core';
import { AimdLimiter } from './aimd-limiter.js';
import { GradientLimiter } from './gradient-limiter.js';

/**
 * An adaptive concurrency limit: how many calls the throughput lane lets run at once. It hears
 * every success with its latency and every overload (a 429, an attempt timeout, or the latency
 * lane's back-off signal), and keeps `limit` within the configured bounds.
 */
export interface ConcurrencyLimiter {
  /** The whole number of calls that may run now, always within [min, max]. */
  readonly limit: number;
  /**
   * A call succeeded after `latencyMs`, with `inflight` calls running (itself included). A lane
   * using fewer than half its limit is limited by its callers, not the upstream: it does not
   * grow then, so a quiet spell never leaves a limit the upstream was never shown to bear.
   */
  onSuccess(latencyMs: number, inflight?: number): void;
  /** Overload at `nowMs` (lane clock): cut the limit, at most once per cooldown. */
  onOverload(nowMs: number): void;
}

/** The limiter `lanes.throughput.concurrency.algorithm` names, with its min, max and initial. */
export function createConcurrencyLimiter(
  concurrency: ThroughputLaneConfig['concurrency'],
): ConcurrencyLimiter {
  const { min, max, initial } = concurrency;
  return concurrency.algorithm === 'gradient'
    ? new GradientLimiter({ min, max, initial })
    : new AimdLimiter({ min, max, initial });
}
