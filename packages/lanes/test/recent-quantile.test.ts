import { describe, expect, it } from 'vitest';
import { RecentQuantile } from '../src/latency/recent-quantile.js';

/** 1..n in a fixed scrambled order (37 is coprime with the sizes used), so sorting is exercised. */
function scrambled(n: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 37) % n) + 1);
}

function filled(values: readonly number[], capacity = 512, refreshEvery = 1): RecentQuantile {
  const q = new RecentQuantile(capacity, refreshEvery);
  for (const v of values) q.add(v);
  return q;
}

describe('RecentQuantile validation', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects capacity %s', (capacity) => {
    expect(() => new RecentQuantile(capacity)).toThrow(RangeError);
    expect(() => new RecentQuantile(capacity)).toThrow(
      `RecentQuantile: capacity must be an integer > 0 (got ${capacity})`,
    );
  });

  it.each([0, -4, 2.5, Number.NaN])('rejects refreshEvery %s', (refreshEvery) => {
    expect(() => new RecentQuantile(8, refreshEvery)).toThrow(RangeError);
    expect(() => new RecentQuantile(8, refreshEvery)).toThrow(
      `RecentQuantile: refreshEvery must be an integer > 0 (got ${refreshEvery})`,
    );
  });

  it.each([0, -0.5, 1.000001, 2, Number.NaN])('rejects q = %s, even with no samples', (q) => {
    const empty = new RecentQuantile();
    expect(() => empty.quantile(q)).toThrow(RangeError);
    expect(() => empty.quantile(q)).toThrow(`RecentQuantile: q must be in (0, 1] (got ${q})`);
    const full = filled([1, 2, 3]);
    expect(() => full.quantile(q)).toThrow(RangeError);
  });

  it('accepts the smallest capacity and refresh interval, and q = 1', () => {
    const q = new RecentQuantile(1, 1);
    q.add(7);
    expect(q.quantile(1)).toBe(7);
    expect(q.quantile(0.01)).toBe(7);
  });
});

describe('RecentQuantile samples and thresholds', () => {
  it('has no quantile and a count of 0 before any sample', () => {
    const q = new RecentQuantile();
    expect(q.count).toBe(0);
    expect(q.quantile(0.5)).toBeUndefined();
    // A minSamples of 0 (or less) still needs one sample.
    expect(q.quantile(0.5, 0)).toBeUndefined();
    expect(q.quantile(0.5, -3)).toBeUndefined();
  });

  it('answers undefined below minSamples and a value from minSamples on', () => {
    const q = new RecentQuantile(100, 1);
    for (const v of [40, 10, 30]) q.add(v);
    expect(q.quantile(0.5, 4)).toBeUndefined();
    q.add(20);
    expect(q.count).toBe(4);
    expect(q.quantile(0.5, 4)).toBe(20);
    expect(q.quantile(0.5, 5)).toBeUndefined();
  });

  it('ignores NaN and infinities: they are neither counted nor ranked', () => {
    const q = new RecentQuantile(8, 1);
    q.add(Number.NaN);
    q.add(Number.POSITIVE_INFINITY);
    q.add(Number.NEGATIVE_INFINITY);
    expect(q.count).toBe(0);
    expect(q.quantile(1)).toBeUndefined();
    q.add(5);
    q.add(Number.POSITIVE_INFINITY);
    expect(q.count).toBe(1);
    expect(q.quantile(1)).toBe(5);
  });

  it('holds at most `capacity` samples, 512 by default', () => {
    const q = new RecentQuantile();
    for (let i = 0; i < 600; i++) q.add(i);
    expect(q.count).toBe(512);
    // The 88 oldest (0..87) have been overwritten.
    expect(q.quantile(0.001)).toBe(88);
    expect(q.quantile(1)).toBe(599);
  });
});

describe('RecentQuantile nearest rank', () => {
  it('is exact on 1..100 for every whole percentile', () => {
    const q = filled(scrambled(100));
    const wrong: string[] = [];
    for (let p = 1; p <= 100; p++) {
      const got = q.quantile(p / 100);
      if (got !== p) wrong.push(`p${p} -> ${got}`);
    }
    expect(wrong).toEqual([]);
  });

  it('is exact on 1..200 and 1..50 for every whole percentile', () => {
    for (const n of [50, 200]) {
      const q = filled(scrambled(n));
      const wrong: string[] = [];
      for (let p = 1; p <= 100; p++) {
        const expected = Math.ceil((p * n) / 100); // integer arithmetic: the exact rank
        const got = q.quantile(p / 100);
        if (got !== expected) wrong.push(`n=${n} p${p} -> ${got} (want ${expected})`);
      }
      expect(wrong).toEqual([]);
    }
  });

  it('takes the next rank up between ranks (nearest rank, no interpolation)', () => {
    const q = filled(scrambled(20));
    expect(q.quantile(0.5)).toBe(10);
    expect(q.quantile(0.51)).toBe(11); // rank ceil(10.2) = 11
    expect(q.quantile(0.95)).toBe(19);
    expect(q.quantile(0.96)).toBe(20);
    expect(q.quantile(0.99)).toBe(20);
    expect(q.quantile(1)).toBe(20);
    expect(q.quantile(0.0001)).toBe(1);
    expect(q.quantile(0.05)).toBe(1);
    expect(q.quantile(0.051)).toBe(2);
  });

  it('sorts numerically, not as strings, with negatives and fractions', () => {
    const q = filled([100, 9, 10, 2, 1]);
    expect([0.2, 0.4, 0.6, 0.8, 1].map((p) => q.quantile(p))).toEqual([1, 2, 9, 10, 100]);
    const r = filled([0.5, -5, 12, -0.25, 3]);
    expect([0.2, 0.4, 0.6, 0.8, 1].map((p) => r.quantile(p))).toEqual([-5, -0.25, 0.5, 3, 12]);
  });

  it('counts repeated values once per sample', () => {
    const q = filled([7, 7, 7, 1]);
    expect(q.quantile(0.25)).toBe(1);
    expect(q.quantile(0.26)).toBe(7);
  });
});

describe('RecentQuantile ring', () => {
  it('overwrites the oldest sample once full', () => {
    const q = new RecentQuantile(4, 1);
    for (const v of [1, 2, 3, 4]) q.add(v);
    expect(q.quantile(1)).toBe(4);
    q.add(100);
    q.add(200);
    expect(q.count).toBe(4);
    // Held: 3, 4, 100, 200.
    expect([0.25, 0.5, 0.75, 1].map((p) => q.quantile(p))).toEqual([3, 4, 100, 200]);
  });

  it('forgets an old spike after `capacity` newer samples', () => {
    const q = new RecentQuantile(10, 1);
    q.add(5000);
    for (let i = 0; i < 9; i++) q.add(10);
    expect(q.quantile(1)).toBe(5000);
    q.add(10);
    expect(q.quantile(1)).toBe(10);
  });

  it('wraps many times over and keeps exactly the last `capacity` samples', () => {
    const q = new RecentQuantile(7, 1);
    for (let i = 1; i <= 1000; i++) q.add(i);
    expect(q.count).toBe(7);
    expect([1, 2, 3, 4, 5, 6, 7].map((k) => q.quantile(k / 7))).toEqual([
      994, 995, 996, 997, 998, 999, 1000,
    ]);
  });
});

describe('RecentQuantile refresh', () => {
  it('sorts on the first read, then keeps the sorted copy until `refreshEvery` new samples', () => {
    const q = new RecentQuantile(100, 4);
    for (const v of [30, 10, 20, 40, 50, 60]) q.add(v);
    expect(q.quantile(1)).toBe(60); // first read sorts whatever is held
    q.add(1000);
    q.add(1000);
    q.add(1000);
    expect(q.count).toBe(9);
    expect(q.quantile(1)).toBe(60); // 3 new samples: still the old sorted copy
    q.add(1000);
    expect(q.quantile(1)).toBe(1000); // the 4th new sample triggers a re-sort
    expect(q.quantile(0.5)).toBe(50); // 10 samples: rank 5 of 10,20,30,40,50,60,1000×4
  });

  it('does not count ignored (non-finite) samples towards a refresh', () => {
    const q = new RecentQuantile(100, 2);
    q.add(1);
    expect(q.quantile(1)).toBe(1);
    q.add(Number.NaN);
    q.add(Number.POSITIVE_INFINITY);
    q.add(9);
    expect(q.quantile(1)).toBe(1); // one real new sample of the two needed
    q.add(9);
    expect(q.quantile(1)).toBe(9);
  });

  it('keeps its stale sorted copy intact while the ring overwrites the samples it came from', () => {
    const q = new RecentQuantile(2, 10);
    q.add(1);
    q.add(2);
    expect(q.quantile(1)).toBe(2);
    q.add(50);
    q.add(60); // the ring now holds 50, 60
    expect(q.quantile(0.5)).toBe(1);
    expect(q.quantile(1)).toBe(2);
  });

  it('never answers from fewer samples than minSamples asks for, however recent the sort', () => {
    const q = new RecentQuantile(100, 16);
    q.add(5);
    expect(q.quantile(0.5)).toBe(5); // sorted copy of 1 sample
    for (let i = 0; i < 9; i++) q.add(100);
    // 10 samples held, 9 new since the sort (< 16): the answer must still be over 10 samples,
    // rank 5 of [5, 100 × 9] = 100, not the 1-sample copy's 5.
    expect(q.quantile(0.5, 10)).toBe(100);
  });
});
