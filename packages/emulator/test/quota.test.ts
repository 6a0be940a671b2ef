import { describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS, QuotaTracker } from '../src/quota.js';
import { apiError, client, emulator } from './helpers.js';

const unlimited = { rpm: null, inputTpm: null, rpd: null };

describe('QuotaTracker (emulated time, no clock)', () => {
  it('counts requests over a sliding minute and says exactly when the next one fits', () => {
    const q = new QuotaTracker();
    const limits = { ...unlimited, rpm: 3 };
    for (const t of [0, 10, 20]) expect(q.admit('m', limits, 1, t)).toEqual({ admitted: true });
    expect(q.admit('m', limits, 1, 30)).toEqual({
      admitted: false,
      exceeded: ['rpm'],
      retryAfterMs: MINUTE_MS - 30,
    });
    expect(q.admit('m', limits, 1, MINUTE_MS - 1)).toMatchObject({
      admitted: false,
      retryAfterMs: 1,
    });
    expect(q.admit('m', limits, 1, MINUTE_MS)).toEqual({ admitted: true });
    // Refused requests are not counted: the window now holds 10, 20, 60000.
    expect(q.usage('m', MINUTE_MS)).toMatchObject({ requestsPerMinute: 3 });
    expect(q.admit('m', limits, 1, MINUTE_MS + 1)).toMatchObject({ retryAfterMs: 9 });
  });

  it('counts input tokens per minute; a request larger than the limit can never fit', () => {
    const q = new QuotaTracker();
    const limits = { ...unlimited, inputTpm: 100 };
    expect(q.admit('m', limits, 60, 0).admitted).toBe(true);
    expect(q.admit('m', limits, 30, 1000).admitted).toBe(true);
    expect(q.admit('m', limits, 20, 2000)).toEqual({
      admitted: false,
      exceeded: ['inputTpm'],
      retryAfterMs: MINUTE_MS - 2000,
    });
    expect(q.admit('m', limits, 10, 2000).admitted).toBe(true);
    // 100 in the window: 45 more fit once the 60 has left, 75 more once the 30 has left too.
    expect(q.admit('m', limits, 45, 3000)).toMatchObject({ retryAfterMs: MINUTE_MS - 3000 });
    expect(q.admit('m', limits, 75, 3000)).toMatchObject({ retryAfterMs: MINUTE_MS + 1000 - 3000 });
    expect(q.admit('m', limits, 101, 3000)).toEqual({
      admitted: false,
      exceeded: ['inputTpm'],
      retryAfterMs: null,
    });
  });

  it('counts requests per day up to a fixed boundary, and reports the longest wait of several limits', () => {
    const q = new QuotaTracker();
    const limits = { rpm: 1, inputTpm: null, rpd: 2 };
    expect(q.admit('m', limits, 1, 1000).admitted).toBe(true);
    expect(q.admit('m', limits, 1, 70_000).admitted).toBe(true);
    expect(q.admit('m', limits, 1, 80_000)).toEqual({
      admitted: false,
      exceeded: ['rpm', 'rpd'],
      retryAfterMs: DAY_MS - 80_000,
    });
    expect(q.admit('m', limits, 1, DAY_MS).admitted).toBe(true);
    expect(q.admit('other', limits, 1, 80_000).admitted).toBe(true);
  });
});

describe('429 RESOURCE_EXHAUSTED through the real client', () => {
  it('carries QuotaFailure and a RetryInfo delay after which the retry succeeds', async () => {
    // Zero latency at speed 100: a quota minute lasts 600 ms.
    const handle = await emulator({
      profile: 'zero',
      speed: 100,
      quota: { 'gemini-2.5-flash': { rpm: 2 } },
    });
    const ai = client(handle);
    const call = () => ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    await call();
    await call();
    const refused = await apiError(call);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe(429);
    expect(refused.body.error.status).toBe('RESOURCE_EXHAUSTED');
    const [failure, help, retry] = refused.body.error.details ?? [];
    expect(failure).toEqual({
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model',
          quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
          quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
          quotaValue: '2',
        },
      ],
    });
    expect(help?.['@type']).toBe('type.googleapis.com/google.rpc.Help');
    expect(retry?.['@type']).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const retryDelay = String(retry?.retryDelay);
    expect(retryDelay).toMatch(/^\d+(\.\d{1,3})?s$/);
    expect(refused.body.error.message).toContain(`Please retry in ${retryDelay}.`);
    const delayMs = Number.parseFloat(retryDelay) * 1000;
    expect(delayMs).toBeGreaterThan(0);
    expect(delayMs).toBeLessThanOrEqual(601);

    // Retrying at once is refused again; retrying after the delay is admitted.
    expect((await apiError(call)).status).toBe(429);
    await new Promise((r) => setTimeout(r, delayMs));
    const admitted = await call();
    expect(admitted.candidates?.[0]?.finishReason).toBeDefined();
    expect(handle.stats()).toMatchObject({
      rateLimited: 2,
      rateLimitedByLimit: { rpm: 2, inputTpm: 0, rpd: 0 },
    });
  });

  it('limits input tokens per minute; a request that can never fit gets no RetryInfo', async () => {
    const handle = await emulator({
      profile: 'zero',
      speed: 100,
      quota: { 'gemini-2.5-flash': { inputTpm: 100 } },
    });
    const ai = client(handle);
    const prompt = (tokens: number) => 'abcd'.repeat(tokens);
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt(80) });
    const refused = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt(30) }),
    );
    expect(refused.status).toBe(429);
    const violations = refused.body.error.details?.[0]?.violations as
      | Array<Record<string, unknown>>
      | undefined;
    const violation = violations?.[0];
    expect(violation?.quotaId).toBe('GenerateContentPaidTierInputTokensPerModelPerMinute');
    expect(violation?.quotaValue).toBe('100');
    const retry = refused.body.error.details?.find(
      (d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo',
    );
    await new Promise((r) => setTimeout(r, Number.parseFloat(String(retry?.retryDelay)) * 1000));
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt(30) });

    const never = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt(101) }),
    );
    expect(never.status).toBe(429);
    expect(
      never.body.error.details?.some(
        (d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo',
      ),
    ).toBe(false);
    expect(never.body.error.message).not.toContain('Please retry');
  });

  it('counts each model separately, and only generation and embedding calls', async () => {
    const handle = await emulator({
      profile: 'zero',
      speed: 100,
      quota: { 'gemini-2.5-flash': { rpm: 1 } },
    });
    const ai = client(handle);
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'a' });
    await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'a' });
    await ai.models.generateContent({ model: 'gemini-2.5-flash-lite', contents: 'a' });
    expect(
      (
        await apiError(() =>
          ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'a' }),
        )
      ).status,
    ).toBe(429);
    const streamRefused = await apiError(async () => {
      for await (const _ of await ai.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'a',
      })) {
        // consume
      }
    });
    expect(streamRefused.status).toBe(429);
  });
});
