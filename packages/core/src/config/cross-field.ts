import { DEFAULT_PRICES } from '../pricing/price-table.js';
import { pageBurnFactor } from '../slo/burn-rate.js';
import type { ConfigIssue } from './config-error.js';
import type { GeminiLanesConfig, SloWindow } from './schema.js';

/**
 * What `crossFieldIssues` checks, in words, for the configuration reference (a JSON Schema
 * describes each field on its own and cannot say these). Change it with the checks below.
 */
export function crossFieldRules(): string[] {
  const lowest = (window: SloWindow) => lowestTarget(pageBurnFactor(window));
  return [
    '`lanes.latency.sla`: `maxQueueWaitMs` < `timeoutMs`, `ttftMs` < `timeoutMs`, `durationMs` ≤ `timeoutMs`.',
    'In each lane, `pool.prewarm` ≤ `pool.connections`.',
    'With hedging enabled, `lanes.latency.hedging.minDelayMs` ≤ `delayMs` (when set) < `lanes.latency.sla.timeoutMs`.',
    '`lanes.latency.concurrency` ≤ `lanes.latency.pool.connections`: a request admitted beyond the connections would wait in a queue the lane cannot see.',
    '`lanes.latency.endpointHealth.ejectionMs` ≤ `maxEjectionMs`.',
    '`lanes.throughput.concurrency`: `min` ≤ `initial` ≤ `max`.',
    '`lanes.throughput.retry.baseDelayMs` ≤ `lanes.throughput.retry.maxDelayMs`.',
    '`lanes.latency.fallbackModel` differs from `lanes.latency.models[0]`.',
    "Every model a lane may call (its `models`, and the latency lane's `fallbackModel`) has an entry in `quota.models`.",
    'Endpoint names (the URL, when an endpoint has no name) are unique within a lane.',
    '`quota.redisUrl` is set when `quota.store` is `redis`; `lanes.latency.cache.redisUrl` is set when the cache is enabled and its `store` is `redis`.',
    'A `pricing` entry for a model the built-in price table does not know gives at least `inputPerM` and `outputPerM`.',
    `Each \`slos.<lane>.<objective>.target\` is high enough for its page alert to fire (page burn factor × (1 − target) ≤ 1): at least ${lowest('30d')} for a \`30d\` window, ${lowest('28d')} for \`28d\`.`,
  ];
}

/** `a must be < b (5000 ≥ 3000)`: the relation that failed, with both values. */
function mustBeLess(
  issues: ConfigIssue[],
  path: string,
  value: number,
  otherPath: string,
  other: number,
) {
  if (!(value < other)) {
    issues.push({ path, message: `must be < ${otherPath} (${value} ≥ ${other})` });
  }
}

function mustBeAtMost(
  issues: ConfigIssue[],
  path: string,
  value: number,
  otherPath: string,
  other: number,
) {
  if (!(value <= other)) {
    issues.push({ path, message: `must be <= ${otherPath} (${value} > ${other})` });
  }
}

/**
 * Rules that relate several fields, checked once every field on its own is valid. Each issue
 * names the field to change and shows the values that conflict.
 */
export function crossFieldIssues(config: GeminiLanesConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { latency, throughput } = config.lanes;
  const sla = 'lanes.latency.sla';

  mustBeLess(
    issues,
    `${sla}.maxQueueWaitMs`,
    latency.sla.maxQueueWaitMs,
    `${sla}.timeoutMs`,
    latency.sla.timeoutMs,
  );
  mustBeLess(
    issues,
    `${sla}.ttftMs`,
    latency.sla.ttftMs,
    `${sla}.timeoutMs`,
    latency.sla.timeoutMs,
  );
  mustBeAtMost(
    issues,
    `${sla}.durationMs`,
    latency.sla.durationMs,
    `${sla}.timeoutMs`,
    latency.sla.timeoutMs,
  );
  mustBeAtMost(
    issues,
    'lanes.latency.pool.prewarm',
    latency.pool.prewarm,
    'lanes.latency.pool.connections',
    latency.pool.connections,
  );
  mustBeAtMost(
    issues,
    'lanes.throughput.pool.prewarm',
    throughput.pool.prewarm,
    'lanes.throughput.pool.connections',
    throughput.pool.connections,
  );
  if (latency.hedging.enabled) {
    mustBeLess(
      issues,
      'lanes.latency.hedging.minDelayMs',
      latency.hedging.minDelayMs,
      `${sla}.timeoutMs`,
      latency.sla.timeoutMs,
    );
    const { delayMs } = latency.hedging;
    if (delayMs !== undefined) {
      mustBeAtMost(
        issues,
        'lanes.latency.hedging.minDelayMs',
        latency.hedging.minDelayMs,
        'lanes.latency.hedging.delayMs',
        delayMs,
      );
      mustBeLess(
        issues,
        'lanes.latency.hedging.delayMs',
        delayMs,
        `${sla}.timeoutMs`,
        latency.sla.timeoutMs,
      );
    }
  }
  mustBeAtMost(
    issues,
    'lanes.latency.concurrency',
    latency.concurrency,
    'lanes.latency.pool.connections',
    latency.pool.connections,
  );
  mustBeAtMost(
    issues,
    'lanes.latency.endpointHealth.ejectionMs',
    latency.endpointHealth.ejectionMs,
    'lanes.latency.endpointHealth.maxEjectionMs',
    latency.endpointHealth.maxEjectionMs,
  );

  const c = throughput.concurrency;
  mustBeAtMost(
    issues,
    'lanes.throughput.concurrency.min',
    c.min,
    'lanes.throughput.concurrency.max',
    c.max,
  );
  if (c.min <= c.max && (c.initial < c.min || c.initial > c.max)) {
    issues.push({
      path: 'lanes.throughput.concurrency.initial',
      message: `must be between lanes.throughput.concurrency.min and max (${c.initial} not in [${c.min}, ${c.max}])`,
    });
  }
  const r = throughput.retry;
  mustBeAtMost(
    issues,
    'lanes.throughput.retry.baseDelayMs',
    r.baseDelayMs,
    'lanes.throughput.retry.maxDelayMs',
    r.maxDelayMs,
  );

  if (latency.fallbackModel !== undefined && latency.fallbackModel === latency.models[0]) {
    issues.push({
      path: 'lanes.latency.fallbackModel',
      message: `must differ from the lane's primary model lanes.latency.models[0] (both ${JSON.stringify(latency.fallbackModel)})`,
    });
  }

  // Every model a lane may call needs a quota, or the shared limiter cannot protect it.
  const laneModels: Array<[string, string]> = [
    ...latency.models.map((m, i): [string, string] => [`lanes.latency.models[${i}]`, m]),
    ...(latency.fallbackModel
      ? [['lanes.latency.fallbackModel', latency.fallbackModel] as [string, string]]
      : []),
    ...throughput.models.map((m, i): [string, string] => [`lanes.throughput.models[${i}]`, m]),
  ];
  for (const [path, model] of laneModels) {
    if (!Object.hasOwn(config.quota.models, model)) {
      issues.push({
        path,
        message: `names ${JSON.stringify(model)}, which has no quota: add quota.models[${JSON.stringify(model)}] = { rpm, inputTpm, rpd }`,
      });
    }
  }

  for (const [lane, lanePath] of [
    [latency, 'lanes.latency'],
    [throughput, 'lanes.throughput'],
  ] as const) {
    const seen = new Map<string, number>();
    lane.endpoints.forEach((endpoint, i) => {
      const name = endpoint.name ?? endpoint.url;
      const first = seen.get(name);
      if (first !== undefined) {
        issues.push({
          path: `${lanePath}.endpoints[${i}]`,
          message: `repeats ${lanePath}.endpoints[${first}] (${JSON.stringify(name)}); endpoint names must be unique`,
        });
      } else seen.set(name, i);
    });
  }

  if (
    latency.cache.enabled &&
    latency.cache.store === 'redis' &&
    latency.cache.redisUrl === undefined
  ) {
    issues.push({
      path: 'lanes.latency.cache.redisUrl',
      message: 'is required when lanes.latency.cache.store is "redis"',
    });
  }
  if (config.quota.store === 'redis' && config.quota.redisUrl === undefined) {
    issues.push({ path: 'quota.redisUrl', message: 'is required when quota.store is "redis"' });
  }

  for (const [model, price] of Object.entries(config.pricing)) {
    if (
      !Object.hasOwn(DEFAULT_PRICES, model) &&
      (price.inputPerM === undefined || price.outputPerM === undefined)
    ) {
      issues.push({
        path: `pricing[${JSON.stringify(model)}]`,
        message: 'has no built-in price to start from: give at least inputPerM and outputPerM',
      });
    }
  }

  // An objective whose page burn factor times its error budget exceeds 1 could never page:
  // the error ratio cannot exceed 1.
  for (const lane of ['latency', 'throughput'] as const) {
    const slo = config.slos[lane];
    const factor = pageBurnFactor(slo.window);
    for (const kind of ['availability', 'latency'] as const) {
      const { target } = slo[kind];
      const budget = 1 - target;
      if (factor * budget > 1) {
        const lowest = lowestTarget(factor);
        issues.push({
          path: `slos.${lane}.${kind}.target`,
          message: `is too low for a ${slo.window} window: its page alert needs an error ratio of ${factor} × ${round(budget)} = ${round(factor * budget)} > 1 and could never fire (use a target >= ${lowest})`,
        });
      }
    }
  }
  return issues;
}

/** The lowest target whose page alert can fire, rounded up to 4 decimals. */
function lowestTarget(pageFactor: number): number {
  return Math.ceil((1 - 1 / pageFactor) * 10_000) / 10_000;
}

function round(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}
