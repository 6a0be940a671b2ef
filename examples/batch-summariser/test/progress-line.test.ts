import { describe, expect, it } from 'vitest';
import { etaMs, progressLine } from '../src/index.js';

const progress = {
  done: 120,
  failed: 3,
  inFlight: 12,
  tokensPerSecond: 1234.4,
  costUsd: 0.00123,
  etaMs: undefined,
  total: 200,
};

describe('progress line', () => {
  it('says how far the job is, what it costs and how long is left', () => {
    // 100 documents in 50 s since the run started: 80 left take 40 s.
    const eta = etaMs(progress, { done: 20, at: 0 }, 50_000);
    expect(eta).toBe(40_000);
    expect(progressLine(progress, eta)).toBe(
      'summarised 120/200 (3 failed) · 12 in flight · 1,234 tok/s · $0.0012 · ETA 40s',
    );
    expect(progressLine({ ...progress, failed: 0 }, 125_000)).toContain('120/200 · ');
    expect(progressLine({ ...progress, failed: 0 }, 125_000)).toContain('ETA 2m05s');
  });

  it('leaves the ETA out until a document finished, and once all have', () => {
    expect(etaMs(progress, { done: 120, at: 0 }, 50_000)).toBeUndefined();
    expect(progressLine(progress)).not.toContain('ETA');
    expect(progressLine({ ...progress, done: 200 }, 0)).not.toContain('ETA');
  });
});
