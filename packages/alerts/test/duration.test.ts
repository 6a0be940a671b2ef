import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, scaleDuration } from '../src/index.js';

describe('Prometheus durations', () => {
  it('parses single and compound durations', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('28d')).toBe(28 * 86_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('5 minutes')).toThrow('not a Prometheus duration: "5 minutes"');
    expect(() => parseDuration('')).toThrow(RangeError);
  });

  it('formats with the largest units first, up to days', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(30 * 86_400_000)).toBe('30d');
    expect(formatDuration(36_000)).toBe('36s');
    expect(formatDuration(1_500)).toBe('1s500ms');
    expect(() => formatDuration(0)).toThrow('at least 1ms (got 0 ms)');
  });

  it('scales windows for test profiles and leaves them alone at scale 1', () => {
    expect(scaleDuration('1h', 0.01)).toBe('36s');
    expect(scaleDuration('30d', 0.001)).toBe('43m12s');
    expect(scaleDuration('5m', 1)).toBe('5m');
    expect(scaleDuration('1s', 0.0001)).toBe('1ms');
    expect(() => scaleDuration('1h', 0)).toThrow('scale must be > 0 (got 0)');
  });
});
