/**
 * The service's own Prometheus endpoint (`register()`'s `/metrics`, what Prometheus scrapes),
 * read directly: for a condition the traffic driver waits on at once, without waiting for the
 * next scrape and a rule evaluation.
 */

/** One label pair of a sample line: `name="value"`, the value with `\\`, `\"` and `\n` escaped. */
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/**
 * The sum of the samples of `series` (a full sample name: `…_total`) whose labels include
 * `labels`, read from `http://<metricsAddress>/metrics`; 0 when none has been exported yet (a
 * counter without pre-initialised label sets appears with its first increment).
 */
export async function sampleSum(
  metricsAddress: string,
  series: string,
  labels: Readonly<Record<string, string>>,
): Promise<number> {
  const response = await fetch(`http://${metricsAddress}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status} ${text.slice(0, 200)}`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${series}{`) && !line.startsWith(`${series} `)) continue;
    const close = line[series.length] === '{' ? line.lastIndexOf('}') : series.length - 1;
    const found = new Map<string, string>();
    for (const [, name, value] of line.slice(series.length + 1, close).matchAll(LABEL)) {
      found.set(name as string, unescapeLabel(value as string));
    }
    if (!Object.entries(labels).every(([name, value]) => found.get(name) === value)) continue;
    // `value` or `value timestamp` after the labels.
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
