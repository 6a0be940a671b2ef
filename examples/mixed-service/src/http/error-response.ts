import {
  describeUpstreamError,
  isGeminiLanesError,
  LaneOverloadedError,
  QueueTimeoutError,
  QuotaExhaustedError,
} from '@gemini-lanes/core';
import { HttpError } from './http-error.js';

/** What the client is told about a failed request. */
export interface ErrorResponse {
  status: number;
  /** Stable: a gemini-lanes error's `code` (`ERR_QUEUE_TIMEOUT`), `upstream_<status>` or the service's own. */
  code: string;
  message: string;
  /** Whole seconds for the `Retry-After` header, when waiting would help. */
  retryAfterSeconds?: number;
}

const seconds = (ms: number | undefined) => Math.max(1, Math.ceil((ms ?? 1000) / 1000));

/** Statuses of the lanes' own errors, by code. */
const LANE_STATUS: Record<string, number> = {
  ERR_REQUEST_TIMEOUT: 504,
  ERR_LANE_CLOSED: 503,
  ERR_QUOTA_UNKNOWN_MODEL: 400,
  ERR_JOB_OUTPUT_EXISTS: 409,
  ERR_JOB_INPUT_CHANGED: 409,
  ERR_JOB_CHECKPOINT: 409,
  ERR_JOB_NOT_RESUMABLE: 400,
};

/** The upstream's message for a client error (what was wrong with the request), else none. */
function upstreamMessage(error: unknown): string | undefined {
  const message = (error as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  const start = message.indexOf('{');
  if (start === -1) return undefined;
  try {
    const body = JSON.parse(message.slice(start)) as { error?: { message?: unknown } };
    return typeof body.error?.message === 'string' ? body.error.message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps an error to the HTTP answer: admission refusals (`QueueTimeoutError`,
 * `LaneOverloadedError`) are 503 with `Retry-After` (come back in a moment, the lane is full),
 * an exhausted quota 429, the lane's deadline 504; the upstream's client errors pass through
 * (400, 404) and its failures are 502, never echoing anything but the API's own message;
 * anything else is a 500 whose detail stays in the service's log.
 */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof HttpError) {
    return { status: error.status, code: error.code, message: error.message };
  }
  if (error instanceof QueueTimeoutError || error instanceof LaneOverloadedError) {
    return { status: 503, code: error.code, message: error.message, retryAfterSeconds: 1 };
  }
  if (error instanceof QuotaExhaustedError) {
    const response: ErrorResponse = { status: 429, code: error.code, message: error.message };
    if (error.retryAfterMs !== undefined) response.retryAfterSeconds = seconds(error.retryAfterMs);
    return response;
  }
  if (isGeminiLanesError(error)) {
    const status = LANE_STATUS[error.code] ?? 500;
    const response: ErrorResponse = { status, code: error.code, message: error.message };
    if (error.code === 'ERR_LANE_CLOSED') response.retryAfterSeconds = 1;
    return response;
  }
  const upstream = describeUpstreamError(error);
  if (upstream.httpStatus !== undefined) {
    const http = upstream.httpStatus;
    const name = upstream.status === undefined ? `${http}` : `${http} ${upstream.status}`;
    const code = `upstream_${upstream.errorType}`;
    if (http === 429) {
      return {
        status: 429,
        code,
        message: `the Gemini API is rate limiting this service (${name})`,
        retryAfterSeconds: seconds(upstream.retryDelayMs),
      };
    }
    // The service's own key or project was refused: not something the client can fix.
    if (http === 400 || http === 404) {
      const detail = upstreamMessage(error);
      return {
        status: http,
        code,
        message: `the Gemini API refused the request (${name})${detail ? `: ${detail}` : ''}`,
      };
    }
    return { status: 502, code, message: `the Gemini API answered ${name}` };
  }
  if (upstream.errorType === 'connection_error' || upstream.errorType === 'timeout') {
    return {
      status: 502,
      code: `upstream_${upstream.errorType}`,
      message: `could not reach the Gemini API (${upstream.errorType})`,
    };
  }
  return { status: 500, code: 'internal', message: 'internal error (see the service log)' };
}
