/**
 * How Prometheus 3 writes a bucket bound after it normalises `le` at ingest (Go's shortest
 * `%g`, with `.0` added to integers): 1 → `1.0`, 2.5 → `2.5`, 1048576 → `1.048576e+06`.
 */
export function prometheus3Le(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  let text: string;
  if (value !== 0 && (exponent < -4 || exponent >= 6)) {
    // Go's shortest %g switches to exponent form at 1e6 and below 1e-4, with at least two exponent digits.
    const sign = exponent < 0 ? '-' : '+';
    text = `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  } else {
    text = String(value);
  }
  return /[e.]/.test(text) ? text : `${text}.0`;
}

/** How the OpenTelemetry JS exporter (and Prometheus 2, which keeps it) writes a bucket bound: `1`, `2.5`. */
export function exporterLe(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+Inf' : String(value);
}

function escapeRegex(text: string): string {
  // Escaped for RE2 and then for a double-quoted PromQL string.
  return text.replace(/[.+*?^$()[\]{}|\\]/g, (c) => `\\\\${c}`);
}

/**
 * A label matcher selecting the bucket whose upper bound is `value`, holding on Prometheus 2
 * (`le="1"` as the exporter wrote it) and Prometheus 3 (`le="1.0"` after normalisation):
 * `le="0.5"` where both agree, `le=~"1|1\\.0"` where they differ.
 */
export function leMatcher(value: number): string {
  const p2 = exporterLe(value);
  const p3 = prometheus3Le(value);
  return p2 === p3 ? `le="${p2}"` : `le=~"${escapeRegex(p2)}|${escapeRegex(p3)}"`;
}
