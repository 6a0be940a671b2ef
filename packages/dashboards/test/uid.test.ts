import { describe, expect, it } from 'vitest';
import { dashboardUid, MAX_UID_LENGTH } from '../src/index.js';

describe('dashboardUid', () => {
  it('turns a dashboard name into a readable uid Grafana accepts', () => {
    expect(dashboardUid('Gemini Lanes / Latency')).toBe('gemini-lanes-latency');
    expect(dashboardUid('  prod: gemini_lanes overview!  ')).toBe('prod-gemini_lanes-overview');
  });

  it('is stable, at most 40 characters, and keeps long names apart with a hash', () => {
    const a = 'Acme Payments Platform (eu-west) / Gemini Lanes / Throughput';
    const b = 'Acme Payments Platform (eu-west) / Gemini Lanes / Throughput 2';
    expect(dashboardUid(a)).toBe(dashboardUid(a));
    expect(dashboardUid(a).length).toBeLessThanOrEqual(MAX_UID_LENGTH);
    expect(dashboardUid(a)).toMatch(/^acme-payments-platform-eu-west-[0-9a-f]{8}$/);
    expect(dashboardUid(a)).not.toBe(dashboardUid(b));
    expect(dashboardUid(b)).toMatch(/^[a-z0-9_-]{1,40}$/);
  });

  it('refuses a name with nothing usable in it', () => {
    expect(() => dashboardUid(' / ')).toThrow('name must contain a letter or digit (got " / ")');
  });
});
