import { describe, expect, it } from 'vitest';
import { EmulatorOptionsError } from '../src/index.js';
import { apiError, client, emulator, raw } from './helpers.js';

const slowFirstToken = {
  'gemini-2.5-flash-lite': {
    ttftMs: { median: 1000, p95: 1000 },
    outputTokens: { median: 4, p95: 4 },
    decodeTokensPerSecond: { median: 1e6, p95: 1e6 },
  },
};

async function control(url: string, patch: unknown) {
  const res = await fetch(`${url}/emulator/control`, {
    method: 'POST',
    body: JSON.stringify(patch),
  });
  const body = (await res.json()) as { latencyMultiplier?: number; error?: { message: string } };
  return { status: res.status, body };
}

describe('control route', () => {
  it('switches a latency regression on and off while running', async () => {
    // 1 s to first token at speed 100: 10 ms; regressed 30x: at least 300 ms.
    const handle = await emulator({ speed: 100, models: slowFirstToken });
    const ai = client(handle);
    const call = () => ai.models.generateContent({ model: 'gemini-2.5-flash-lite', contents: 'x' });
    await call();
    const on = await control(handle.url, { latencyMultiplier: 30 });
    expect(on).toMatchObject({ status: 200, body: { latencyMultiplier: 30 } });
    const started = performance.now();
    await call();
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    expect((await control(handle.url, { latencyMultiplier: 1 })).body.latencyMultiplier).toBe(1);
  });

  it('switches fault rates and the quota; reads the state back', async () => {
    const handle = await emulator({ profile: 'zero', speed: 1, quota: false });
    const ai = client(handle);
    const call = () => ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    for (let i = 0; i < 5; i++) await call();

    handle.control({ faults: { rates: { '500': 1 } } });
    expect((await apiError(call)).status).toBe(500);
    handle.control({ faults: { rates: { '500': 0 } } });
    await call();

    await control(handle.url, {
      quota: { enabled: true, limits: { 'gemini-2.5-flash': { rpm: 1 } } },
    });
    await call();
    expect((await apiError(call)).status).toBe(429);
    handle.control({ quota: { reset: true } });
    await call();
    handle.control({ quota: { enabled: false } });
    await call();

    const state = await (await fetch(`${handle.url}/emulator/control`)).json();
    expect(state).toMatchObject({
      latencyMultiplier: 1,
      faults: { rates: { '500': 0, '503': 0 }, slowFirstByteMs: 10_000 },
      quota: {
        enabled: false,
        limits: { 'gemini-2.5-flash': { rpm: 1, inputTpm: 1_000_000, rpd: 10_000 } },
      },
      functionCalling: { rounds: 1 },
    });
  });

  it('refuses a bad patch whole, naming the field', async () => {
    const handle = await emulator();
    const bad = await control(handle.url, {
      latencyMultiplier: 2,
      faults: { rates: { '500': 2 } },
    });
    expect(bad).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: 'control.faults.rates.500 must be <= 1 (got 2)',
        },
      },
    });
    expect(handle.control({}).latencyMultiplier).toBe(1);
    expect((await control(handle.url, { latency: 2 })).body.error?.message).toBe(
      'control.latency is not a known option (known: latencyMultiplier, faults, quota, functionCalling)',
    );
    expect((await raw(handle, '/emulator/control', { body: '{' })).status).toBe(400);
    expect(() => handle.control({ quota: { limits: { 'gemini-7': { rpm: 1 } } } })).toThrow(
      EmulatorOptionsError,
    );
    try {
      handle.control({ faults: { rates: { '500': 0.6, '503': 0.6 } } });
    } catch (error) {
      expect(error).toBeInstanceOf(EmulatorOptionsError);
      expect((error as EmulatorOptionsError).field).toBe('control.faults.rates');
    }
  });
});
