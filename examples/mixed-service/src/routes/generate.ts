import { readJsonObject } from '../http/json-body.js';
import { sendJson } from '../http/responses.js';
import { generateRequest } from '../request-params.js';
import { textOf, usageOf } from './chat.js';
import type { RouteContext } from './route-context.js';

/**
 * `POST /generate`: one unary call through the router, answered as JSON `{ text, finishReason,
 * model, usage, lane }`. The router decides the lane (the latency lane unless `lane`, `hint` or a
 * large `maxOutputTokens` says otherwise); the `x-gemini-lanes-lane` header says which.
 */
export async function generate(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.bodyLimitBytes);
  const request = generateRequest(body, ctx.models.generate, { routing: true });
  const routing = {
    ...(request.lane === undefined ? {} : { lane: request.lane }),
    ...(request.hint === undefined ? {} : { hint: request.hint }),
  };
  const { lane } = ctx.router.decide(request.params, { stream: false, ...routing });
  const response = await ctx.router.generateContent(request.params, {
    ...routing,
    signal: ctx.signal,
    ...(request.priority === undefined ? {} : { priority: request.priority }),
  });
  sendJson(
    ctx.res,
    200,
    {
      text: textOf(response),
      finishReason: response.candidates?.[0]?.finishReason ?? null,
      model: response.modelVersion ?? request.params.model,
      usage: usageOf(response),
      lane,
    },
    { 'x-gemini-lanes-lane': lane },
  );
}
