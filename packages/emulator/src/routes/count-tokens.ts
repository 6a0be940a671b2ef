/** `:countTokens`: the same count the prompt's `usageMetadata` and the quota use. */
import type { ApiCall } from '../api-call.js';
import type { EmulatorContext } from '../context.js';
import { parseCountTokensRequest } from '../request-schema.js';
import { contentsTokens, modalityDetails } from '../tokens.js';
import { checkRequest } from './generate.js';
import { requireModel } from './models.js';

export function handleCountTokens(ctx: EmulatorContext, call: ApiCall, body: unknown): void {
  const runtime = requireModel(ctx, call, 'any', 'countTokens');
  const parsed = parseCountTokensRequest(body);
  if (parsed.kind === 'contents') {
    const count = contentsTokens(parsed.contents);
    call.json(200, { totalTokens: count.total, promptTokensDetails: modalityDetails(count) });
    return;
  }
  const prompt = checkRequest(runtime, parsed.request);
  call.json(200, {
    totalTokens: prompt.count.total,
    ...(prompt.cached > 0 ? { cachedContentTokenCount: prompt.cached } : {}),
    promptTokensDetails: modalityDetails(prompt.count),
  });
}
