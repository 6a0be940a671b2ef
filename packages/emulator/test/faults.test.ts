import { ApiError, type GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { apiError, client, emulator } from './helpers.js';

const withFault = (fault: string) => ({ httpOptions: { headers: { 'x-emulator-fault': fault } } });

async function failure(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function unary(ai: GoogleGenAI, fault: string) {
  return ai.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: 'x',
    config: withFault(fault),
  });
}

async function streamed(ai: GoogleGenAI, fault: string, seen: string[]) {
  const stream = await ai.models.generateContentStream({
    model: 'gemini-2.5-flash',
    contents: 'x',
    config: { ...withFault(fault), thinkingConfig: { thinkingBudget: 0 } },
  });
  for await (const chunk of stream) seen.push(chunk.text ?? '');
}

describe('faults by header, through the real client', () => {
  it('500 and 503 carry the API error bodies, unary and streaming', async () => {
    const handle = await emulator();
    const ai = client(handle);
    expect(await apiError(() => unary(ai, '500'))).toEqual({
      status: 500,
      body: {
        error: {
          code: 500,
          status: 'INTERNAL',
          message:
            'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
        },
      },
    });
    expect(await apiError(() => unary(ai, '503'))).toEqual({
      status: 503,
      body: {
        error: {
          code: 503,
          status: 'UNAVAILABLE',
          message: 'The model is overloaded. Please try again later.',
        },
      },
    });
    const seen: string[] = [];
    expect((await apiError(() => streamed(ai, '503', seen))).status).toBe(503);
    expect(seen).toEqual([]);
    expect(handle.stats().faultsInjected).toMatchObject({ '500': 1, '503': 2 });
  });

  it('reset drops the connection: before the answer, or mid-stream after the first chunk', async () => {
    const handle = await emulator();
    const ai = client(handle);
    const error = await failure(() => unary(ai, 'reset'));
    expect(error).not.toBeInstanceOf(ApiError);
    expect(error.message).toBe('fetch failed');
    const seen: string[] = [];
    const mid = await failure(() => streamed(ai, 'reset', seen));
    expect(mid).not.toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);
    // The emulator is still serving.
    expect(
      (await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'abcd' })).totalTokens,
    ).toBe(1);
  });

  it('stall never answers (or stops mid-stream) until the client gives up', async () => {
    const handle = await emulator();
    const ai = client(handle, 'v1beta', { timeout: 300 });
    const started = performance.now();
    const error = await failure(() => unary(ai, 'stall'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(error.name).toMatch(/AbortError|TimeoutError/);
    const seen: string[] = [];
    const mid = await failure(() => streamed(ai, 'stall', seen));
    expect(mid.name).toMatch(/AbortError|TimeoutError/);
    expect(seen).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(handle.stats().inFlight).toBe(0);
  });

  it('malformed-chunk breaks the JSON: the client fails to parse it', async () => {
    const ai = client(await emulator());
    const error = await failure(() => unary(ai, 'malformed-chunk'));
    expect(error).toBeInstanceOf(SyntaxError);
    const seen: string[] = [];
    const mid = await failure(() => streamed(ai, 'malformed-chunk', seen));
    expect(mid).toBeInstanceOf(SyntaxError);
    expect(seen).toHaveLength(1);
  });

  it('slow-first-byte delays the answer by slowFirstByteMs (scaled), then answers normally', async () => {
    // 3 s at speed 10: at least 300 ms of real time before the first byte.
    const ai = client(
      await emulator({ speed: 10, profile: 'zero', faults: { slowFirstByteMs: 3000 } }),
    );
    let started = performance.now();
    const res = await unary(ai, 'slow-first-byte');
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    expect(res.text).toBeTruthy();
    started = performance.now();
    const seen: string[] = [];
    await streamed(ai, 'slow-first-byte', seen);
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('applies to the Files and Batch APIs too', async () => {
    const ai = client(await emulator());
    const error = await apiError(() => ai.batches.list({ config: withFault('503') }));
    expect(error.status).toBe(503);
  });
});

describe('faults by rate', () => {
  async function outcomes(seed: number): Promise<string[]> {
    const handle = await emulator({
      seed,
      profile: 'zero',
      faults: { rates: { '500': 0.2, '503': 0.3 } },
    });
    const ai = client(handle);
    const seen: string[] = [];
    for (let i = 0; i < 60; i++) {
      try {
        await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'x' });
        seen.push('ok');
      } catch (error) {
        seen.push(error instanceof ApiError ? String(error.status) : 'other');
      }
    }
    const stats = handle.stats();
    expect(stats.faultsInjected['500']).toBe(seen.filter((s) => s === '500').length);
    expect(stats.faultsInjected['503']).toBe(seen.filter((s) => s === '503').length);
    return seen;
  }

  it('are drawn from the seed: the same seed injects the same faults on the same calls', async () => {
    const first = await outcomes(7);
    expect(await outcomes(7)).toEqual(first);
    expect(await outcomes(8)).not.toEqual(first);
    const failed = first.filter((s) => s !== 'ok').length;
    // 50% expected of 60 calls; a wide band that a working draw always meets for this seed.
    expect(failed).toBeGreaterThan(15);
    expect(failed).toBeLessThan(45);
    expect(first).not.toContain('other');
  });
});
