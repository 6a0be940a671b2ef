import { defineConfig, VALUES } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { BAD, COUNTED, NOT_SENT, OUTCOME_CLASS, slis, sliWindows } from '../src/sli.js';

describe('SLI definitions', () => {
  it('classifies every request outcome of the catalog exactly once', () => {
    expect(Object.keys(OUTCOME_CLASS).sort()).toEqual([...VALUES.outcome].sort());
    expect(COUNTED).toEqual(['success', 'error', 'rejected', 'timed_out']);
    expect(BAD).toEqual(['error', 'rejected', 'timed_out']);
    // What never reached the upstream is bad, so shedding load never improves an SLI.
    for (const outcome of NOT_SENT) expect(OUTCOME_CLASS[outcome]).toBe('bad');
  });

  it('tracks availability for both lanes and latency for the latency lane, with each lane objective', () => {
    const config = defineConfig({
      slos: { throughput: { availability: { target: 0.995 }, window: '28d' } },
    });
    expect(slis(config).map((s) => [s.lane, s.slo, s.target, s.window])).toEqual([
      ['latency', 'availability', 0.999, '30d'],
      ['latency', 'latency', 0.99, '30d'],
      ['throughput', 'availability', 0.995, '28d'],
    ]);
  });

  it('records every window the burn-rate pairs read, shortest first', () => {
    expect(sliWindows('30d')).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(sliWindows('28d')).toEqual(sliWindows('30d'));
  });
});
