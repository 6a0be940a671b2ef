import { ManualClock } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { AimdLimiter, RetryBudget, retryDelayMs } from '../src/index.js';

describe('retryDelayMs (full jitter)', () => {
  const options = (r: number) => ({ baseDelayMs: 500, maxDelayMs: 8000, random: () => r });

  it('draws uniformly below base × 2^(attempt − 1), capped at the maximum', () => {
    expect(retryDelayMs(1, options(0.5))).toBe(250);
    expect(retryDelayMs(3, options(0.5))).toBe(1000);
    expect(retryDelayMs(10, options(0.999))).toBeCloseTo(7992, 6);
    expect(retryDelayMs(4, options(0))).toBe(0);
    for (let attempt = 1; attempt <= 8; attempt++) {
      const d = retryDelayMs(attempt, { baseDelayMs: 500, maxDelayMs: 8000 });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(8000, 500 * 2 ** (attempt - 1)));
    }
  });

  it("never retries before the server's RetryInfo delay, with up to one base of jitter on top", () => {
    expect(retryDelayMs(1, options(0.5), 20_000)).toBe(20_250);
    expect(retryDelayMs(1, options(0), 20_000)).toBe(20_000);
    // A short server delay does not shorten the backoff.
    expect(retryDelayMs(5, options(0.5), 100)).toBe(4000);
    expect(() => retryDelayMs(0, options(0.5))).toThrow('attempt must be an integer >= 1 (got 0)');
  });
});

describe('RetryBudget', () => {
  it('keeps retries within the ratio of first attempts plus a small reserve', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 0.1, windowMs: 10_000, clock });
    for (let i = 0; i < 100; i++) budget.recordRequest();
    let allowed = 0;
    while (budget.tryRetry()) allowed++;
    // 0.2 × 100 + 0.1/s × 10 s = 21
    expect(allowed).toBe(21);
    clock.advance(11_000);
    expect(budget.tryRetry()).toBe(true); // the window moved on: only the reserve is left
    expect(budget.tryRetry()).toBe(false);
  });

  it('refuses a ratio outside [0, 1]', () => {
    expect(() => new RetryBudget({ ratio: 2 })).toThrow('ratio must be in [0, 1] (got 2)');
  });
});

describe('AimdLimiter', () => {
  it('grows by about one per limit of successes while latency holds', () => {
    const aimd = new AimdLimiter({ min: 1, max: 64, initial: 4 });
    for (let i = 0; i < 4; i++) aimd.onSuccess(100);
    expect(aimd.limit).toBe(4);
    for (let i = 0; i < 5; i++) aimd.onSuccess(100);
    expect(aimd.limit).toBe(5);
    for (let i = 0; i < 1000; i++) aimd.onSuccess(100);
    expect(aimd.limit).toBe(45);
  });

  it('with a latency tolerance, stops growing when latency rises past it', () => {
    const aimd = new AimdLimiter({ min: 1, max: 64, initial: 10, latencyTolerance: 2 });
    aimd.onSuccess(100);
    for (let i = 0; i < 50; i++) aimd.onSuccess(400);
    const stalled = aimd.limit;
    for (let i = 0; i < 50; i++) aimd.onSuccess(400);
    expect(aimd.limit).toBe(stalled);
  });

  it('by default keeps growing when answer lengths, and so latencies, vary', () => {
    const aimd = new AimdLimiter({ min: 1, max: 64, initial: 4 });
    aimd.onSuccess(100);
    for (let i = 0; i < 200; i++) aimd.onSuccess(i % 2 === 0 ? 100 : 900, 64);
    expect(aimd.limit).toBeGreaterThan(15);
  });

  it('halves on overload at most once per cooldown, never below min, never above max', () => {
    const aimd = new AimdLimiter({ min: 2, max: 16, initial: 40, decreaseCooldownMs: 1000 });
    expect(aimd.limit).toBe(16);
    aimd.onOverload(0);
    expect(aimd.limit).toBe(8);
    aimd.onOverload(500); // same burst
    expect(aimd.limit).toBe(8);
    aimd.onOverload(1500);
    aimd.onOverload(2500);
    aimd.onOverload(3500);
    expect(aimd.limit).toBe(2);
    expect(() => new AimdLimiter({ min: 5, max: 4, initial: 4 })).toThrow(
      'need 1 <= min <= max (got min 5, max 4)',
    );
  });
});
