import { type AttributeKey, labelName, promqlNumber } from '@gemini-lanes/core';

/** Grafana's rate window: at least four scrapes, and never shorter than a step plus a scrape. */
export const RATE_INTERVAL = '$__rate_interval';
/** The dashboard's whole time range, for stats that summarise it. */
export const RANGE = '$__range';

export function rate(selector: string, window: string = RATE_INTERVAL): string {
  return `rate(${selector}[${window}])`;
}

export function increase(selector: string, window: string): string {
  return `increase(${selector}[${window}])`;
}

function by(labels: readonly (AttributeKey | 'le')[]): string {
  return labels.map((l) => (l === 'le' ? l : labelName(l))).join(', ');
}

/** `sum by (labels) (expr)`, or `sum(expr)` without labels. */
export function sumBy(labels: readonly (AttributeKey | 'le')[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${by(labels)}) (${expr})`;
}

/** `max by (labels) (expr)`: for gauges every replica reports alike (a shared quota). */
export function maxBy(labels: readonly AttributeKey[], expr: string): string {
  return `max by (${by(labels)}) (${expr})`;
}

/** The `q` quantile of a histogram's buckets, kept apart by `labels`. */
export function quantile(q: number, labels: readonly AttributeKey[], bucket: string): string {
  return `histogram_quantile(${promqlNumber(q)}, ${sumBy(['le', ...labels], rate(bucket))})`;
}

/** `ratio` of two aggregated expressions where the numerator keeps `extra` labels the denominator lacks. */
export function shareOf(
  numerator: string,
  extra: readonly AttributeKey[],
  denominator: string,
): string {
  return `${numerator} / ignoring(${by(extra)}) group_left ${denominator}`;
}

/** A legend showing the given labels: `{{gemini_lanes_lane}} {{gen_ai_request_model}}`. */
export function legendOf(...labels: readonly AttributeKey[]): string {
  return labels.map((l) => `{{${labelName(l)}}}`).join(' ');
}

/** `p95`, `p99.9`. */
export function quantileName(q: number): string {
  return `p${promqlNumber(q * 100)}`;
}
