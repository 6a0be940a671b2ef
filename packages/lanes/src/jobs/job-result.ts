import { describeUpstreamError } from '@gemini-lanes/core';
import type { GenerateContentResponse } from '@google/genai';
import type { JobFailure, JobResponse, JobResult, JobResultError } from './job-types.js';

/** Error messages longer than this are cut, so one failure cannot bloat the output. */
const MAX_MESSAGE_CHARS = 2000;

/** Prompt + candidates + thinking tokens of a usage record (what tokens per second counts). */
export function usageTokens(usage: unknown): number {
  if (typeof usage !== 'object' || usage === null) return 0;
  const u = usage as Record<string, unknown>;
  let total = 0;
  for (const key of ['promptTokenCount', 'candidatesTokenCount', 'thoughtsTokenCount']) {
    const n = u[key];
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) total += n;
  }
  return total;
}

/** The response's data fields: the SDK's `sdkHttpResponse` (headers) stays out of the output. */
export function responseData(response: GenerateContentResponse): JobResponse {
  const { sdkHttpResponse: _http, ...data } = response as GenerateContentResponse & {
    sdkHttpResponse?: unknown;
  };
  return data;
}

/** An error's message for a result line, cut to a bounded length. */
export function messageOf(error: unknown): string {
  const text =
    error instanceof Error
      ? error.message
      : typeof error === 'string'
        ? error
        : (() => {
            try {
              return JSON.stringify(error) ?? String(error);
            } catch {
              return String(error);
            }
          })();
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** An executor's failure as a result's `error`: its bounded type and its HTTP status. */
export function errorOf(error: unknown): JobResultError {
  const info = describeUpstreamError(error);
  const result: JobResultError = { type: info.errorType, message: messageOf(error) };
  if (info.httpStatus !== undefined) result.status = info.httpStatus;
  return result;
}

/** An error result that never reached the executor. */
export function failure(
  id: string,
  line: number,
  type: string,
  message: string,
  attempts = 0,
): JobFailure {
  return { id, line, error: { type, message }, usage: null, costUsd: null, attempts };
}

/** A result as its output line (fields in a fixed order), newline included. */
export function serialize(result: JobResult): string {
  // Built as text rather than as an object to stringify: one allocation less per line.
  const outcome =
    result.error === undefined
      ? `"response":${JSON.stringify(result.response)}`
      : `"error":${JSON.stringify(result.error)}`;
  const costUsd = result.costUsd === null ? 'null' : JSON.stringify(result.costUsd);
  return `{"id":${JSON.stringify(result.id)},"line":${result.line},${outcome},"usage":${JSON.stringify(result.usage)},"costUsd":${costUsd},"attempts":${result.attempts}}\n`;
}

/**
 * A result and its output line; a result whose response cannot be written as JSON becomes an
 * `invalid_response` failure, so every line still gets exactly one result.
 */
export function writableResult(result: JobResult): { text: string; result: JobResult } {
  try {
    return { text: serialize(result), result };
  } catch (error) {
    const written = failure(
      result.id,
      result.line,
      'invalid_response',
      `the response cannot be written as JSON: ${(error as Error).message}`,
      result.attempts,
    );
    return { text: serialize(written), result: written };
  }
}
