import { describe, expect, it } from 'vitest';
import { burnRateWindows } from '../src/index.js';

describe('burnRateWindows', () => {
  it('gives the SRE workbook factors for a 30-day SLO', () => {
    expect(burnRateWindows('30d')).toEqual([
      { severity: 'page', long: '1h', short: '5m', budgetSpent: 0.02, factor: 14.4 },
      { severity: 'page', long: '6h', short: '30m', budgetSpent: 0.05, factor: 6 },
      { severity: 'ticket', long: '1d', short: '2h', budgetSpent: 0.1, factor: 3 },
      { severity: 'ticket', long: '3d', short: '6h', budgetSpent: 0.1, factor: 1 },
    ]);
  });

  it('scales the factors down for a 28-day SLO', () => {
    expect(burnRateWindows('28d').map((w) => w.factor)).toEqual([13.44, 5.6, 2.8, 0.9333]);
  });
});
