import { describe, expect, it } from 'vitest';
import { LogNormal, Random } from '../src/index.js';

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

describe('Random', () => {
  it('is deterministic by seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 5 }, () => r.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    for (const x of draw(7)) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('draws integers over the whole closed range, roughly uniformly', () => {
    const r = new Random(3);
    const counts = new Map<number, number>();
    for (let i = 0; i < 60_000; i++) {
      const v = r.int(1, 6);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => new Random(1.5)).toThrow('seed must be a safe integer (got 1.5)');
  });
});

describe('LogNormal', () => {
  it.each([
    [42, 800, 1500],
    [7, 350, 900],
    [1234, 65, 80],
  ])(
    'seed %i: median %i and p95 %i are reproduced within 5%% over 10,000 samples',
    (seed, median, p95) => {
      const dist = new LogNormal(median, p95);
      const r = new Random(seed);
      const samples = Array.from({ length: 10_000 }, () => dist.sample(r)).sort((a, b) => a - b);
      expect(Math.abs(quantile(samples, 0.5) / median - 1)).toBeLessThan(0.05);
      expect(Math.abs(quantile(samples, 0.95) / p95 - 1)).toBeLessThan(0.05);
      expect(samples[0]).toBeGreaterThan(0);
    },
  );

  it('rejects a p95 below the median', () => {
    expect(() => new LogNormal(500, 400)).toThrow(
      'p95 must be >= median (got p95 400, median 500)',
    );
  });
});
