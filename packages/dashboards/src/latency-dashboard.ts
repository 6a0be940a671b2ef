import { ATTR, type Outcome, RequestTimeoutError, type VALUES } from '@gemini-lanes/core';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { assembleDashboard } from './assemble-dashboard.js';
import type { DashboardContext } from './dashboard-context.js';
import { equals, notEquals, oneOf } from './label-matcher.js';
import { concurrencyPanel } from './lane-panels.js';
import { timeseriesPanel } from './panel-factory.js';
import { legendOf, maxBy, quantile, quantileName, rate, shareOf, sumBy } from './promql-shapes.js';
import { type QueryScope, selector } from './series-selector.js';
import { budgetStat, burnRatePanel, sliStat, sliTimeseries } from './slo-panels.js';
import { count, percent, tidy } from './text-format.js';

const GENERATE_CONTENT: (typeof VALUES.operationName)[number] = 'generate_content';
const UNARY: (typeof VALUES.requestStream)[number] = 'false';
const TIMED_OUT: Outcome = 'timed_out';
/** The `error.type` the lanes record when a deadline passes during the upstream call. */
const TIMEOUT_ERROR_TYPE = new RequestTimeoutError(0).errorType;
const HIT: (typeof VALUES.cacheResult)[number] = 'hit';
const COALESCED: (typeof VALUES.cacheResult)[number] = 'coalesced';
const BYPASS: (typeof VALUES.cacheResult)[number] = 'bypass';

function latencyQuantiles(ctx: DashboardContext, which: 'streams' | 'unary') {
  const { config, options } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'variable' };
  const op = equals(ATTR.operationName, GENERATE_CONTENT);
  const bucket =
    which === 'streams'
      ? selector(scope, 'timeToFirstChunk', 'bucket', [op])
      : selector(scope, 'operationDuration', 'bucket', [op, equals(ATTR.requestStream, UNARY)]);
  const slaMs =
    which === 'streams' ? config.lanes.latency.sla.ttftMs : config.lanes.latency.sla.durationMs;
  const field = which === 'streams' ? 'lanes.latency.sla.ttftMs' : 'lanes.latency.sla.durationMs';
  const names = options.quantiles.map(quantileName).join('/');
  return timeseriesPanel(ctx, {
    title:
      which === 'streams'
        ? `Time to first chunk (streams), ${names}`
        : `Duration (unary calls), ${names}`,
    shows:
      which === 'streams'
        ? `Time from sending a streaming generate_content request to its first chunk, ${names} per lane and model. The dashed line is the SLA, ${field} (${slaMs} ms).`
        : `Duration of unary (non-streaming) generate_content calls, ${names} per lane and model. The dashed line is the SLA, ${field} (${slaMs} ms).`,
    healthy: `the latency lane's upper percentiles stay under the line; the throughput lane has no latency SLA and may sit above it.`,
    unit: 's',
    width: 12,
    base: 'green',
    thresholds: [{ value: slaMs / 1000, color: 'red' }],
    targets: options.quantiles.map((q) => ({
      expr: quantile(q, [ATTR.lane, ATTR.requestModel], bucket),
      legend: `${quantileName(q)} ${legendOf(ATTR.lane, ATTR.requestModel)}`,
    })),
  });
}

function errorRatio(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'variable' };
  const calls = selector(scope, 'operationDuration', 'count');
  const failed = selector(scope, 'operationDuration', 'count', [notEquals(ATTR.errorType, '')]);
  const budget = tidy(1 - config.slos.latency.availability.target);
  return timeseriesPanel(ctx, {
    title: 'Error ratio by error.type',
    shows: `Share of upstream calls that failed, stacked by error.type (from the operation-duration histogram's counts). The dashed line is the latency lane's availability budget, 1 − slos.latency.availability.target (${percent(budget)}).`,
    healthy: `near 0 and under the line; one error.type rising alone points at its cause (429: quota, 5xx: upstream, timeout: deadlines).`,
    unit: 'percentunit',
    width: 6,
    stacked: true,
    thresholds: [{ value: budget, color: 'red' }],
    targets: [
      {
        expr: shareOf(
          sumBy([ATTR.lane, ATTR.errorType], rate(failed)),
          [ATTR.errorType],
          sumBy([ATTR.lane], rate(calls)),
        ),
        legend: legendOf(ATTR.lane, ATTR.errorType),
      },
    ],
  });
}

function rejections(ctx: DashboardContext) {
  const { config } = ctx;
  // Rejections carry no model; the denominator must not be narrowed by one either.
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  return timeseriesPanel(ctx, {
    title: 'Rejections by reason',
    shows: `Requests the lane refused before sending, as a share of its requests, stacked by reason (queue_full; overloaded: could not start in time at the observed service rate; queue_timeout: would wait past lanes.latency.sla.maxQueueWaitMs = ${config.lanes.latency.sla.maxQueueWaitMs} ms, quota, shutdown). The dashed line is alerts.rejectionRatio (${percent(config.alerts.rejectionRatio)}).`,
    healthy: `near 0 and under the line; every rejection is a bad event in the latency SLI.`,
    unit: 'percentunit',
    width: 6,
    stacked: true,
    thresholds: [{ value: config.alerts.rejectionRatio, color: 'red' }],
    targets: [
      {
        expr: shareOf(
          sumBy([ATTR.lane, ATTR.rejectionReason], rate(selector(scope, 'rejections', 'value'))),
          [ATTR.rejectionReason],
          sumBy([ATTR.lane], rate(selector(scope, 'requests', 'value'))),
        ),
        legend: legendOf(ATTR.lane, ATTR.rejectionReason),
      },
    ],
  });
}

function timeouts(ctx: DashboardContext) {
  const { config } = ctx;
  const requests: QueryScope = { config, lane: 'variable', model: 'any' };
  const calls: QueryScope = { config, lane: 'variable', model: 'variable' };
  return timeseriesPanel(ctx, {
    title: 'Timeouts',
    shows: `Share of requests whose deadline (lanes.latency.sla.timeoutMs = ${config.lanes.latency.sla.timeoutMs} ms in the latency lane) passed: before they were sent (outcome timed_out, of all lane requests) and during the upstream call (error.type ${TIMEOUT_ERROR_TYPE}, of upstream calls).`,
    healthy: `near 0; timeouts before sending mean the queue is too long, timeouts during the call mean the upstream is slow.`,
    unit: 'percentunit',
    width: 6,
    targets: [
      {
        expr: `${sumBy([ATTR.lane], rate(selector(requests, 'requests', 'value', [equals(ATTR.outcome, TIMED_OUT)])))} / ${sumBy([ATTR.lane], rate(selector(requests, 'requests', 'value')))}`,
        legend: `before sending ${legendOf(ATTR.lane)}`,
      },
      {
        expr: `${sumBy([ATTR.lane], rate(selector(calls, 'operationDuration', 'count', [equals(ATTR.errorType, TIMEOUT_ERROR_TYPE)])))} / ${sumBy([ATTR.lane], rate(selector(calls, 'operationDuration', 'count')))}`,
        legend: `during the call ${legendOf(ATTR.lane)}`,
      },
    ],
  });
}

function queueDepth(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const max = config.lanes.latency.queue.maxLength;
  return timeseriesPanel(ctx, {
    title: 'Queue depth by priority',
    shows: `Requests waiting for admission, per lane and priority. The dashed line is the latency lane's bound, lanes.latency.queue.maxLength (${count(max)}): beyond it requests are rejected as queue_full.`,
    healthy: `near 0 between bursts; a standing queue means the concurrency limit is below the traffic or the upstream slowed down.`,
    unit: 'short',
    width: 12,
    thresholds: [{ value: max, color: 'red' }],
    targets: [
      {
        expr: sumBy([ATTR.lane, ATTR.priority], selector(scope, 'queueDepth', 'value')),
        legend: legendOf(ATTR.lane, ATTR.priority),
      },
    ],
  });
}

function queueWait(ctx: DashboardContext) {
  const { config, options } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const q = options.queueWaitQuantile;
  const maxMs = config.lanes.latency.sla.maxQueueWaitMs;
  return timeseriesPanel(ctx, {
    title: `Queue wait ${quantileName(q)} by priority`,
    shows: `Time requests waited for admission, ${quantileName(q)} per lane and priority, admitted or not. The dashed line is lanes.latency.sla.maxQueueWaitMs (${maxMs} ms): a latency-lane request that would wait longer is rejected at once.`,
    healthy: `well under the line; high priority lowest. Waits near the line come with queue_timeout rejections.`,
    unit: 's',
    width: 12,
    thresholds: [{ value: maxMs / 1000, color: 'red' }],
    targets: [
      {
        expr: quantile(q, [ATTR.lane, ATTR.priority], selector(scope, 'queueWait', 'bucket')),
        legend: `${quantileName(q)} ${legendOf(ATTR.lane, ATTR.priority)}`,
      },
    ],
  });
}

function poolConnections(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const { latency, throughput } = config.lanes;
  return timeseriesPanel(ctx, {
    title: 'Pool connections by state',
    shows: `Each lane's own connection pool: sockets connected and free, requests pending, queued and running. Configured: latency lane lanes.latency.pool.connections ${latency.pool.connections} (${latency.pool.prewarm} pre-warmed), throughput lane ${throughput.pool.connections}.`,
    healthy: `connected at least the pre-warmed count and queued near 0; pending or queued growing means the pool, not the upstream, is the bottleneck.`,
    unit: 'short',
    width: 8,
    targets: [
      {
        expr: sumBy([ATTR.lane, ATTR.poolState], selector(scope, 'poolConnections', 'value')),
        legend: legendOf(ATTR.lane, ATTR.poolState),
      },
    ],
  });
}

function cacheHitRatio(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const cache = config.lanes.latency.cache;
  const lookups = sumBy(
    [ATTR.lane],
    rate(selector(scope, 'cacheLookups', 'value', [notEquals(ATTR.cacheResult, BYPASS)])),
  );
  const served = (result: string) =>
    `${sumBy([ATTR.lane], rate(selector(scope, 'cacheLookups', 'value', [oneOf(ATTR.cacheResult, [result])])))} / ${lookups}`;
  return timeseriesPanel(ctx, {
    title: 'Cache hit ratio',
    shows: `Share of cacheable lookups answered from the response cache (hit) or by joining an identical request in flight (coalesced); bypassed requests (not cacheable) are left out. ${cache.enabled ? `Configured: lanes.latency.cache ${cache.store}, TTL ${cache.ttlMs / 1000} s.` : 'The cache is off in this configuration (lanes.latency.cache.enabled), so this panel stays empty.'}`,
    healthy: `steady for a steady workload (its level depends on how repetitive requests are); a sudden drop after a deploy means the cache key changed or the store was flushed.`,
    unit: 'percentunit',
    width: 8,
    max: 1,
    stacked: true,
    targets: [
      { expr: served(HIT), legend: `hit ${legendOf(ATTR.lane)}` },
      { expr: served(COALESCED), legend: `coalesced ${legendOf(ATTR.lane)}` },
    ],
  });
}

function cacheSize(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const cache = config.lanes.latency.cache;
  const memory = cache.enabled && cache.store === 'memory';
  return timeseriesPanel(ctx, {
    title: 'Cache size',
    shows: `Bytes the response cache's memory store holds: the fullest process (each replica has its own store and bound). ${memory ? `The dashed line is its bound, lanes.latency.cache.maxBytes = ${count(cache.maxBytes)} bytes per process.` : `The memory store is not in use in this configuration (lanes.latency.cache: ${cache.enabled ? `store ${cache.store}` : 'off'}), so this panel stays empty; Redis reports its own memory.`}`,
    healthy: `flat under the bound once warm; at the bound with evictions alongside means the bound, not the TTL, decides what stays.`,
    unit: 'bytes',
    width: 12,
    thresholds: memory ? [{ value: cache.maxBytes, color: 'orange' }] : [],
    targets: [
      {
        expr: maxBy([ATTR.lane], selector(scope, 'cacheSize', 'value')),
        legend: legendOf(ATTR.lane),
      },
    ],
  });
}

function cacheEvictions(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  return timeseriesPanel(ctx, {
    title: 'Cache evictions',
    shows: `Entries the memory store evicted per second to stay under lanes.latency.cache.maxBytes (least recently used first); entries whose TTL (${config.lanes.latency.cache.ttlMs / 1000} s) ran out are not counted.`,
    healthy: `near 0; a steady rate with a falling hit ratio means the bound is too small for the working set.`,
    unit: 'suffix: entries/s',
    width: 12,
    targets: [
      {
        expr: sumBy([ATTR.lane], rate(selector(scope, 'cacheEvictions', 'value'))),
        legend: legendOf(ATTR.lane),
      },
    ],
  });
}

function hedgesAndFallbacks(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const { hedging, fallbackModel } = config.lanes.latency;
  const requests = sumBy(
    [ATTR.lane],
    rate(selector(scope, 'requests', 'value', [equals(ATTR.operationName, GENERATE_CONTENT)])),
  );
  const hedgingText = hedging.enabled
    ? `Hedging is on (lanes.latency.hedging): after ${hedging.delayMs === undefined ? `the observed ${quantileName(hedging.percentile)} of time to first chunk (at least ${hedging.minDelayMs} ms)` : `${hedging.delayMs} ms`}, at most ${percent(hedging.maxShare)} of streams.`
    : 'Hedging is off in this configuration (lanes.latency.hedging.enabled), so no hedge line appears.';
  const fallbackText =
    fallbackModel === undefined
      ? 'No fallback model is configured (lanes.latency.fallbackModel), so no fallback line appears.'
      : `Fallback model: ${fallbackModel} (lanes.latency.fallbackModel).`;
  return timeseriesPanel(ctx, {
    title: 'Hedges and fallbacks',
    shows: `Hedges and fallbacks as a share of the lane's generate_content calls (every upstream attempt, streamed or unary, counts in the denominator; the hedge cap, lanes.latency.hedging.maxShare, is over streams only, so this share stays below it): hedges by outcome (won: the hedge delivered the first chunk first; refused: one was due but the share or the quota had no room), and requests sent to the fallback model by why the primary was skipped (queue: the shared quota would hold it too long; rate_limited: 429; overloaded: 503). ${hedgingText} ${fallbackText}`,
    healthy: `hedges a small share, and a fair share of them won (a hedge that never wins only costs quota); refused near 0 (a steady line means the cap binds: raise lanes.latency.hedging.maxShare or set a fixed delayMs); fallbacks near 0: a steady stream means the primary model's quota or capacity is too small.`,
    unit: 'percentunit',
    width: 12,
    targets: [
      {
        expr: shareOf(
          sumBy([ATTR.lane, ATTR.hedgeOutcome], rate(selector(scope, 'hedges', 'value'))),
          [ATTR.hedgeOutcome],
          requests,
        ),
        legend: `hedge ${legendOf(ATTR.hedgeOutcome)} ${legendOf(ATTR.lane)}`,
      },
      {
        expr: shareOf(
          sumBy([ATTR.lane, ATTR.fallbackReason], rate(selector(scope, 'fallbacks', 'value'))),
          [ATTR.fallbackReason],
          requests,
        ),
        legend: `fallback ${legendOf(ATTR.fallbackReason)} ${legendOf(ATTR.lane)}`,
      },
    ],
  });
}

function endpointEjections(ctx: DashboardContext) {
  const { config } = ctx;
  const scope: QueryScope = { config, lane: 'variable', model: 'any' };
  const { endpoints, endpointHealth } = config.lanes.latency;
  return timeseriesPanel(ctx, {
    title: 'Endpoint ejections',
    shows: `Upstream endpoints taken out of rotation, per second, by server: ${endpointHealth.ejectAfterFailures} failures in a row (5xx, resets, timeouts) eject one for ${endpointHealth.ejectionMs / 1000} s, doubled for each ejection in a row up to ${endpointHealth.maxEjectionMs / 1000} s (lanes.latency.endpointHealth). Configured endpoints: ${count(endpoints.length)}${endpoints.length < 2 ? '; with fewer than two the lane never ejects, so this panel stays empty' : ''}.`,
    healthy: `0; an endpoint ejected again and again is failing, and its traffic is on the others.`,
    unit: 'suffix: ejections/s',
    width: 12,
    targets: [
      {
        expr: sumBy(
          [ATTR.lane, ATTR.serverAddress, ATTR.serverPort],
          rate(selector(scope, 'endpointEjections', 'value')),
        ),
        legend: legendOf(ATTR.lane, ATTR.serverAddress, ATTR.serverPort),
      },
    ],
  });
}

/** The latency lane's dashboard: its SLO first, then latency symptoms, then their causes. */
export function latencyDashboard(ctx: DashboardContext): dashboard.Dashboard {
  const { window } = ctx.config.slos.latency;
  return assembleDashboard(ctx, {
    kind: 'latency',
    description:
      'The latency lane: SLO and budget first, then latency, errors and shedding, then the queue, connections and cache that cause them.',
    lanes: ['latency'],
    sections: [
      {
        title: 'Latency SLO (latency lane, every model)',
        panels: [
          sliStat(ctx, 'Requests within SLA (time range)', 6, 8),
          budgetStat(ctx, `Error budget remaining (${window})`, 6, 8),
          burnRatePanel(ctx, 'SLO burn rate', 12),
        ],
      },
      {
        title: 'Symptoms: latency, errors and shedding',
        panels: [
          latencyQuantiles(ctx, 'streams'),
          latencyQuantiles(ctx, 'unary'),
          sliTimeseries(ctx, 'Requests within SLA', 6),
          errorRatio(ctx),
          rejections(ctx),
          timeouts(ctx),
        ],
      },
      { title: 'Causes: admission queue', panels: [queueDepth(ctx), queueWait(ctx)] },
      {
        title: 'Causes: capacity, connections and cache',
        panels: [
          concurrencyPanel(ctx, 8),
          poolConnections(ctx),
          cacheHitRatio(ctx),
          cacheSize(ctx),
          cacheEvictions(ctx),
        ],
      },
      {
        title: 'Tail levers: hedges, fallbacks and endpoints',
        panels: [hedgesAndFallbacks(ctx), endpointEjections(ctx)],
      },
    ],
  });
}
