import { LaneRequestError } from '../errors.js';

/** google.rpc.Code names: the closed set an API error's `status` may take. */
const RPC_CODES = new Set([
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Why a failed call may be retried; absent when it must not be (400, 403, 404, ...). */
export type RetryReason = 'rate_limited' | 'server_error' | 'timeout' | 'connection_error';

/** What a failed Gemini call tells a caller, whatever layer it failed in. */
export interface UpstreamErrorInfo {
  /** Bounded value for `error.type`: the API status (`RESOURCE_EXHAUSTED`), the HTTP status (`502`), a lane error's type, `timeout`, `connection_error`, `cancelled`, or `_OTHER`. */
  errorType: string;
  /** HTTP status of an API error. */
  httpStatus: number | undefined;
  /** google.rpc status name from the error body. */
  status: string | undefined;
  /** The server's `RetryInfo.retryDelay`, in ms. */
  retryDelayMs: number | undefined;
  /** Set when a retry may help. */
  retryReason: RetryReason | undefined;
}

/** Parses protobuf Duration text as Google APIs send it (`"20s"`, `"1.500s"`) into ms. */
export function parseDurationMs(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(text.trim());
  return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) * 1000);
}

interface ErrorBody {
  error?: { code?: unknown; status?: unknown; details?: unknown };
}

/** The JSON error body inside an `ApiError.message` (the SDK stringifies the whole body there). */
function errorBody(message: string): ErrorBody | undefined {
  const start = message.indexOf('{');
  if (start === -1) return undefined;
  try {
    const parsed = JSON.parse(message.slice(start)) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as ErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

function retryReasonForStatus(httpStatus: number): RetryReason | undefined {
  if (httpStatus === 429) return 'rate_limited';
  if (httpStatus === 408) return 'timeout';
  if (httpStatus === 500 || httpStatus === 502 || httpStatus === 503 || httpStatus === 504)
    return 'server_error';
  return undefined;
}

/**
 * Classifies an error from a Gemini call, reading what `@google/genai` hides in
 * `ApiError.message` (the status and `RetryInfo.retryDelay` of a 429) and what undici hides in
 * `cause.code` (resets, timeouts). Never includes free text: `errorType` is bounded.
 */
export function describeUpstreamError(error: unknown): UpstreamErrorInfo {
  const info: UpstreamErrorInfo = {
    errorType: '_OTHER',
    httpStatus: undefined,
    status: undefined,
    retryDelayMs: undefined,
    retryReason: undefined,
  };
  if (error instanceof LaneRequestError) {
    info.errorType = error.errorType;
    if (error.errorType === 'timeout') info.retryReason = 'timeout';
    return info;
  }
  if (typeof error !== 'object' || error === null) return info;
  const e = error as {
    name?: unknown;
    status?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: unknown;
  };

  if (e.name === 'AbortError') {
    info.errorType = 'cancelled';
    return info;
  }
  // AbortSignal.timeout() aborts with a TimeoutError: the call's own deadline, not the caller.
  if (e.name === 'TimeoutError') {
    info.errorType = 'timeout';
    info.retryReason = 'timeout';
    return info;
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 600) {
    info.httpStatus = e.status;
    info.errorType = String(e.status);
    info.retryReason = retryReasonForStatus(e.status);
    const body = typeof e.message === 'string' ? errorBody(e.message) : undefined;
    const status = body?.error?.status;
    if (typeof status === 'string' && RPC_CODES.has(status)) {
      info.status = status;
      info.errorType = status;
    }
    const details = Array.isArray(body?.error?.details) ? (body.error.details as unknown[]) : [];
    for (const detail of details) {
      const d = detail as { '@type'?: unknown; retryDelay?: unknown };
      if (typeof d['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo')) {
        info.retryDelayMs = parseDurationMs(d.retryDelay);
      }
    }
    return info;
  }
  // undici wraps an abort during the body read as a TypeError whose cause is the AbortError.
  const cause = e.cause as { name?: unknown; code?: unknown } | undefined;
  if (cause?.name === 'AbortError') {
    info.errorType = 'cancelled';
    return info;
  }
  // undici puts the socket-level reason in `cause.code` of fetch's TypeError.
  const code =
    typeof e.code === 'string' ? e.code : (e.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (TIMEOUT_CODES.has(code)) {
      info.errorType = 'timeout';
      info.retryReason = 'timeout';
    } else if (CONNECTION_CODES.has(code)) {
      info.errorType = 'connection_error';
      info.retryReason = 'connection_error';
    }
  }
  return info;
}
