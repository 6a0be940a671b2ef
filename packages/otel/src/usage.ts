import type { Span } from '@opentelemetry/api';
import { GENAI_SPAN_ATTR } from './genai-attributes.js';
import type { UsageMetadata } from './genai-client.js';

function n(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Input tokens as the conventions count them: the whole prompt (cached part included) and tool-use prompt tokens. */
export function inputTokens(usage: UsageMetadata): number {
  return n(usage.promptTokenCount) + n(usage.toolUsePromptTokenCount);
}

/** Output tokens as billed: candidates and thinking tokens. */
export function outputTokens(usage: UsageMetadata): number {
  return n(usage.candidatesTokenCount) + n(usage.thoughtsTokenCount);
}

/**
 * The usage of several round trips of one call (automatic function calling, continuation
 * hops): counts added, modality details concatenated so cost by modality stays exact.
 */
export function sumUsage(a: UsageMetadata | undefined, b: UsageMetadata): UsageMetadata {
  if (a === undefined) return b;
  const sum: UsageMetadata = {
    promptTokenCount: n(a.promptTokenCount) + n(b.promptTokenCount),
    cachedContentTokenCount: n(a.cachedContentTokenCount) + n(b.cachedContentTokenCount),
    candidatesTokenCount: n(a.candidatesTokenCount) + n(b.candidatesTokenCount),
    thoughtsTokenCount: n(a.thoughtsTokenCount) + n(b.thoughtsTokenCount),
    toolUsePromptTokenCount: n(a.toolUsePromptTokenCount) + n(b.toolUsePromptTokenCount),
  };
  if (a.promptTokensDetails !== undefined || b.promptTokensDetails !== undefined) {
    sum.promptTokensDetails = [...(a.promptTokensDetails ?? []), ...(b.promptTokensDetails ?? [])];
  }
  if (a.cacheTokensDetails !== undefined || b.cacheTokensDetails !== undefined) {
    sum.cacheTokensDetails = [...(a.cacheTokensDetails ?? []), ...(b.cacheTokensDetails ?? [])];
  }
  const tier = b.serviceTier ?? a.serviceTier;
  if (tier !== undefined) sum.serviceTier = tier;
  return sum;
}

/** Sets `gen_ai.usage.*` on a span: input, output (thinking included), cache read, reasoning. */
export function setUsageAttributes(span: Span, usage: UsageMetadata): void {
  span.setAttribute(GENAI_SPAN_ATTR.usageInputTokens, inputTokens(usage));
  span.setAttribute(GENAI_SPAN_ATTR.usageOutputTokens, outputTokens(usage));
  if (usage.cachedContentTokenCount !== undefined) {
    span.setAttribute(GENAI_SPAN_ATTR.usageCacheReadInputTokens, n(usage.cachedContentTokenCount));
  }
  if (usage.thoughtsTokenCount !== undefined) {
    span.setAttribute(GENAI_SPAN_ATTR.usageReasoningOutputTokens, n(usage.thoughtsTokenCount));
  }
}

/** Vertex AI reports embedding input tokens per vector (`statistics.tokenCount`). */
export function embeddingUsage(response: unknown): UsageMetadata | undefined {
  const embeddings = (response as { embeddings?: unknown } | undefined)?.embeddings;
  if (!Array.isArray(embeddings)) return undefined;
  let tokens = 0;
  let reported = false;
  for (const embedding of embeddings) {
    const count = (embedding as { statistics?: { tokenCount?: unknown } }).statistics?.tokenCount;
    if (typeof count === 'number') {
      tokens += count;
      reported = true;
    }
  }
  return reported ? { promptTokenCount: tokens } : undefined;
}
