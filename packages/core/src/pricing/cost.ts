import type { PricingTier, TokenKind } from '../catalog/attributes.js';
import { findPrice, type PriceTable, TIER_MULTIPLIER } from './price-table.js';

/** The part of Gemini's `usageMetadata` that is billed; any object with these fields will do. */
export interface UsageMetadataLike {
  promptTokenCount?: number | undefined;
  cachedContentTokenCount?: number | undefined;
  candidatesTokenCount?: number | undefined;
  thoughtsTokenCount?: number | undefined;
  toolUsePromptTokenCount?: number | undefined;
  promptTokensDetails?:
    | ReadonlyArray<{ modality?: string | undefined; tokenCount?: number | undefined }>
    | undefined;
  cacheTokensDetails?:
    | ReadonlyArray<{ modality?: string | undefined; tokenCount?: number | undefined }>
    | undefined;
}

/** Billed tokens by kind: `input` is the uncached prompt, `cached_input` the cached part of it. */
export type TokensByKind = Record<TokenKind, number>;

export type CostBreakdown =
  | {
      known: true;
      /** The price-table entry used (a versioned model name resolves to its base entry). */
      pricedAs: string;
      tier: PricingTier;
      /** Whether the long-context prices applied (prompt above the model's threshold). */
      longContext: boolean;
      tokens: TokensByKind;
      usd: TokensByKind & { total: number };
    }
  | { known: false; reason: string; tokens: TokensByKind };

function count(n: number | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

function audioTokens(details: UsageMetadataLike['promptTokensDetails']): number {
  let total = 0;
  for (const d of details ?? []) if (d.modality === 'AUDIO') total += count(d.tokenCount);
  return total;
}

/** Splits usage into billed kinds. Cached tokens are part of `promptTokenCount`: never charged twice. */
export function tokensByKind(usage: UsageMetadataLike): TokensByKind {
  const prompt = count(usage.promptTokenCount);
  const cached = Math.min(count(usage.cachedContentTokenCount), prompt);
  return {
    input: prompt - cached,
    cached_input: cached,
    output: count(usage.candidatesTokenCount),
    thinking: count(usage.thoughtsTokenCount),
    tool_use_input: count(usage.toolUsePromptTokenCount),
  };
}

/**
 * What one call cost, by token kind, from its `usageMetadata`: the uncached prompt at the input
 * price (audio at the audio price where the model has one), the cached part at the cached price,
 * tool-use prompt tokens at the input price, candidates and thinking tokens at the output price;
 * the long-context prices when the prompt exceeds the model's threshold (at exactly the
 * threshold the base price holds); then the tier's multiplier (Batch API and Flex: half).
 * A model missing from the table gets no cost and a reason, never a guess.
 */
export function costOf(
  usage: UsageMetadataLike,
  model: string,
  tier: PricingTier,
  table: PriceTable,
): CostBreakdown {
  const tokens = tokensByKind(usage);
  const entry = findPrice(table, model);
  if (entry === undefined) {
    return {
      known: false,
      reason: `no price for model ${JSON.stringify(model)}; add it under pricing in the configuration`,
      tokens,
    };
  }
  const { price } = entry;
  const prompt = count(usage.promptTokenCount);
  const long = price.longContext !== undefined && prompt > price.longContext.thresholdTokens;
  const inputPerM = long && price.longContext ? price.longContext.inputPerM : price.inputPerM;
  const outputPerM = long && price.longContext ? price.longContext.outputPerM : price.outputPerM;
  const cachedPerM =
    long && price.longContext ? price.longContext.cachedInputPerM : price.cachedInputPerM;

  // Audio is priced apart only where the model has an audio price; cached audio likewise.
  const cachedAudio =
    price.audioInputPerM === undefined
      ? 0
      : Math.min(audioTokens(usage.cacheTokensDetails), tokens.cached_input);
  const uncachedAudio =
    price.audioInputPerM === undefined
      ? 0
      : Math.min(Math.max(0, audioTokens(usage.promptTokensDetails) - cachedAudio), tokens.input);
  const multiplier = TIER_MULTIPLIER[tier];
  const usd = (tokensCount: number, perM: number) => (tokensCount * perM * multiplier) / 1_000_000;

  const input =
    usd(tokens.input - uncachedAudio, inputPerM) +
    usd(uncachedAudio, price.audioInputPerM ?? inputPerM);
  const cachedInput =
    usd(tokens.cached_input - cachedAudio, cachedPerM) +
    usd(cachedAudio, price.cachedAudioInputPerM ?? cachedPerM);
  const output = usd(tokens.output, outputPerM);
  const thinking = usd(tokens.thinking, outputPerM);
  const toolUseInput = usd(tokens.tool_use_input, inputPerM);
  return {
    known: true,
    pricedAs: entry.model,
    tier,
    longContext: long,
    tokens,
    usd: {
      input,
      cached_input: cachedInput,
      output,
      thinking,
      tool_use_input: toolUseInput,
      total: input + cachedInput + output + thinking + toolUseInput,
    },
  };
}
