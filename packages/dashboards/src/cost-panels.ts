import { ATTR, findPrice, type Lane, resolvePriceTable } from '@gemini-lanes/core';
import type { DashboardContext } from './dashboard-context.js';
import { statPanel, type ThresholdStep, timeseriesPanel } from './panel-factory.js';
import { legendOf, RANGE, rate, sumBy } from './promql-shapes.js';
import { type QueryScope, selector } from './series-selector.js';

const SECONDS_PER_HOUR = 3600;
const SECONDS_PER_DAY = 86_400;

function budgetLine(ctx: DashboardContext, hours: number): ThresholdStep[] {
  const perHour = ctx.config.alerts.costBudgetUsdPerHour;
  return perHour > 0 ? [{ value: perHour * hours, color: 'red' }] : [];
}

function budgetText(ctx: DashboardContext, hours: number, unit: string): string {
  const perHour = ctx.config.alerts.costBudgetUsdPerHour;
  return perHour > 0
    ? `The dashed line is alerts.costBudgetUsdPerHour (${perHour} USD/h)${hours === 1 ? '' : ` × ${hours} = ${perHour * hours} USD${unit}`}, for both lanes together.`
    : 'No budget line: alerts.costBudgetUsdPerHour is 0 (off).';
}

/** USD per hour, per lane and for both lanes (the budget is for both). */
export function costPerHour(ctx: DashboardContext, lane: 'variable' | Lane, width: number) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane, model: 'variable' };
  const both: QueryScope = { config, lane: 'any', model: 'variable' };
  const targets =
    lane === 'variable'
      ? [
          {
            expr: `${sumBy([ATTR.lane], rate(selector(scope, 'cost', 'value')))} * ${SECONDS_PER_HOUR}`,
            legend: legendOf(ATTR.lane),
          },
          {
            expr: `${sumBy([], rate(selector(both, 'cost', 'value')))} * ${SECONDS_PER_HOUR}`,
            legend: 'both lanes',
          },
        ]
      : [
          {
            expr: `${sumBy([], rate(selector(scope, 'cost', 'value')))} * ${SECONDS_PER_HOUR}`,
            legend: `${lane} lane`,
          },
        ];
  return timeseriesPanel(ctx, {
    title:
      lane === 'variable'
        ? 'Cost per hour'
        : `${lane === 'latency' ? 'Latency' : 'Throughput'} lane: cost per hour`,
    shows: `Spend in US dollars per hour at the current rate, from the price table (pricing overrides included) and the billed tokens. ${budgetText(ctx, 1, '/h')}`,
    healthy:
      config.alerts.costBudgetUsdPerHour > 0
        ? 'under the budget line and in proportion to the traffic; spend rising faster than tokens means a pricier model, long-context prices or retries.'
        : 'in proportion to the traffic; spend rising faster than tokens means a pricier model, long-context prices or retries.',
    unit: 'currencyUSD',
    decimals: 2,
    width,
    thresholds: budgetLine(ctx, 1),
    targets,
  });
}

/** USD per day if the time range's average rate held for a day. */
export function projectedCostPerDay(ctx: DashboardContext, title: string, width: number) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'any', model: 'variable' };
  const perHour = config.alerts.costBudgetUsdPerHour;
  return statPanel(ctx, {
    title,
    shows: `What a day would cost at the average spend rate of the selected time range, both lanes. ${budgetText(ctx, 24, '/day')}`,
    healthy:
      perHour > 0
        ? `under alerts.costBudgetUsdPerHour × 24 (${perHour * 24} USD); red above it.`
        : 'what you planned to spend; set alerts.costBudgetUsdPerHour to colour it against a budget.',
    unit: 'currencyUSD',
    decimals: 2,
    width,
    thresholds: budgetLine(ctx, 24),
    targets: [
      {
        expr: `${sumBy([], rate(selector(scope, 'cost', 'value'), RANGE))} * ${SECONDS_PER_DAY}`,
        legend: 'projected per day',
        instant: true,
      },
    ],
  });
}

/** USD per million billed tokens, per lane and model. */
export function costPerMillionTokens(ctx: DashboardContext, width: number) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'variable' };
  const table = resolvePriceTable(config.pricing);
  const models = [...new Set([...config.lanes.latency.models, ...config.lanes.throughput.models])];
  const prices = models
    .map((m) => {
      const found = findPrice(table, m);
      if (found === undefined) return `${m}: not in the price table (no cost recorded)`;
      const { price } = found;
      return `${m}: input ${price.inputPerM}, cached input ${price.cachedInputPerM}, output ${price.outputPerM} USD per 1M`;
    })
    .join('; ');
  const by = [ATTR.lane, ATTR.requestModel] as const;
  return timeseriesPanel(ctx, {
    title: 'Cost per 1M tokens',
    shows: `US dollars per million billed tokens (all kinds), per lane and model. List prices of the configured models: ${prices}. The Batch API tier costs half.`,
    healthy: `between the model's cached-input and output prices, steady for a steady prompt mix; rising means more output or thinking, long-context prices or retried work.`,
    unit: 'currencyUSD',
    decimals: 3,
    width,
    targets: [
      {
        expr: `${sumBy(by, rate(selector(scope, 'cost', 'value')))} / ${sumBy(by, rate(selector(scope, 'tokens', 'value')))} * 1000000`,
        legend: legendOf(...by),
      },
    ],
  });
}
