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

/** The latency lane refused a request that would have waited past `maxQueueWaitMs` for admission. */
export class QueueTimeoutError extends LaneRequestError {
  readonly errorType = 'queue_timeout';
  readonly maxQueueWaitMs: number;
  /** How long it would have had to wait (estimated), or did wait before giving up. */
  readonly waitMs: number;

  constructor(waitMs: number, maxQueueWaitMs: number) {
    super(
      'ERR_QUEUE_TIMEOUT',
      `request rejected: it would wait ${Math.round(waitMs)} ms for admission, more than maxQueueWaitMs ${maxQueueWaitMs} ms`,
    );
    this.waitMs = waitMs;
    this.maxQueueWaitMs = maxQueueWaitMs;
  }
}

/** The lane's admission queue is full. */
export class LaneOverloadedError extends LaneRequestError {
  readonly errorType = 'lane_overloaded';
  readonly queueLength: number;

  constructor(queueLength: number) {
    super(
      'ERR_LANE_OVERLOADED',
      `request rejected: the admission queue is full (${queueLength} waiting)`,
    );
    this.queueLength = queueLength;
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
