import { type Lane, VALUES } from '@gemini-lanes/core';

/** Why a lane made an upstream attempt: its first, a retry, a hedge, or one on its fallback model. */
export type AttemptKind = 'first' | 'retry' | 'hedge' | 'fallback';

/** Why the latency lane sent a request to its fallback model: the catalog's `gemini_lanes.fallback.reason`. */
export type FallbackReason = (typeof VALUES.fallbackReason)[number];

/** What a lane says about one upstream attempt it makes through its own instrumented client. */
export interface LaneAttempt {
  readonly lane: Lane;
  readonly kind: AttemptKind;
  /** Set when `kind` is `fallback`. */
  readonly fallbackReason?: FallbackReason | undefined;
  /**
   * `performance.now()` when the caller's request was first sent upstream. A hedge's duration
   * and time to first chunk are measured from it, so the histograms (and the latency SLI) show
   * what the caller waited, not how long the hedge itself took.
   */
  readonly since?: number | undefined;
}

// `Symbol.for`: two copies of this package read each other's mark, which is why
// `laneAttemptOf` checks the value's shape rather than trusting it.
const LANE_ATTEMPT = Symbol.for('@gemini-lanes/otel lane attempt');

const LANES: readonly string[] = VALUES.lane;
const KINDS: readonly string[] = ['first', 'retry', 'hedge', 'fallback'] satisfies AttemptKind[];
const FALLBACK_REASONS: readonly string[] = VALUES.fallbackReason;

/**
 * Marks a request as one attempt of a lane's and returns it: a call the lane's instrumented
 * client makes with these parameters records `gemini_lanes.attempt` (and
 * `gemini_lanes.fallback.reason`) on its span, and a hedge is timed from `since`. The mark is a
 * non-enumerable symbol property, so the SDK never sends it, and it needs no context manager.
 */
export function markLaneAttempt<P extends object>(params: P, attempt: LaneAttempt): P {
  Object.defineProperty(params, LANE_ATTEMPT, { value: attempt, enumerable: false });
  return params;
}

/** The lane attempt a request was marked with, or undefined when none (or not a valid one). */
export function laneAttemptOf(params: unknown): LaneAttempt | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const value = (params as Record<symbol, unknown>)[LANE_ATTEMPT] as
    | Partial<LaneAttempt>
    | undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const { lane, kind, fallbackReason, since } = value;
  if (typeof lane !== 'string' || !LANES.includes(lane)) return undefined;
  if (typeof kind !== 'string' || !KINDS.includes(kind)) return undefined;
  if (fallbackReason !== undefined && !FALLBACK_REASONS.includes(fallbackReason)) return undefined;
  if (since !== undefined && !Number.isFinite(since)) return undefined;
  return value as LaneAttempt;
}
