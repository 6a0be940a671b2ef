import { describe, expect, it } from 'vitest';
import {
  costOf,
  DEFAULT_PRICES,
  findPrice,
  resolvePriceTable,
  tokensByKind,
} from '../src/index.js';

const table = DEFAULT_PRICES;
const M = 1_000_000;

function known(result: ReturnType<typeof costOf>) {
  if (!result.known) throw new Error(result.reason);
  return result;
}

describe('costOf', () => {
  it('prices a flash call: input, output and thinking (at the output price)', () => {
    const cost = known(
      costOf(
        { promptTokenCount: M, candidatesTokenCount: M, thoughtsTokenCount: M },
        'gemini-2.5-flash',
        'standard',
        table,
      ),
    );
    expect(cost.usd.input).toBeCloseTo(0.3, 10);
    expect(cost.usd.output).toBeCloseTo(2.5, 10);
    expect(cost.usd.thinking).toBeCloseTo(2.5, 10);
    expect(cost.usd.total).toBeCloseTo(5.3, 10);
    expect(cost.pricedAs).toBe('gemini-2.5-flash');
    expect(cost.longContext).toBe(false);
  });

  it('charges cached tokens at the cached price and only the rest at the input price', () => {
    const cost = known(
      costOf(
        { promptTokenCount: 1_000_000, cachedContentTokenCount: 600_000 },
        'gemini-2.5-flash',
        'standard',
        table,
      ),
    );
    expect(cost.tokens).toMatchObject({ input: 400_000, cached_input: 600_000 });
    expect(cost.usd.input).toBeCloseTo(0.4 * 0.3, 10);
    expect(cost.usd.cached_input).toBeCloseTo(0.6 * 0.03, 10);
    expect(cost.usd.total).toBeCloseTo(0.12 + 0.018, 10);
  });

  it('switches gemini-2.5-pro to long-context prices above 200,000 prompt tokens, not at exactly 200,000', () => {
    const at = known(
      costOf(
        { promptTokenCount: 200_000, candidatesTokenCount: 1000 },
        'gemini-2.5-pro',
        'standard',
        table,
      ),
    );
    expect(at.longContext).toBe(false);
    expect(at.usd.input).toBeCloseTo(0.2 * 1.25, 10);
    expect(at.usd.output).toBeCloseTo(0.001 * 10, 10);

    const above = known(
      costOf(
        {
          promptTokenCount: 200_001,
          cachedContentTokenCount: 100_000,
          candidatesTokenCount: 1000,
          thoughtsTokenCount: 2000,
        },
        'gemini-2.5-pro',
        'standard',
        table,
      ),
    );
    expect(above.longContext).toBe(true);
    expect(above.usd.input).toBeCloseTo((100_001 / M) * 2.5, 10);
    expect(above.usd.cached_input).toBeCloseTo(0.1 * 0.25, 10);
    expect(above.usd.output).toBeCloseTo(0.001 * 15, 10);
    expect(above.usd.thinking).toBeCloseTo(0.002 * 15, 10);
  });

  it('prices audio input at the audio price, cached audio at the cached audio price', () => {
    const cost = known(
      costOf(
        {
          promptTokenCount: 1_000_000,
          cachedContentTokenCount: 200_000,
          promptTokensDetails: [
            { modality: 'TEXT', tokenCount: 400_000 },
            { modality: 'AUDIO', tokenCount: 600_000 },
          ],
          cacheTokensDetails: [{ modality: 'AUDIO', tokenCount: 200_000 }],
        },
        'gemini-2.5-flash',
        'standard',
        table,
      ),
    );
    // Uncached: 400k text at $0.30 + 400k audio at $1.00; cached: 200k audio at $0.10.
    expect(cost.usd.input).toBeCloseTo(0.4 * 0.3 + 0.4 * 1, 10);
    expect(cost.usd.cached_input).toBeCloseTo(0.2 * 0.1, 10);
  });

  it('charges tool-use prompt tokens at the input price', () => {
    const cost = known(
      costOf(
        { promptTokenCount: 0, toolUsePromptTokenCount: M },
        'gemini-2.5-flash-lite',
        'standard',
        table,
      ),
    );
    expect(cost.usd.tool_use_input).toBeCloseTo(0.1, 10);
  });

  it('halves every kind for the Batch API and Flex tiers', () => {
    const usage = {
      promptTokenCount: M,
      cachedContentTokenCount: M / 2,
      candidatesTokenCount: M,
      thoughtsTokenCount: M,
    };
    const standard = known(costOf(usage, 'gemini-2.5-flash', 'standard', table));
    for (const tier of ['batch', 'flex'] as const) {
      const cheaper = known(costOf(usage, 'gemini-2.5-flash', tier, table));
      expect(cheaper.usd.total).toBeCloseTo(standard.usd.total / 2, 10);
      expect(cheaper.usd.cached_input).toBeCloseTo(standard.usd.cached_input / 2, 10);
      expect(cheaper.tier).toBe(tier);
    }
  });

  it('gives an unknown model no cost and a reason, but still counts its tokens', () => {
    const result = costOf(
      { promptTokenCount: 10, candidatesTokenCount: 5 },
      'my-tuned-model',
      'standard',
      table,
    );
    expect(result).toEqual({
      known: false,
      reason: 'no price for model "my-tuned-model"; add it under pricing in the configuration',
      tokens: { input: 10, cached_input: 0, output: 5, thinking: 0, tool_use_input: 0 },
    });
  });

  it('treats missing, negative and inconsistent counts safely', () => {
    expect(tokensByKind({})).toEqual({
      input: 0,
      cached_input: 0,
      output: 0,
      thinking: 0,
      tool_use_input: 0,
    });
    expect(
      tokensByKind({ promptTokenCount: 10, cachedContentTokenCount: 50, candidatesTokenCount: -3 }),
    ).toEqual({
      input: 0,
      cached_input: 10,
      output: 0,
      thinking: 0,
      tool_use_input: 0,
    });
  });
});

describe('price table', () => {
  it('resolves versioned and prefixed model names to the longest matching entry', () => {
    expect(findPrice(table, 'models/gemini-2.5-flash')?.model).toBe('gemini-2.5-flash');
    expect(findPrice(table, 'gemini-2.5-flash-001')?.model).toBe('gemini-2.5-flash');
    expect(findPrice(table, 'gemini-2.5-flash-lite-preview-09-2025')?.model).toBe(
      'gemini-2.5-flash-lite',
    );
    expect(findPrice(table, 'gemini-2.5-flashy')).toBeUndefined();
    expect(findPrice(table, 'gemini-1.0-pro')).toBeUndefined();
  });

  it('applies configuration overrides over the built-in prices and adds new models', () => {
    const resolved = resolvePriceTable({
      'gemini-2.5-flash': { inputPerM: 0.25 },
      'my-tuned-model': { inputPerM: 1, outputPerM: 4 },
    });
    expect(resolved['gemini-2.5-flash']).toMatchObject({
      inputPerM: 0.25,
      outputPerM: 2.5,
      cachedInputPerM: 0.03,
    });
    expect(resolved['my-tuned-model']).toEqual({ inputPerM: 1, outputPerM: 4, cachedInputPerM: 1 });
    expect(DEFAULT_PRICES['gemini-2.5-flash']?.inputPerM).toBe(0.3);
    expect(Object.isFrozen(resolved)).toBe(true);
  });
});
