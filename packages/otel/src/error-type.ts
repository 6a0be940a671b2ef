import { isGeminiLanesError } from '@gemini-lanes/core';
import { ERROR_TYPE_VALUE_OTHER } from '@opentelemetry/semantic-conventions';

/** `error.type` of a call the caller abandoned or aborted. */
export const CANCELLED = 'cancelled';
/** `error.type` of a call its own deadline (`httpOptions.timeout`, `AbortSignal.timeout`) ended. */
export const TIMEOUT = 'timeout';

const API_STATUS = /^[A-Z][A-Z_]*$/;

function apiStatusFromMessage(message: string): string | undefined {
  // The SDK's ApiError message is the JSON error body, or `got status: …. {json}` for an error
  // chunk inside a stream: `{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}`.
  const start = message.indexOf('{');
  if (start === -1) return undefined;
  try {
    const body = JSON.parse(message.slice(start)) as { error?: { status?: unknown } };
    const status = body.error?.status;
    return typeof status === 'string' && API_STATUS.test(status) ? status : undefined;
  } catch {
    return undefined;
  }
}

function isAbort(error: { name?: unknown }): boolean {
  return error.name === 'AbortError';
}

/**
 * The bounded `error.type` of a failed call: a gemini-lanes request error's `errorType`; the
 * API's status string from an `ApiError`'s JSON body (`RESOURCE_EXHAUSTED`, `UNAVAILABLE`),
 * else its HTTP status (`503`); `cancelled` for an aborted call; `timeout` when the call's
 * own deadline aborted it; `_OTHER` for anything else (a reset connection, a malformed chunk).
 * Never free text, so the label stays low-cardinality and carries no user data.
 */
export function errorTypeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return ERROR_TYPE_VALUE_OTHER;
  if (isGeminiLanesError(error)) {
    const errorType = (error as { errorType?: unknown }).errorType;
    if (typeof errorType === 'string' && errorType !== '') return errorType;
    return ERROR_TYPE_VALUE_OTHER;
  }
  const e = error as { name?: unknown; status?: unknown; message?: unknown; cause?: unknown };
  if (isAbort(e)) return CANCELLED;
  if (e.name === 'TimeoutError') return TIMEOUT;
  if (e.name === 'ApiError' && typeof e.status === 'number') {
    const fromBody = typeof e.message === 'string' ? apiStatusFromMessage(e.message) : undefined;
    return fromBody ?? String(e.status);
  }
  // undici wraps an abort during the body read as a TypeError whose cause is the AbortError.
  if (typeof e.cause === 'object' && e.cause !== null && isAbort(e.cause as { name?: unknown })) {
    return CANCELLED;
  }
  return ERROR_TYPE_VALUE_OTHER;
}
