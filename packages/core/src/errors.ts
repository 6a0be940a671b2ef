/** Registered symbol, so two copies of this package in one process still recognise each other's errors. */
const brand = Symbol.for('gemini-lanes.error');

/**
 * Every error gemini-lanes throws on purpose is a `GeminiLanesError` with a stable `code`,
 * so callers branch on `err.code` instead of parsing messages, and telemetry records the
 * code as `error.type` without free text.
 */
export class GeminiLanesError extends Error {
  /** Stable, machine-readable identifier, e.g. `ERR_QUEUE_TIMEOUT`. Never changes between releases. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    // `new.target.name` gives subclasses their own name without each one repeating this line.
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True when `value` is a gemini-lanes error (from any copy of this package), optionally with the given code. */
export function isGeminiLanesError(value: unknown, code?: string): value is GeminiLanesError {
  if (typeof value !== 'object' || value === null || !(brand in value)) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}

/**
 * A gemini-lanes error that ends a request before or instead of an upstream answer. `errorType`
 * is the bounded value recorded as `error.type` on spans and metrics.
 */
export abstract class LaneRequestError extends GeminiLanesError {
  abstract readonly errorType: string;
}

/** A request waited `maxQueueWaitMs` for admission without starting, and was rejected rather than served late. */
export class QueueTimeoutError extends LaneRequestError {
  readonly errorType = 'queue_timeout';
  /** How long it waited. */
  readonly waitMs: number;
  readonly maxQueueWaitMs: number;
  /** Requests waiting when it gave up. */
  readonly queueDepth: number;

  constructor(waitMs: number, maxQueueWaitMs: number, queueDepth: number) {
    super(
      'ERR_QUEUE_TIMEOUT',
      `request rejected: waited ${Math.round(waitMs)} ms for admission without starting (maxQueueWaitMs ${maxQueueWaitMs}, ${queueDepth} waiting)`,
    );
    this.waitMs = waitMs;
    this.maxQueueWaitMs = maxQueueWaitMs;
    this.queueDepth = queueDepth;
  }
}

/**
 * A request refused on arrival: the admission queue is full, or at the current service rate it
 * could not start within its queue-wait deadline, so waiting would only make it late.
 */
export class LaneOverloadedError extends LaneRequestError {
  readonly errorType = 'lane_overloaded';
  readonly reason: 'queue_full' | 'overloaded';
  readonly queueLength: number;
  /** The wait the lane predicted (for `overloaded`). */
  readonly estimatedWaitMs: number | undefined;

  constructor(
    reason: 'queue_full' | 'overloaded',
    queueLength: number,
    estimatedWaitMs?: number,
    maxQueueWaitMs?: number,
  ) {
    super(
      'ERR_LANE_OVERLOADED',
      reason === 'queue_full'
        ? `request rejected: the admission queue is full (${queueLength} waiting)`
        : `request rejected: it would wait about ${Math.round(estimatedWaitMs ?? 0)} ms for admission (${queueLength} waiting), more than maxQueueWaitMs ${maxQueueWaitMs ?? '?'}`,
    );
    this.reason = reason;
    this.queueLength = queueLength;
    this.estimatedWaitMs = estimatedWaitMs;
  }
}

/** The lane was closed: queued requests are refused, and so is new work. */
export class LaneClosedError extends LaneRequestError {
  readonly errorType = 'lane_closed';

  constructor() {
    super('ERR_LANE_CLOSED', 'request rejected: the lane is closed');
  }
}

/** The request did not finish within its deadline. */
export class RequestTimeoutError extends LaneRequestError {
  readonly errorType = 'timeout';
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('ERR_REQUEST_TIMEOUT', `request timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The shared quota limiter has no room for the request within its deadline. */
export class QuotaExhaustedError extends LaneRequestError {
  readonly errorType = 'quota_exhausted';
  readonly dimension: 'rpm' | 'input_tpm' | 'rpd';
  readonly model: string;
  /** When the quota will have room again, if known. */
  readonly retryAfterMs: number | undefined;

  constructor(model: string, dimension: 'rpm' | 'input_tpm' | 'rpd', retryAfterMs?: number) {
    const when = retryAfterMs === undefined ? '' : `; room again in ${Math.ceil(retryAfterMs)} ms`;
    super('ERR_QUOTA_EXHAUSTED', `quota ${dimension} for ${model} is exhausted${when}`);
    this.model = model;
    this.dimension = dimension;
    this.retryAfterMs = retryAfterMs;
  }
}
