/**
 * A string as the body of a PromQL double-quoted literal: backslash, double quote and line breaks
 * escaped, so a configured label value can never end its matcher early. Dashboards and rules
 * both render through these, so a value is quoted the same way everywhere.
 */
export function promqlString(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

/**
 * A number as rule text, without binary floating-point noise: `1 - 0.999` is written `0.001`,
 * not `0.0010000000000000009`.
 */
export function promqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return String(Number(value.toPrecision(12)));
}

/** An RE2 alternation matching exactly one of `values`, as the body of a PromQL string. */
export function promqlAlternation(values: readonly string[]): string {
  return values.map((v) => promqlString(v.replace(/[.+*?^$()[\]{}|\\]/g, '\\$&'))).join('|');
}

/**
 * The label that names a service in every query and rule: the scrape `job`. The OpenTelemetry
 * JS Prometheus exporter puts `service.name` only on `target_info`, and a Collector sets `job`
 * from `service.name`, so by convention the job is the service.
 */
export const SERVICE_LABEL = 'job';

/**
 * The service's scrape job: `prometheus.selectors.job` when the configuration sets it (the job
 * is named differently from the service), else `service`. Dashboards default their service
 * variable to it and alerts pin it; both read it from here so they never disagree.
 */
export function serviceJob(config: {
  service: string;
  prometheus: { selectors: Readonly<Record<string, string>> };
}): string {
  return config.prometheus.selectors[SERVICE_LABEL] ?? config.service;
}
