import type { PricingTier } from '../catalog/attributes.js';
import type { PricingOverrides } from '../config/schema.js';

/** Prices of one model in USD per 1M tokens. */
export interface ModelPrice {
  inputPerM: number;
  outputPerM: number;
  cachedInputPerM: number;
  /** Audio input, where it is priced differently from text, image and video. */
  audioInputPerM?: number;
  cachedAudioInputPerM?: number;
  /** Prices for prompts above a size (Gemini 2.5 Pro: above 200k tokens). */
  longContext?: {
    thresholdTokens: number;
    inputPerM: number;
    outputPerM: number;
    cachedInputPerM: number;
  };
}

export type PriceTable = Readonly<Record<string, Readonly<ModelPrice>>>;

/**
 * Gemini API paid-tier prices, USD per 1M tokens, from Google's published Gemini API pricing
 * page as of 2026-11 (ai.google.dev/gemini-api/docs/pricing). Output prices include thinking
 * tokens. Previews are listed where their price is published; update with `pricing` in the
 * configuration when Google changes a price, and the dashboards follow.
 */
export const DEFAULT_PRICES: PriceTable = Object.freeze({
  'gemini-2.5-pro': {
    inputPerM: 1.25,
    outputPerM: 10,
    cachedInputPerM: 0.125,
    longContext: {
      thresholdTokens: 200_000,
      inputPerM: 2.5,
      outputPerM: 15,
      cachedInputPerM: 0.25,
    },
  },
  'gemini-2.5-flash': {
    inputPerM: 0.3,
    outputPerM: 2.5,
    cachedInputPerM: 0.03,
    audioInputPerM: 1,
    cachedAudioInputPerM: 0.1,
  },
  'gemini-2.5-flash-lite': {
    inputPerM: 0.1,
    outputPerM: 0.4,
    cachedInputPerM: 0.01,
    audioInputPerM: 0.3,
    cachedAudioInputPerM: 0.03,
  },
  'gemini-3-pro-preview': {
    inputPerM: 2,
    outputPerM: 12,
    cachedInputPerM: 0.2,
    longContext: { thresholdTokens: 200_000, inputPerM: 4, outputPerM: 18, cachedInputPerM: 0.4 },
  },
  'gemini-3-flash-preview': {
    inputPerM: 0.5,
    outputPerM: 3,
    cachedInputPerM: 0.05,
    audioInputPerM: 1,
    cachedAudioInputPerM: 0.1,
  },
  'gemini-embedding-001': { inputPerM: 0.15, outputPerM: 0, cachedInputPerM: 0.15 },
});

/** Price multipliers per tier: the Batch API and Flex processing cost half. */
export const TIER_MULTIPLIER: Readonly<Record<PricingTier, number>> = Object.freeze({
  standard: 1,
  batch: 0.5,
  flex: 0.5,
});

/**
 * The built-in table with the configuration's `pricing` applied: a partial entry overrides the
 * fields it names of a known model; an entry for a new model must give input, output and
 * cached input prices (the configuration schema does not know which models are built in).
 */
export function resolvePriceTable(overrides: PricingOverrides = {}): PriceTable {
  const table: Record<string, ModelPrice> = { ...DEFAULT_PRICES };
  for (const [model, override] of Object.entries(overrides)) {
    const base = table[model];
    const merged = { ...base, ...stripUndefined(override) } as Partial<ModelPrice>;
    if (merged.inputPerM === undefined || merged.outputPerM === undefined) {
      throw new RangeError(
        `pricing[${JSON.stringify(model)}] is a model without a built-in price: give at least inputPerM and outputPerM`,
      );
    }
    table[model] = {
      ...merged,
      cachedInputPerM: merged.cachedInputPerM ?? merged.inputPerM,
    } as ModelPrice;
  }
  return Object.freeze(table);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The table entry for a model name as the API reports it: `models/` prefixes are dropped, and
 * a versioned name (`gemini-2.5-flash-001`, `gemini-2.5-flash-preview-09-2025`) takes the
 * price of the longest table entry it extends. Undefined when nothing matches.
 */
export function findPrice(
  table: PriceTable,
  model: string,
): { model: string; price: ModelPrice } | undefined {
  const name = model.replace(/^models\//, '');
  const exact = table[name];
  if (exact) return { model: name, price: exact };
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (name.startsWith(`${key}-`) && (best === undefined || key.length > best.length)) best = key;
  }
  const price = best === undefined ? undefined : table[best];
  return best !== undefined && price ? { model: best, price } : undefined;
}
