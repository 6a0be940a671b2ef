import {
  type InstrumentSpec,
  METRICS,
  type MetricKey,
  type PrometheusNaming,
  prometheusSeries,
} from '@gemini-lanes/core';
import type { LabelMatcher } from './label-matcher.js';
import type { RuleContext } from './rule-context.js';

/** The part of a metric a selector reads: a histogram's `_bucket`, `_sum` or `_count`, or the value. */
export type SeriesPart = 'bucket' | 'sum' | 'count' | 'value';

/** The Prometheus series name of `key` under `naming`, from core's catalog and nowhere else. */
export function seriesName(naming: PrometheusNaming, key: MetricKey, part: SeriesPart): string {
  const series = prometheusSeries(METRICS[key], naming);
  if (series.type !== 'histogram') {
    if (part !== 'value') throw new Error(`${METRICS[key].name} is a ${series.type}: no ${part}`);
    return series.name;
  }
  if (part === 'value') {
    throw new Error(`${METRICS[key].name} is a histogram: read its bucket, sum or count`);
  }
  const name = series.series[{ bucket: 0, sum: 1, count: 2 }[part]];
  if (name === undefined) throw new Error(`${METRICS[key].name} has no ${part} series`);
  return name;
}

/**
 * The metric family name with a counter's `_total` removed, as recording rule names write it
 * (`gemini_lanes_requests_total` → `gemini_lanes_requests`).
 */
export function recordedName(naming: PrometheusNaming, key: MetricKey): string {
  const { name, type } = prometheusSeries(METRICS[key], naming);
  return type === 'counter' ? name.replace(/_total$/, '') : name;
}

/**
 * `name{<configured selectors>, <matchers>}` for one metric of the catalog. Refuses a matcher on
 * an attribute the instrument never records, so a rule can never silently match nothing.
 */
export function select(
  ctx: RuleContext,
  key: MetricKey,
  matchers: readonly LabelMatcher[],
  part: SeriesPart = 'value',
): string {
  const spec: InstrumentSpec = METRICS[key];
  for (const m of matchers) {
    if (m.attribute !== undefined && !spec.attributes.includes(m.attribute)) {
      throw new Error(`${spec.name} has no attribute ${m.attribute} (matcher ${m.text})`);
    }
  }
  return withMatchers(seriesName(ctx.config.prometheus.naming, key, part), [
    ...ctx.selectors,
    ...matchers,
  ]);
}

/** `name{a, b}`, or `name` alone when there is no matcher. */
export function withMatchers(name: string, matchers: readonly LabelMatcher[]): string {
  return matchers.length === 0 ? name : `${name}{${matchers.map((m) => m.text).join(', ')}}`;
}

/** `by (job, <selector labels>, <labels>)`: the grouping every aggregation of the rules uses. */
export function by(ctx: RuleContext, ...labels: readonly string[]): string {
  return `by (${[...new Set([...ctx.targetLabels, ...labels])].join(', ')})`;
}

/** `on (job, <selector labels>, <labels>)`, for joins of two aggregations. */
export function on(ctx: RuleContext, ...labels: readonly string[]): string {
  return `on (${[...new Set([...ctx.targetLabels, ...labels])].join(', ')})`;
}
