/**
 * `:batchEmbedContents` (where the SDK's `embedContent` goes on the Gemini API) and the single
 * `:embedContent`: quota for the request and its input tokens, a slot, the model's latency, then
 * one vector per content.
 */
import { acquireSlot, admitQuota } from '../admission.js';
import type { ApiCall } from '../api-call.js';
import type { EmulatorContext } from '../context.js';
import { embeddingValues } from '../embeddings.js';
import { invalidArgument } from '../errors.js';
import { type EmbedRequest, parseBatchEmbedRequest } from '../request-schema.js';
import { contentsTokens } from '../tokens.js';
import { isRecord } from '../validation.js';
import { requireModel } from './models.js';

export async function handleEmbed(
  ctx: EmulatorContext,
  call: ApiCall,
  body: unknown,
  single: boolean,
): Promise<void> {
  const runtime = requireModel(ctx, call, 'embed', single ? 'embedContent' : 'batchEmbedContents');
  // A single embedContent body is one request of a batch.
  const requests: EmbedRequest[] = parseBatchEmbedRequest(
    single && isRecord(body) ? { requests: [body] } : body,
    runtime.name,
  );
  let tokens = 0;
  for (const r of requests) {
    const count = contentsTokens([r.content]).total;
    if (count > runtime.profile.inputTokenLimit) {
      throw invalidArgument(
        `The input token count (${count}) exceeds the maximum number of tokens allowed (${runtime.profile.inputTokenLimit}).`,
      );
    }
    if (
      r.outputDimensionality !== undefined &&
      r.outputDimensionality > runtime.profile.embeddingDimensions
    ) {
      throw invalidArgument(
        `* BatchEmbedContentsRequest.requests: output_dimensionality must be at most ${runtime.profile.embeddingDimensions}.\n`,
      );
    }
    tokens += count;
  }
  admitQuota(ctx, runtime.name, tokens);
  ctx.metrics.addTokens(runtime.name, { input: tokens });
  if (!(await acquireSlot(runtime, () => call.signal))) return;
  runtime.inFlight++;
  try {
    const latency = runtime.latency.sample(call.random, {
      load: runtime.inFlight,
      multiplier: ctx.control.current.latencyMultiplier,
    });
    if (latency.ttftMs > 0 && !(await ctx.clock.sleep(latency.ttftMs, call.signal))) return;
    const embeddings = requests.map((r) => ({
      values: embeddingValues(
        r.content,
        r.outputDimensionality ?? runtime.profile.embeddingDimensions,
      ),
    }));
    call.json(200, single ? { embedding: embeddings[0] } : { embeddings });
  } finally {
    runtime.inFlight--;
    runtime.slots.release();
  }
}
