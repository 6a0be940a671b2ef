import {
  ATTR,
  type GeminiLanesConfig,
  type InstrumentSpec,
  type Lane,
  METRICS,
  type MetricKey,
  prometheusSeries,
  SERVICE_LABEL,
} from '@gemini-lanes/core';
import {
  equals,
  equalsVariable,
  type LabelMatcher,
  matchesVariable,
  rawEquals,
} from './label-matcher.js';
import { VARIABLE } from './template-variable-names.js';

/**
 * Which series a panel reads. `lane`: the `$lane` variable, one pinned lane (SLO panels and the
 * overview's columns), or every lane. `model`: the `$model` variable or every model. A filter
 * applies only to instruments that carry the attribute, so a model filter never empties a panel
 * of cache lookups, which have no model.
 */
export interface QueryScope {
  readonly config: GeminiLanesConfig;
  readonly lane: 'variable' | Lane | 'any';
  readonly model: 'variable' | 'any';
}

/** The part of a metric a selector reads: a histogram's `_bucket`, `_count` or `_sum`, or the value. */
export type SeriesPart = 'bucket' | 'count' | 'sum' | 'value';

/** The Prometheus series name of `key` in the configured naming style, from core's catalog. */
export function seriesName(config: GeminiLanesConfig, key: MetricKey, part: SeriesPart): string {
  const series = prometheusSeries(METRICS[key], config.prometheus.naming);
  if (series.type !== 'histogram') {
    if (part !== 'value') {
      throw new Error(`${METRICS[key].name} is a ${series.type}: it has no ${part} series`);
    }
    return series.name;
  }
  const index = { bucket: 0, sum: 1, count: 2, value: -1 }[part];
  const name = series.series[index];
  if (name === undefined) throw new Error(`${METRICS[key].name} is a histogram: pick a part`);
  return name;
}

function carries(spec: InstrumentSpec, attribute: string): boolean {
  return (spec.attributes as readonly string[]).includes(attribute);
}

/**
 * The configured `prometheus.selectors` other than `job`, sorted by label. The job is the
 * `$service` variable's (which defaults to `serviceJob(config)`), so a configured job never
 * becomes a second, conflicting `job` matcher.
 */
export function targetSelectors(config: GeminiLanesConfig): Array<[string, string]> {
  return Object.entries(config.prometheus.selectors)
    .filter(([label]) => label !== SERVICE_LABEL)
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * `name{job="$service", <configured selectors>, <lane>, <model>, <extra>}` for one metric:
 * every query starts from here, so the service, the configured selectors and the variables are
 * applied the same way everywhere.
 */
export function selector(
  scope: QueryScope,
  key: MetricKey,
  part: SeriesPart,
  extra: readonly LabelMatcher[] = [],
): string {
  const spec: InstrumentSpec = METRICS[key];
  const matchers: LabelMatcher[] = [equalsVariable(SERVICE_LABEL, VARIABLE.service)];
  for (const [label, value] of targetSelectors(scope.config)) {
    matchers.push(rawEquals(label, value));
  }
  if (scope.lane !== 'any' && carries(spec, ATTR.lane)) {
    matchers.push(
      scope.lane === 'variable'
        ? matchesVariable(ATTR.lane, VARIABLE.lane)
        : equals(ATTR.lane, scope.lane),
    );
  } else if (scope.lane !== 'any' && scope.lane !== 'variable') {
    throw new Error(`${spec.name} has no lane attribute; it cannot be pinned to a lane`);
  }
  if (scope.model === 'variable' && carries(spec, ATTR.requestModel)) {
    matchers.push(matchesVariable(ATTR.requestModel, VARIABLE.model));
  }
  matchers.push(...extra);
  return `${seriesName(scope.config, key, part)}{${matchers.join(', ')}}`;
}
