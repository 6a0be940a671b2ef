import { describe, expect, it } from 'vitest';
import { EmulatorOptionsError, resolveOptions, startEmulator } from '../src/index.js';

function fieldOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof EmulatorOptionsError)
      return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('expected an EmulatorOptionsError');
}

describe('options', () => {
  it('applies defaults', () => {
    const o = resolveOptions();
    expect(o).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      profile: 'default',
      speed: 1,
      seed: 1,
      keepAliveTimeoutMs: 120_000,
      bodyLimitBytes: 20 * 1024 * 1024,
      quotaEnabled: true,
      network: { connectDelayMs: 0, rttMs: 0, tls: false },
      functionCalling: { rounds: 1 },
      apiKeys: null,
    });
    expect(Object.keys(o.models)).toEqual([
      'gemini-2.5-pro',
      'gemini-2.5-flash',
      'gemini-2.5-flash-lite',
      'gemini-embedding-001',
      'text-embedding-004',
    ]);
    expect(o.quota['gemini-2.5-flash']).toEqual({ rpm: 1000, inputTpm: 1_000_000, rpd: 10_000 });
  });

  it('merges model and quota overrides over the built-ins', () => {
    const o = resolveOptions({
      models: {
        'gemini-2.5-flash': { slots: 4 },
        'tiny-1': { base: 'gemini-2.5-flash-lite', chunkTokens: 2 },
      },
      quota: { 'gemini-2.5-flash': { rpm: 5, rpd: null }, 'tiny-1': { rpm: 1 } },
    });
    expect(o.models['gemini-2.5-flash']?.slots).toBe(4);
    expect(o.models['gemini-2.5-flash']?.ttftMs).toEqual({ median: 450, p95: 1200 });
    expect(o.models['tiny-1']).toMatchObject({
      kind: 'generate',
      chunkTokens: 2,
      ttftMs: { median: 300, p95: 700 },
    });
    expect(o.quota['gemini-2.5-flash']).toEqual({ rpm: 5, inputTpm: 1_000_000, rpd: null });
    expect(o.quota['tiny-1']).toEqual({ rpm: 1, inputTpm: null, rpd: null });
  });

  it.each([
    [{ speed: 0 }, 'speed', 'speed must be > 0 (got 0)'],
    [{ sped: 2 }, 'sped', 'sped is not a known option'],
    [{ port: 70_000 }, 'port', 'port must be <= 65535 (got 70000)'],
    [{ profile: 'fast' }, 'profile', 'profile must be one of default, zero (got "fast")'],
    [
      { models: { 'gemini-2.5-flash': { ttftMs: { median: 500, p95: 100 } } } },
      'models.gemini-2.5-flash.ttftMs.p95',
      'models.gemini-2.5-flash.ttftMs.p95 must be >= median (got 100, median 500)',
    ],
    [
      { models: { 'gemini-2.5-flash': { decodeTokensPerSecond: { median: 0, p95: 0 } } } },
      'models.gemini-2.5-flash.decodeTokensPerSecond.median',
      'models.gemini-2.5-flash.decodeTokensPerSecond.median must be > 0 (got 0)',
    ],
    [{ models: { 'Bad Name': {} } }, 'models.Bad Name', 'is not a model id'],
    [
      { quota: { 'gemini-9': { rpm: 1 } } },
      'quota.gemini-9',
      'names a model the emulator does not serve',
    ],
    [
      { quota: { 'gemini-2.5-flash': { rpm: 0 } } },
      'quota.gemini-2.5-flash.rpm',
      'must be >= 1 (got 0)',
    ],
    [
      { faults: { rates: { '500': 0.7, stall: 0.7 } } },
      'faults.rates',
      'must add up to at most 1 (got 1.4)',
    ],
    [{ faults: { rates: { fire: 1 } } }, 'faults.rates.fire', 'is not a known option'],
    [{ network: { tls: 'yes' } }, 'network.tls', 'must be true or false (got "yes")'],
    [{ apiKeys: [] }, 'apiKeys', 'must be a non-empty array of strings or null'],
  ])('refuses %j naming %s', (options, field, message) => {
    const error = fieldOf(() => resolveOptions(options as never));
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('startEmulator rejects bad options before listening, and closes idempotently', async () => {
    await expect(startEmulator({ speed: -1 })).rejects.toThrow('speed must be > 0 (got -1)');
    const handle = await startEmulator({ port: 0 });
    expect(handle.url).toBe(`http://127.0.0.1:${handle.port}`);
    expect(handle.port).toBeGreaterThan(0);
    await Promise.all([handle.close(), handle.close()]);
    await expect(fetch(`${handle.url}/healthz`)).rejects.toThrow();
  });
});
