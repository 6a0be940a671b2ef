import { ATTR, type VALUES } from '@gemini-lanes/core';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { assembleDashboard } from './assemble-dashboard.js';
import { costPerHour, costPerMillionTokens, projectedCostPerDay } from './cost-panels.js';
import type { DashboardContext } from './dashboard-context.js';
import { equals } from './label-matcher.js';
import { concurrencyPanel, tokensPerSecond } from './lane-panels.js';
import { statPanel, timeseriesPanel } from './panel-factory.js';
import { increase, legendOf, maxBy, RANGE, rate, sumBy } from './promql-shapes.js';
import { type QueryScope, selector } from './series-selector.js';
import { count, percent, tidy } from './text-format.js';

const RATE_LIMITED: (typeof VALUES.retryReason)[number] = 'rate_limited';

function requestsPerSecond(ctx: DashboardContext) {
  const scope: QueryScope = { config: ctx.config, lane: 'variable', model: 'variable' };
  return timeseriesPanel(ctx, {
    title: 'Requests per second by outcome',
    shows:
      'Lane requests per second by how they ended: success, error, rejected (refused at admission), timed_out (deadline passed before sending) and cancelled (the caller gave up).',
    healthy:
      'almost all success; error, rejected or timed_out growing while success falls means the lane is failing or shedding load.',
    unit: 'reqps',
    width: 12,
    targets: [
      {
        expr: sumBy([ATTR.lane, ATTR.outcome], rate(selector(scope, 'requests', 'value'))),
        legend: legendOf(ATTR.lane, ATTR.outcome),
      },
    ],
  });
}

function quotaUtilization(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'variable' };
  const reserved = config.quota.latencyReservedShare;
  const quotas = Object.entries(config.quota.models)
    .map(
      ([m, q]) => `${m} ${count(q.rpm)} RPM, ${count(q.inputTpm)} input TPM, ${count(q.rpd)} RPD`,
    )
    .join('; ');
  const by = [ATTR.lane, ATTR.requestModel, ATTR.quotaDimension];
  return timeseriesPanel(ctx, {
    title: 'Quota utilisation by lane',
    shows: `Share of the project's quota (quota.models: ${quotas}) each lane used in the current window, per model and dimension (rpm, input_tpm, rpd). The dashed lines: 1 − quota.latencyReservedShare (${percent(1 - reserved)}), the most the throughput lane may take, and 100%, where the upstream answers 429.`,
    healthy: `the throughput lane at or below ${percent(1 - reserved)}; the latency lane uses the reserved ${percent(reserved)} and any room left; nothing at 100%.`,
    unit: 'percentunit',
    width: 12,
    base: 'green',
    thresholds: [
      { value: tidy(1 - reserved), color: 'orange' },
      { value: 1, color: 'red' },
    ],
    targets: [
      {
        expr: maxBy(by, selector(scope, 'quotaUtilization', 'value')),
        legend: legendOf(...by),
      },
    ],
  });
}

function retries(ctx: DashboardContext) {
  const scope: QueryScope = { config: ctx.config, lane: 'variable', model: 'variable' };
  const r = ctx.config.lanes.throughput.retry;
  return timeseriesPanel(ctx, {
    title: 'Retries by reason',
    shows: `Retried upstream calls per second by reason (rate_limited is a 429). The throughput lane retries up to lanes.throughput.retry.maxAttempts (${r.maxAttempts}) attempts within a retry budget of ${percent(r.budget)} of requests.`,
    healthy:
      'near 0; a burst of rate_limited retries that does not fade means the quota is too small for the work.',
    unit: 'reqps',
    width: 6,
    stacked: true,
    targets: [
      {
        expr: sumBy([ATTR.lane, ATTR.retryReason], rate(selector(scope, 'retries', 'value'))),
        legend: legendOf(ATTR.lane, ATTR.retryReason),
      },
    ],
  });
}

function rateLimitedRatio(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'variable' };
  const limited = sumBy(
    [ATTR.lane],
    rate(selector(scope, 'retries', 'value', [equals(ATTR.retryReason, RATE_LIMITED)])),
  );
  const calls = sumBy([ATTR.lane], rate(selector(scope, 'operationDuration', 'count')));
  return timeseriesPanel(ctx, {
    title: '429 ratio',
    shows: `Upstream calls answered 429 (RESOURCE_EXHAUSTED) and retried, as a share of upstream calls. The dashed line is alerts.rateLimitedRatio (${percent(config.alerts.rateLimitedRatio)}).`,
    healthy:
      'near 0 and under the line; the shared quota limiter should keep the lanes from reaching the upstream quota.',
    unit: 'percentunit',
    width: 6,
    thresholds: [{ value: config.alerts.rateLimitedRatio, color: 'red' }],
    targets: [{ expr: `${limited} / ${calls}`, legend: legendOf(ATTR.lane) }],
  });
}

function backlog(ctx: DashboardContext) {
  const scope: QueryScope = { config: ctx.config, lane: 'variable', model: 'any' };
  return timeseriesPanel(ctx, {
    title: 'Backlog',
    shows: 'Throughput work queued in the lane or pending in jobs, per lane.',
    healthy:
      'falling while a job runs and 0 when it is done; a flat backlog with few tokens per second is a stalled job.',
    unit: 'short',
    width: 12,
    targets: [
      {
        expr: sumBy([ATTR.lane], selector(scope, 'backlog', 'value')),
        legend: legendOf(ATTR.lane),
      },
    ],
  });
}

function jobProgress(ctx: DashboardContext) {
  const scope: QueryScope = { config: ctx.config, lane: 'variable', model: 'any' };
  return timeseriesPanel(ctx, {
    title: 'Job progress',
    shows: 'Job items written to the output per second, by state (completed, failed).',
    healthy: `completed steady while a job runs, failed near 0; nothing written for alerts.batchStallPeriod (${ctx.config.alerts.batchStallPeriod}) while items are pending is a stall.`,
    unit: 'suffix: items/s',
    width: 8,
    targets: [
      {
        expr: sumBy([ATTR.lane, ATTR.itemState], rate(selector(scope, 'jobItems', 'value'))),
        legend: legendOf(ATTR.lane, ATTR.itemState),
      },
    ],
  });
}

function itemsWritten(ctx: DashboardContext) {
  const scope: QueryScope = { config: ctx.config, lane: 'variable', model: 'any' };
  return statPanel(ctx, {
    title: 'Items written (time range)',
    shows: 'Job items written to the output over the selected time range, by state.',
    healthy: 'failed is 0 or a small fraction of completed.',
    unit: 'short',
    decimals: 0,
    width: 4,
    targets: [
      {
        expr: sumBy([ATTR.itemState], increase(selector(scope, 'jobItems', 'value'), RANGE)),
        legend: legendOf(ATTR.itemState),
        instant: true,
      },
    ],
  });
}

function batchJobs(ctx: DashboardContext) {
  const scope: QueryScope = { config: ctx.config, lane: 'any', model: 'any' };
  const batch = ctx.config.lanes.throughput.batch;
  return timeseriesPanel(ctx, {
    title: 'Batch API jobs by state',
    shows: `Gemini Batch API jobs by state (pending, running, succeeded, failed, cancelled, expired). Used when lanes.throughput.batch.mode is batch-api (now ${batch.mode}); polled every ${batch.pollIntervalMs / 1000} s at first.`,
    healthy: 'jobs move from pending to running to succeeded; failed or expired jobs need a look.',
    unit: 'short',
    width: 6,
    targets: [
      {
        expr: sumBy([ATTR.batchState], selector(scope, 'batchJobs', 'value')),
        legend: legendOf(ATTR.batchState),
      },
    ],
  });
}

function batchRequests(ctx: DashboardContext) {
  const scope: QueryScope = { config: ctx.config, lane: 'any', model: 'any' };
  return timeseriesPanel(ctx, {
    title: 'Batch API requests by final state',
    shows: 'Requests inside Batch API jobs reaching a final state, per second, by state.',
    healthy: 'mostly succeeded; failed requests are retried or reported in the job output.',
    unit: 'reqps',
    width: 6,
    stacked: true,
    targets: [
      {
        expr: sumBy([ATTR.batchState], rate(selector(scope, 'batchRequests', 'value'))),
        legend: legendOf(ATTR.batchState),
      },
    ],
  });
}

/** The throughput lane's dashboard: throughput and cost first, then quota, concurrency and jobs. */
export function throughputDashboard(ctx: DashboardContext): dashboard.Dashboard {
  return assembleDashboard(ctx, {
    kind: 'throughput',
    description:
      'The throughput lane: tokens per second and cost first, then the quota, rate limiting, concurrency and jobs behind them.',
    lanes: ['throughput'],
    sections: [
      {
        title: 'Symptoms: throughput',
        panels: [tokensPerSecond(ctx, 'variable', 12), requestsPerSecond(ctx)],
      },
      {
        title: 'Cost',
        panels: [
          costPerHour(ctx, 'variable', 10),
          costPerMillionTokens(ctx, 10),
          projectedCostPerDay(ctx, 'Projected cost per day', 4),
        ],
      },
      {
        title: 'Causes: quota and rate limiting',
        panels: [quotaUtilization(ctx), retries(ctx), rateLimitedRatio(ctx)],
      },
      {
        title: 'Causes: concurrency and backlog',
        panels: [concurrencyPanel(ctx, 12), backlog(ctx)],
      },
      {
        title: 'Jobs and Batch API',
        panels: [jobProgress(ctx), itemsWritten(ctx), batchJobs(ctx), batchRequests(ctx)],
      },
    ],
  });
}
