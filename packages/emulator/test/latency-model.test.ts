import { describe, expect, it } from 'vitest';
import { builtinModels, LatencyModel, type ModelProfile, Random } from '../src/index.js';

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function draws(profile: ModelProfile, seed: number, n = 10_000) {
  const model = new LatencyModel(profile);
  const random = new Random(seed);
  const ttft: number[] = [];
  const thinking: number[] = [];
  const decode: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = model.sample(random);
    ttft.push(s.ttftMs);
    thinking.push(s.thinkingMs);
    decode.push(s.decodeTokensPerSecond);
  }
  const sort = (xs: number[]) => xs.sort((a, b) => a - b);
  return { ttft: sort(ttft), thinking: sort(thinking), decode: sort(decode) };
}

function expectWithin(actual: number, expected: number, tolerance: number) {
  expect(Math.abs(actual / expected - 1), `${actual} vs ${expected}`).toBeLessThan(tolerance);
}

const profiles = builtinModels('default');

describe('latency model distributions (seeded, 10,000 samples)', () => {
  for (const [name, profile] of Object.entries(profiles)) {
    for (const seed of [1, 42]) {
      it(`${name}, seed ${seed}: TTFT, thinking and decode rate median and p95 within 5%`, () => {
        const d = draws(profile, seed);
        expectWithin(quantile(d.ttft, 0.5), profile.ttftMs.median, 0.05);
        expectWithin(quantile(d.ttft, 0.95), profile.ttftMs.p95, 0.05);
        expectWithin(quantile(d.decode, 0.5), profile.decodeTokensPerSecond.median, 0.05);
        expectWithin(quantile(d.decode, 0.95), profile.decodeTokensPerSecond.p95, 0.05);
        if (profile.thinkingMs.median > 0) {
          expectWithin(quantile(d.thinking, 0.5), profile.thinkingMs.median, 0.05);
          expectWithin(quantile(d.thinking, 0.95), profile.thinkingMs.p95, 0.05);
        }
      });
    }
  }

  it('an overridden profile is reproduced too', () => {
    const base = profiles['gemini-2.5-flash'];
    if (base === undefined) throw new Error('missing profile');
    const d = draws(
      {
        ...base,
        ttftMs: { median: 120, p95: 480 },
        decodeTokensPerSecond: { median: 60, p95: 75 },
      },
      9,
    );
    expectWithin(quantile(d.ttft, 0.5), 120, 0.05);
    expectWithin(quantile(d.ttft, 0.95), 480, 0.05);
    expectWithin(quantile(d.decode, 0.5), 60, 0.05);
    expectWithin(quantile(d.decode, 0.95), 75, 0.05);
  });

  it('the zero profile has no latency at all', () => {
    for (const profile of Object.values(builtinModels('zero'))) {
      const d = draws(profile, 3, 100);
      expect(d.ttft.at(-1)).toBe(0);
      expect(d.thinking.at(-1)).toBe(0);
      expect(d.decode[0]).toBeGreaterThanOrEqual(1e9);
    }
  });

  it('slows down mildly with load and by the regression multiplier, on the same draws', () => {
    const profile = profiles['gemini-2.5-flash'];
    if (profile === undefined) throw new Error('missing profile');
    const model = new LatencyModel(profile);
    const idle = model.sample(new Random(5), { load: 1, multiplier: 1 });
    const busy = model.sample(new Random(5), { load: 101, multiplier: 1 });
    const regressed = model.sample(new Random(5), { load: 1, multiplier: 3 });
    expect(busy.ttftMs / idle.ttftMs).toBeCloseTo(1 + 100 * profile.loadSlowdown, 9);
    expect(idle.decodeTokensPerSecond / busy.decodeTokensPerSecond).toBeCloseTo(
      1 + 100 * profile.loadSlowdown,
      9,
    );
    expect(regressed.ttftMs / idle.ttftMs).toBeCloseTo(3, 9);
    expect(regressed.thinkingMs / idle.thinkingMs).toBeCloseTo(3, 9);
  });
});
