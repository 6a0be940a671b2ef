import type { GenerateContentResponse } from '@google/genai';
import { errorResponse } from '../http/error-response.js';
import { readJsonObject } from '../http/json-body.js';
import { SseStream } from '../http/sse-stream.js';
import { generateRequest } from '../request-params.js';
import type { RouteContext } from './route-context.js';

/** The answer's text in a chunk (thought summaries left out). */
export function textOf(response: GenerateContentResponse): string {
  let text = '';
  for (const part of response.candidates?.[0]?.content?.parts ?? []) {
    if (typeof part.text === 'string' && part.thought !== true) text += part.text;
  }
  return text;
}

/** The usage of a response as the service reports it (a stream's last chunk holds the totals). */
export function usageOf(response: GenerateContentResponse | undefined) {
  const u = response?.usageMetadata;
  return {
    inputTokens: u?.promptTokenCount ?? 0,
    cachedInputTokens: u?.cachedContentTokenCount ?? 0,
    outputTokens: u?.candidatesTokenCount ?? 0,
    thinkingTokens: u?.thoughtsTokenCount ?? 0,
  };
}

/**
 * `POST /chat`: streams the answer as server-sent events through the router (a stream goes to
 * the latency lane): one `data: {"text"}` event per chunk as it arrives, then `event: done` with
 * the finish reason and usage. Nothing is sent until the first chunk is there, so a request the
 * lane refuses at admission still gets a plain HTTP error (503 with `Retry-After`); a failure
 * after that ends the stream with `event: error` and the error's code.
 */
export async function chat(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.bodyLimitBytes);
  const request = generateRequest(body, ctx.models.generate, { routing: false });
  const stream = ctx.router.generateContentStream(request.params, {
    signal: ctx.signal,
    ...(request.priority === undefined ? {} : { priority: request.priority }),
  });
  const sse = new SseStream(ctx.res);
  let last: GenerateContentResponse | undefined;
  try {
    for await (const chunk of stream) {
      if (!sse.open) sse.start();
      last = chunk;
      const text = textOf(chunk);
      if (text !== '') await sse.send(undefined, { text });
      if (ctx.signal.aborted) break;
    }
  } catch (error) {
    // Not started: the service answers with the status (503 + Retry-After for a refusal).
    if (!sse.open) throw error;
    if (ctx.signal.aborted) {
      sse.end();
      return;
    }
    const answer = errorResponse(error);
    await sse.send('error', { code: answer.code, message: answer.message });
    sse.end();
    // Unexpected failures still reach the service's log.
    if (answer.code === 'internal') throw error;
    return;
  }
  if (ctx.signal.aborted) {
    if (!sse.open) throw ctx.signal.reason;
    sse.end();
    return;
  }
  if (!sse.open) sse.start();
  await sse.send('done', {
    finishReason: last?.candidates?.[0]?.finishReason ?? null,
    model: last?.modelVersion ?? request.params.model,
    usage: usageOf(last),
  });
  sse.end();
}
