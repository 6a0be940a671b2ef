import { describeUpstreamError, isGeminiLanesError } from '@gemini-lanes/core';
import { ERROR_TYPE_VALUE_OTHER } from '@opentelemetry/semantic-conventions';

/** `error.type` of a call the caller abandoned or aborted. */
export const CANCELLED = 'cancelled';
/** `error.type` of a call its own deadline (`httpOptions.timeout`, `AbortSignal.timeout`) ended. */
export const TIMEOUT = 'timeout';

/**
 * The bounded `error.type` of a failed call: a gemini-lanes error's `errorType`; otherwise
 * core's `describeUpstreamError`: the API's google.rpc status from an `ApiError`'s JSON body
 * (`RESOURCE_EXHAUSTED`, `UNAVAILABLE`), else its HTTP status (`503`); `cancelled` for an
 * aborted call; `timeout` for the call's own deadline or undici's header/body timeouts;
 * `connection_error` for a reset or refused connection; `_OTHER` for anything else (a
 * malformed chunk).
 * Never free text, so the label stays low-cardinality and carries no user data.
 */
export function errorTypeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return ERROR_TYPE_VALUE_OTHER;
  if (isGeminiLanesError(error)) {
    const errorType = (error as { errorType?: unknown }).errorType;
    if (typeof errorType === 'string' && errorType !== '') return errorType;
    return ERROR_TYPE_VALUE_OTHER;
  }
  // One classification for telemetry and retries: core's (API status from ApiError.message,
  // undici resets and timeouts from cause.code, aborts, deadlines).
  return describeUpstreamError(error).errorType;
}
