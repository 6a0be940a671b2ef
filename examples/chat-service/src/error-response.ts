import {
  describeUpstreamError,
  LaneClosedError,
  LaneOverloadedError,
  QueueTimeoutError,
  QuotaExhaustedError,
  RequestTimeoutError,
} from '@gemini-lanes/core';

/** What the client gets for a call that failed before its stream started. */
export interface ErrorResponse {
  status: number;
  /** Seconds, for the `Retry-After` header. */
  retryAfterSeconds?: number;
  /** A bounded type the client can branch on (`queue_timeout`, `lane_overloaded`, `timeout`, ...). */
  type: string;
  message: string;
}

function seconds(ms: number | undefined): number {
  return Math.max(1, Math.ceil((ms ?? 1000) / 1000));
}

/**
 * Maps a failed call to an HTTP answer. Load shedding (the lane refused the call rather than
 * serve it late, or the project's quota has no room) is 503 with `Retry-After`, so clients back
 * off instead of retrying at once; the upstream's own errors are the service's problem (502),
 * except a request the upstream found invalid (400) and its 429/503 (503 again).
 */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof QueueTimeoutError) {
    return {
      status: 503,
      retryAfterSeconds: seconds(error.maxQueueWaitMs),
      type: error.errorType,
      message: 'the service is busy: no slot opened within the queue-wait limit; retry later',
    };
  }
  if (error instanceof LaneOverloadedError) {
    return {
      status: 503,
      retryAfterSeconds: seconds(error.estimatedWaitMs),
      type: error.errorType,
      message: 'the service is overloaded; retry later',
    };
  }
  if (error instanceof QuotaExhaustedError) {
    return {
      status: 503,
      retryAfterSeconds: seconds(error.retryAfterMs),
      type: error.errorType,
      message: 'the Gemini quota is exhausted for now; retry later',
    };
  }
  if (error instanceof LaneClosedError) {
    return { status: 503, retryAfterSeconds: 1, type: error.errorType, message: 'shutting down' };
  }
  if (error instanceof RequestTimeoutError) {
    return { status: 504, type: error.errorType, message: 'no answer within the deadline' };
  }
  const upstream = describeUpstreamError(error);
  if (upstream.httpStatus === 400) {
    return { status: 400, type: upstream.errorType, message: 'Gemini refused the request' };
  }
  if (upstream.httpStatus === 429 || upstream.httpStatus === 503) {
    return {
      status: 503,
      retryAfterSeconds: seconds(upstream.retryDelayMs),
      type: upstream.errorType,
      message: 'Gemini is busy; retry later',
    };
  }
  return { status: 502, type: upstream.errorType, message: 'the call to Gemini failed' };
}
