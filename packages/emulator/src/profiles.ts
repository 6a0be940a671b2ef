/**
 * Built-in model profiles: how each emulated model behaves (latency, output length, limits) and
 * the project quota it starts with. The figures are plausible defaults shaped like public
 * measurements of the Gemini 2.5 family, not Google's numbers; every one can be overridden, and
 * the benchmarks measure what a client sees rather than quoting these.
 */

/** A positive, right-skewed quantity given as it is usually quoted. `median: 0` means always 0. */
export interface Quantiles {
  median: number;
  p95: number;
}

/**
 * How a model thinks: `default-on` (thinks unless `thinkingBudget: 0`), `required` (thinks;
 * budget 0 is a 400, as Gemini 2.5 Pro answers), `default-off` (thinks only with a budget > 0).
 */
export type ThinkingMode = 'default-on' | 'required' | 'default-off';

/** One emulated model. */
export interface ModelProfile {
  /** `generate` models serve generateContent; `embed` models serve batchEmbedContents. */
  kind: 'generate' | 'embed';
  displayName: string;
  /** Time to first chunk of output, before any thinking; for embed models, the whole latency. */
  ttftMs: Quantiles;
  /** Time spent thinking before the first chunk, when the model thinks. */
  thinkingMs: Quantiles;
  thinking: ThinkingMode;
  /** Decode speed; thinking produces tokens at the same rate. */
  decodeTokensPerSecond: Quantiles;
  /** Length of an answer when `maxOutputTokens` does not cut it short. */
  outputTokens: Quantiles;
  /** Tokens per streamed chunk. */
  chunkTokens: number;
  /** Mild slowdown with load: each other generation in flight on this model adds this fraction. */
  loadSlowdown: number;
  /** Concurrent generations this model serves; the rest wait in a server-side queue. `null`: unlimited. */
  slots: number | null;
  /** Longest queue before new requests get 503 UNAVAILABLE. `null`: unbounded. */
  maxQueue: number | null;
  inputTokenLimit: number;
  outputTokenLimit: number;
  /** Vector length of embeddings (embed models), unless `outputDimensionality` asks for fewer. */
  embeddingDimensions: number;
  /** Share of the prompt reported as implicitly cached, for prompts of at least `implicitCacheMinTokens`. */
  implicitCacheShare: number;
  implicitCacheMinTokens: number;
  /** Tokens a request's `cachedContent` reference adds to the prompt (all of them cached). */
  cachedContentTokens: number;
}

/** A project's quota for one model; `null` means unlimited. */
export interface QuotaLimits {
  rpm: number | null;
  inputTpm: number | null;
  rpd: number | null;
}

/** `default`: realistic latencies; `zero`: no latency at all, for measuring the server itself. */
export const PROFILE_NAMES = ['default', 'zero'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const generative = {
  kind: 'generate',
  chunkTokens: 16,
  loadSlowdown: 0.002,
  slots: null,
  maxQueue: null,
  inputTokenLimit: 1_048_576,
  outputTokenLimit: 65_536,
  embeddingDimensions: 0,
  implicitCacheShare: 0,
  cachedContentTokens: 4096,
} as const;

const embedding = {
  kind: 'embed',
  thinkingMs: { median: 0, p95: 0 },
  thinking: 'default-off',
  decodeTokensPerSecond: { median: 1_000_000, p95: 1_000_000 },
  outputTokens: { median: 1, p95: 1 },
  chunkTokens: 1,
  loadSlowdown: 0.001,
  slots: null,
  maxQueue: null,
  inputTokenLimit: 2048,
  outputTokenLimit: 1,
  implicitCacheShare: 0,
  implicitCacheMinTokens: 0,
  cachedContentTokens: 0,
} as const;

const DEFAULT_MODELS: Readonly<Record<string, ModelProfile>> = {
  'gemini-2.5-pro': {
    ...generative,
    displayName: 'Gemini 2.5 Pro',
    ttftMs: { median: 900, p95: 2500 },
    thinkingMs: { median: 6000, p95: 18_000 },
    thinking: 'required',
    decodeTokensPerSecond: { median: 150, p95: 200 },
    outputTokens: { median: 600, p95: 2000 },
    implicitCacheMinTokens: 2048,
  },
  'gemini-2.5-flash': {
    ...generative,
    displayName: 'Gemini 2.5 Flash',
    ttftMs: { median: 450, p95: 1200 },
    thinkingMs: { median: 2000, p95: 6000 },
    thinking: 'default-on',
    decodeTokensPerSecond: { median: 250, p95: 330 },
    outputTokens: { median: 400, p95: 1500 },
    implicitCacheMinTokens: 1024,
  },
  'gemini-2.5-flash-lite': {
    ...generative,
    displayName: 'Gemini 2.5 Flash-Lite',
    ttftMs: { median: 300, p95: 700 },
    thinkingMs: { median: 1000, p95: 3000 },
    thinking: 'default-off',
    decodeTokensPerSecond: { median: 400, p95: 520 },
    outputTokens: { median: 300, p95: 1000 },
    implicitCacheMinTokens: 1024,
  },
  'gemini-embedding-001': {
    ...embedding,
    displayName: 'Gemini Embedding 001',
    ttftMs: { median: 120, p95: 350 },
    embeddingDimensions: 3072,
  },
  'text-embedding-004': {
    ...embedding,
    displayName: 'Text Embedding 004',
    ttftMs: { median: 80, p95: 250 },
    embeddingDimensions: 768,
  },
};

/** The same models with every time constant at zero and decode effectively instant. */
function zeroed(models: Readonly<Record<string, ModelProfile>>): Record<string, ModelProfile> {
  const out: Record<string, ModelProfile> = {};
  for (const [name, profile] of Object.entries(models)) {
    out[name] = {
      ...profile,
      ttftMs: { median: 0, p95: 0 },
      thinkingMs: { median: 0, p95: 0 },
      decodeTokensPerSecond: { median: 1_000_000_000, p95: 1_000_000_000 },
      loadSlowdown: 0,
    };
  }
  return out;
}

/** The model profiles of each named profile. */
export function builtinModels(profile: ProfileName): Record<string, ModelProfile> {
  return profile === 'zero' ? zeroed(DEFAULT_MODELS) : structuredClone(DEFAULT_MODELS);
}

/** A pay-as-you-go (tier 1 like) project quota per model. */
export function builtinQuota(): Record<string, QuotaLimits> {
  return {
    'gemini-2.5-pro': { rpm: 150, inputTpm: 2_000_000, rpd: 10_000 },
    'gemini-2.5-flash': { rpm: 1000, inputTpm: 1_000_000, rpd: 10_000 },
    'gemini-2.5-flash-lite': { rpm: 4000, inputTpm: 4_000_000, rpd: null },
    'gemini-embedding-001': { rpm: 3000, inputTpm: 1_000_000, rpd: null },
    'text-embedding-004': { rpm: 1500, inputTpm: 1_000_000, rpd: null },
  };
}
