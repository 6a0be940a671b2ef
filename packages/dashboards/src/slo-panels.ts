/** Panels about the latency lane's latency SLO, shared by the latency and overview dashboards. */
import { type BurnRateWindow, burnRateWindows } from '@gemini-lanes/core';
import type { DashboardContext } from './dashboard-context.js';
import { budgetRemaining, burnRate, sliRatio } from './latency-sli.js';
import { type PanelSpec, statPanel, type ThresholdStep, timeseriesPanel } from './panel-factory.js';
import { RANGE, RATE_INTERVAL } from './promql-shapes.js';
import { percent } from './text-format.js';

function sliDefinition(ctx: DashboardContext): string {
  const { ttftMs, durationMs } = ctx.config.lanes.latency.sla;
  return `generate_content calls of the latency lane: streams whose first chunk came within lanes.latency.sla.ttftMs (${ttftMs} ms) and unary calls that finished within lanes.latency.sla.durationMs (${durationMs} ms), without error, out of every such call plus the requests the lane rejected or timed out before sending (shedding load never improves it). Read from the exact ${ttftMs / 1000} s and ${durationMs / 1000} s buckets.`;
}

function targetStep(ctx: DashboardContext): ThresholdStep[] {
  return [{ value: ctx.config.slos.latency.latency.target, color: 'green' }];
}

/** The share of calls within the SLA over the whole time range, against the objective. */
export function sliStat(ctx: DashboardContext, title: string, width: number, height = 5) {
  const target = ctx.config.slos.latency.latency.target;
  return statPanel(ctx, {
    title,
    shows: `Share within the SLA over the selected time range: ${sliDefinition(ctx)}`,
    healthy: `at or above the objective slos.latency.latency.target (${percent(target)}); red below it.`,
    unit: 'percentunit',
    decimals: 2,
    width,
    height,
    base: 'red',
    thresholds: targetStep(ctx),
    targets: [{ expr: sliRatio(ctx.config, RANGE), legend: 'within SLA', instant: true }],
  });
}

/** The share of calls within the SLA over time, against the objective (dashed). */
export function sliTimeseries(ctx: DashboardContext, title: string, width: number) {
  const target = ctx.config.slos.latency.latency.target;
  const spec: PanelSpec = {
    title,
    shows: `Share within the SLA per rate interval: ${sliDefinition(ctx)} The dashed line is the objective.`,
    healthy: `above the line (slos.latency.latency.target, ${percent(target)}); dips below it spend error budget.`,
    unit: 'percentunit',
    decimals: 2,
    max: 1,
    width,
    base: 'red',
    thresholds: targetStep(ctx),
    targets: [{ expr: sliRatio(ctx.config, RATE_INTERVAL), legend: 'within SLA' }],
  };
  return timeseriesPanel(ctx, spec);
}

/** The unspent share of the SLO window's error budget. */
export function budgetStat(ctx: DashboardContext, title: string, width: number, height = 5) {
  const { window } = ctx.config.slos.latency;
  const target = ctx.config.slos.latency.latency.target;
  return statPanel(ctx, {
    title,
    shows: `Share of the ${window} error budget (slos.latency.window; budget = 1 − ${percent(target)} of calls) not yet spent, over the last ${window} whatever the time range: 1 − error ratio / budget, with the SLI of the "within SLA" panels.`,
    healthy: `above 0 (green): budget is left for the rest of the window. At or below 0 the objective is missed for the window; slow down risky changes well before that.`,
    unit: 'percentunit',
    decimals: 1,
    width,
    height,
    base: 'red',
    thresholds: [{ value: 0, color: 'green' }],
    targets: [{ expr: budgetRemaining(ctx.config), legend: 'budget remaining', instant: true }],
  });
}

/** The burn rate over each alert window, each with its factor drawn. */
export function burnRatePanel(ctx: DashboardContext, title: string, width: number) {
  const windows = burnRateWindows(ctx.config.slos.latency.window);
  // One line per long window; every window's factor drawn once.
  const unique = [...new Map<string, BurnRateWindow>(windows.map((w) => [w.long, w])).values()];
  const steps = [...new Map(windows.map((w) => [w.factor, w])).values()]
    .sort((a, b) => a.factor - b.factor)
    .map((w) => ({ value: w.factor, color: w.severity === 'page' ? 'red' : 'orange' }));
  const rules = unique
    .map(
      (w) =>
        `the ${w.long} line ${w.severity === 'page' ? 'pages' : 'opens a ticket'} above ${w.factor}`,
    )
    .join(', ');
  return timeseriesPanel(ctx, {
    title,
    shows: `How fast the latency SLO's error budget burns over each alert window: error ratio / (1 − slos.latency.latency.target). 1 spends the budget exactly over slos.latency.window (${ctx.config.slos.latency.window}); the dashed lines are the multi-window alert factors from burnRateWindows.`,
    healthy: `below 1. Each line against its own factor: ${rules} (each together with its short window).`,
    unit: 'suffix:×',
    decimals: 2,
    width,
    thresholds: steps,
    targets: unique.map((w) => ({
      expr: burnRate(ctx.config, w.long),
      legend: `${w.long} (${w.severity} above ${w.factor})`,
    })),
  });
}
