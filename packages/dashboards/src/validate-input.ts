import {
  ATTR,
  bucketBoundaries,
  type GeminiLanesConfig,
  labelName,
  METRICS,
  VALUES,
} from '@gemini-lanes/core';
import { DashboardInputError } from './dashboard-input-error.js';
import {
  type DashboardOptions,
  DEFAULT_QUANTILES,
  DEFAULT_QUEUE_WAIT_QUANTILE,
  DEFAULT_REFRESH,
  DEFAULT_TIME_FROM,
  type ResolvedDashboardOptions,
} from './dashboard-options.js';

function checkQuantile(field: string, value: number): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 1)) {
    throw new DashboardInputError(field, 'must be a quantile in (0, 1), e.g. 0.95', value);
  }
}

function checkBoundary(
  field: string,
  thresholdMs: number,
  boundaries: readonly number[],
  histogram: string,
): void {
  const seconds = thresholdMs / 1000;
  if (!boundaries.includes(seconds)) {
    throw new DashboardInputError(
      field,
      `must be a bucket boundary of ${histogram} (${seconds} s is not among ${boundaries.join(', ')}), or the share within the SLA would be interpolated instead of read from an exact bucket`,
      thresholdMs,
    );
  }
}

/** Every model some lane may call: the lanes' models, their fallback, and those with a quota. */
export function knownModels(config: GeminiLanesConfig): string[] {
  const models = new Set<string>([
    ...config.lanes.latency.models,
    ...config.lanes.throughput.models,
    ...Object.keys(config.quota.models),
  ]);
  if (config.lanes.latency.fallbackModel !== undefined) {
    models.add(config.lanes.latency.fallbackModel);
  }
  return [...models].sort();
}

function checkSelectors(config: GeminiLanesConfig): void {
  const lane = labelName(ATTR.lane);
  const model = labelName(ATTR.requestModel);
  for (const [label, value] of Object.entries(config.prometheus.selectors)) {
    const field = `prometheus.selectors.${label}`;
    // Grafana would read `$name` in a query as a template variable and replace it.
    if (/\$(\w|\{)|\[\[/.test(value)) {
      throw new DashboardInputError(
        field,
        'must not contain a Grafana variable reference: Grafana would replace $name or [[name]] in every query',
        value,
      );
    }
    if (label === lane && !(VALUES.lane as readonly string[]).includes(value)) {
      throw new DashboardInputError(
        field,
        `must be a lane: ${VALUES.lane.join(' or ')}; no series would match`,
        value,
      );
    }
    if (label === model && !knownModels(config).includes(value)) {
      throw new DashboardInputError(
        field,
        `must be a model the configuration knows (${knownModels(config).join(', ')}); no series would match`,
        value,
      );
    }
  }
}

function checkTimeFrom(value: string): void {
  if (!/^now(-\d+[smhdwMy])?$/.test(value)) {
    throw new DashboardInputError(
      'options.timeFrom',
      'must be a relative time such as now-6h',
      value,
    );
  }
}

function checkRefresh(value: string): void {
  if (value !== '' && !/^\d+[smhd]$/.test(value)) {
    throw new DashboardInputError(
      'options.refresh',
      "must be an interval such as 30s or 1m, or '' for none",
      value,
    );
  }
}

/**
 * Checks the configuration and options the dashboards depend on and fills in the defaults;
 * throws `DashboardInputError` naming the first field that would give a broken query.
 */
export function resolveDashboardInput(
  config: GeminiLanesConfig,
  options: DashboardOptions = {},
): ResolvedDashboardOptions {
  const quantiles = options.quantiles ?? DEFAULT_QUANTILES;
  if (quantiles.length === 0) {
    throw new DashboardInputError('options.quantiles', 'must list at least one quantile', []);
  }
  quantiles.forEach((q, i) => {
    checkQuantile(`options.quantiles[${i}]`, q);
  });
  const queueWaitQuantile = options.queueWaitQuantile ?? DEFAULT_QUEUE_WAIT_QUANTILE;
  checkQuantile('options.queueWaitQuantile', queueWaitQuantile);

  const boundaries = {
    timeToFirstChunk:
      options.boundaries?.timeToFirstChunk ?? bucketBoundaries(METRICS.timeToFirstChunk, config),
    operationDuration:
      options.boundaries?.operationDuration ?? bucketBoundaries(METRICS.operationDuration, config),
  };
  const { sla } = config.lanes.latency;
  checkBoundary(
    'lanes.latency.sla.ttftMs',
    sla.ttftMs,
    boundaries.timeToFirstChunk,
    METRICS.timeToFirstChunk.name,
  );
  checkBoundary(
    'lanes.latency.sla.durationMs',
    sla.durationMs,
    boundaries.operationDuration,
    METRICS.operationDuration.name,
  );

  checkSelectors(config);

  const timeFrom = options.timeFrom ?? DEFAULT_TIME_FROM;
  checkTimeFrom(timeFrom);
  const refresh = options.refresh ?? DEFAULT_REFRESH;
  checkRefresh(refresh);

  return { quantiles: [...quantiles], queueWaitQuantile, boundaries, timeFrom, refresh };
}
