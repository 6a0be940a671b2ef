import { ATTR, type Lane, type Outcome, SLI_OPERATIONS } from '@gemini-lanes/core';
import type { DashboardContext } from './dashboard-context.js';
import { equals, oneOf } from './label-matcher.js';
import { type PanelSpec, statPanel, timeseriesPanel } from './panel-factory.js';
import { legendOf, rate, sumBy } from './promql-shapes.js';
import { type QueryScope, selector } from './series-selector.js';
import { count, percent, tidy } from './text-format.js';

const ERROR: Outcome = 'error';

function laneName(lane: Lane): string {
  return lane === 'latency' ? 'Latency lane' : 'Throughput lane';
}

function floorText(ctx: DashboardContext): { shows: string; healthy: string } {
  const floor = ctx.config.lanes.throughput.floorTokensPerSecond;
  return floor > 0
    ? {
        shows: `The dashed line is the throughput lane's floor, lanes.throughput.floorTokensPerSecond (${count(floor)} tokens/s).`,
        healthy: `the throughput lane's total stays above the floor (${count(floor)} tokens/s) whenever work is queued; below it with a backlog, the lane is starved (quota, 429s, concurrency).`,
      }
    : {
        shows: 'No floor line: lanes.throughput.floorTokensPerSecond is 0 (off).',
        healthy:
          'steady while jobs run and near 0 when the backlog is empty; set lanes.throughput.floorTokensPerSecond to draw the floor.',
      };
}

function floorSteps(ctx: DashboardContext) {
  const floor = ctx.config.lanes.throughput.floorTokensPerSecond;
  return floor > 0 ? [{ value: floor, color: 'green' }] : [];
}

/** Billed tokens per second, stacked by kind, against the throughput floor. */
export function tokensPerSecond(ctx: DashboardContext, lane: 'variable' | Lane, width: number) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane, model: 'variable' };
  const floor = floorText(ctx);
  const by = lane === 'variable' ? [ATTR.lane, ATTR.tokenKind] : [ATTR.tokenKind];
  return timeseriesPanel(ctx, {
    title:
      lane === 'variable'
        ? 'Tokens per second by kind'
        : `${laneName(lane)}: tokens per second vs floor`,
    shows: `Billed tokens per second, stacked by kind: input (the uncached prompt), cached_input, output, thinking and tool_use_input, so the top of the stack is the total. ${floor.shows}`,
    healthy: floor.healthy,
    unit: 'suffix: tokens/s',
    width,
    stacked: true,
    base: floorSteps(ctx).length > 0 ? 'orange' : 'green',
    thresholds: floorSteps(ctx),
    targets: [
      {
        expr: sumBy(by, rate(selector(scope, 'tokens', 'value'))),
        legend: legendOf(...by),
      },
    ],
  });
}

/** The throughput lane's total tokens per second now, coloured against its floor. */
export function tokensPerSecondStat(ctx: DashboardContext, width: number) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'throughput', model: 'variable' };
  const floor = floorText(ctx);
  const spec: PanelSpec = {
    title: 'Throughput lane: tokens per second',
    shows: `Billed tokens per second of the throughput lane, all kinds, at the end of the time range. ${floor.shows}`,
    healthy: floor.healthy,
    unit: 'suffix: tokens/s',
    width,
    base: floorSteps(ctx).length > 0 ? 'orange' : 'green',
    thresholds: floorSteps(ctx),
    targets: [{ expr: sumBy([], rate(selector(scope, 'tokens', 'value'))), legend: 'tokens/s' }],
  };
  return statPanel(ctx, spec);
}

/** One lane's share of requests that ended in an error, against its availability budget. */
export function laneErrorRatio(ctx: DashboardContext, lane: Lane, width: number) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane, model: 'variable' };
  const budget = tidy(1 - config.slos[lane].availability.target);
  // The availability SLI's operations only: token counting and batch polling are not its work.
  const operations = oneOf(ATTR.operationName, SLI_OPERATIONS);
  const requests = sumBy([], rate(selector(scope, 'requests', 'value', [operations])));
  const errors = sumBy(
    [],
    rate(selector(scope, 'requests', 'value', [operations, equals(ATTR.outcome, ERROR)])),
  );
  return timeseriesPanel(ctx, {
    title: `${laneName(lane)}: error ratio`,
    shows: `Share of the ${lane} lane's generate_content and embeddings requests that ended in an error (outcome error; rejections and timeouts before sending are counted on the lane dashboards). The dashed line is the availability budget, 1 − slos.${lane}.availability.target (${percent(budget)}).`,
    healthy: `near 0 and under the line; sustained above it burns the availability budget.`,
    unit: 'percentunit',
    width,
    thresholds: [{ value: budget, color: 'red' }],
    targets: [{ expr: `${errors} / ${requests}`, legend: `${lane} lane` }],
  });
}

/** In-flight requests against the concurrency limit; shared with the throughput dashboard. */
export function concurrencyPanel(ctx: DashboardContext, width: number) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const t = config.lanes.throughput.concurrency;
  return timeseriesPanel(ctx, {
    title: 'In flight vs concurrency limit',
    shows: `Requests sent upstream and not yet finished, and the concurrency limit in force, per lane (summed over replicas). The latency lane's limit is lanes.latency.concurrency (${config.lanes.latency.concurrency}); the throughput lane's adapts (${t.algorithm}) between lanes.throughput.concurrency.min ${t.min} and max ${t.max}.`,
    healthy: `in flight below the limit. Pinned at the limit means requests queue; a throughput limit falling towards its minimum means 429s or timeouts.`,
    unit: 'short',
    width,
    targets: [
      {
        expr: sumBy([ATTR.lane], selector(scope, 'inflight', 'value')),
        legend: `in flight ${legendOf(ATTR.lane)}`,
      },
      {
        expr: sumBy([ATTR.lane], selector(scope, 'concurrencyLimit', 'value')),
        legend: `limit ${legendOf(ATTR.lane)}`,
      },
    ],
  });
}
