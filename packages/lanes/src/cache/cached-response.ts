import { GenerateContentResponse } from '@google/genai';

/** Answers the lane served in a degraded way (by its fallback model): never cached under the primary's key. */
const UNCACHEABLE = new WeakSet<object>();

/**
 * Marks a response (or a stream's chunk) as never to be cached: the latency lane marks what its
 * fallback model answered, so a request for the primary model is not served the fallback's
 * answer for the cache's whole TTL after the overload has passed.
 */
export function markUncacheable(response: GenerateContentResponse): GenerateContentResponse {
  UNCACHEABLE.add(response);
  return response;
}

/**
 * Whether an answer (a unary response, or every chunk of a stream) may be cached: never one
 * marked `markUncacheable`; it must have
 * candidates, none blocked, and every candidate must have finished with `STOP`. Never a prompt
 * blocked by `promptFeedback.blockReason`, an answer truncated by `MAX_TOKENS`, or one stopped
 * for `SAFETY`, `RECITATION` or any other reason. Function calls finish with `STOP` and are
 * cached: at temperature 0 the model's choice of call is the answer to the request.
 */
export function isCacheableAnswer(chunks: readonly GenerateContentResponse[]): boolean {
  if (chunks.length === 0) return false;
  const finish = new Map<number, string | undefined>();
  for (const chunk of chunks) {
    if (UNCACHEABLE.has(chunk)) return false;
    if (chunk.promptFeedback?.blockReason !== undefined) return false;
    for (const [i, candidate] of (chunk.candidates ?? []).entries()) {
      const index = candidate.index ?? i;
      if (candidate.finishReason !== undefined) finish.set(index, candidate.finishReason);
      else if (!finish.has(index)) finish.set(index, undefined);
    }
  }
  if (finish.size === 0) return false;
  for (const reason of finish.values()) if (reason !== 'STOP') return false;
  return true;
}

/** The chunks as the cache stores them (the HTTP response metadata of the original call left out). */
export function encodeAnswer(chunks: readonly GenerateContentResponse[]): string {
  return JSON.stringify(chunks.map(({ sdkHttpResponse: _http, ...rest }) => rest));
}

/** Fresh `GenerateContentResponse` objects (with `text`, `functionCalls`, ...) from a stored answer. */
export function decodeAnswer(value: string): GenerateContentResponse[] | undefined {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  return parsed.map((fields) => Object.assign(new GenerateContentResponse(), fields));
}
