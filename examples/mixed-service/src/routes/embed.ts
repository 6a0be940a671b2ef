import { readJsonObject } from '../http/json-body.js';
import { sendJson } from '../http/responses.js';
import { embedRequest } from '../request-params.js';
import type { RouteContext } from './route-context.js';

/**
 * `POST /embed`: `{ texts | text, model?, taskType?, dimensions? }` → `{ model, embeddings }`
 * (one vector per text, in order). Embeddings go to the throughput lane, which merges
 * concurrent calls into one batched upstream request.
 */
export async function embed(ctx: RouteContext): Promise<void> {
  const body = await readJsonObject(ctx.req, ctx.bodyLimitBytes);
  const params = embedRequest(body, ctx.models.embed);
  const response = await ctx.router.embedContent(params, { signal: ctx.signal });
  sendJson(ctx.res, 200, {
    model: params.model,
    embeddings: (response.embeddings ?? []).map((e) => e.values ?? []),
  });
}
