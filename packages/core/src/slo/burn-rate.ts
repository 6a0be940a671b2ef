import type { SloWindow } from '../config/schema.js';

/** One multi-window alert of the Google SRE workbook's multiwindow, multi-burn-rate scheme. */
export interface BurnRateWindow {
  severity: 'page' | 'ticket';
  /** The long window: the budget fraction is spent over this. */
  long: string;
  /** The short window (1/12 of the long one) that makes the alert reset quickly once the burn stops. */
  short: string;
  /** Fraction of the whole window's error budget spent in `long` when the alert fires. */
  budgetSpent: number;
  /** Burn-rate threshold: error ratio / (1 − objective) above which both windows must be. */
  factor: number;
}

const HOURS: Record<SloWindow, number> = { '28d': 28 * 24, '30d': 30 * 24 };

/** The workbook's four alerts: page on 2 % of the budget in 1 h and 5 % in 6 h, ticket on 10 % in 1 d and 10 % in 3 d. */
const SCHEME = [
  { severity: 'page', long: '1h', longHours: 1, short: '5m', budgetSpent: 0.02 },
  { severity: 'page', long: '6h', longHours: 6, short: '30m', budgetSpent: 0.05 },
  { severity: 'ticket', long: '1d', longHours: 24, short: '2h', budgetSpent: 0.1 },
  { severity: 'ticket', long: '3d', longHours: 72, short: '6h', budgetSpent: 0.1 },
] as const;

/** The paging factor for a window: configuration refuses objectives whose budget × this exceeds 1. */
export function pageBurnFactor(window: SloWindow): number {
  return Math.max(
    ...burnRateWindows(window)
      .filter((w) => w.severity === 'page')
      .map((w) => w.factor),
  );
}

/**
 * The burn-rate windows and factors for an SLO window. The factor follows from the window:
 * spending `budgetSpent` of a `window`-long budget within `long` means burning at
 * `budgetSpent × window / long` (14.4/6/3/1 for 30 days; 13.44/5.6/2.8/0.93 for 28 days).
 */
export function burnRateWindows(window: SloWindow): BurnRateWindow[] {
  const windowHours = HOURS[window];
  return SCHEME.map(({ severity, long, longHours, short, budgetSpent }) => ({
    severity,
    long,
    short,
    budgetSpent,
    // Rounded to 4 decimals so the rule text is stable and readable (0.9333, not 0.9333333333333332).
    factor: Math.round(((budgetSpent * windowHours) / longHours) * 10_000) / 10_000,
  }));
}
