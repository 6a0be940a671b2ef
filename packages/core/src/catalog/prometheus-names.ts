import type { AttributeKey } from './attributes.js';
import type { InstrumentSpec } from './metrics.js';

/**
 * How instrument names become Prometheus names:
 * - `otel-js`: what `@opentelemetry/exporter-prometheus` writes: invalid characters become `_`,
 *   monotonic counters get `_total`, no unit suffix.
 * - `unit-suffixed`: what an OpenTelemetry Collector (or Prometheus's OTLP receiver) writes:
 *   the unit as a word (`_seconds`, `_bytes`, `_ratio` for unit-1 gauges; `{…}` units dropped),
 *   then `_total` on counters.
 */
export type PrometheusNaming = 'otel-js' | 'unit-suffixed';

/** The series a Prometheus scrape of one instrument contains. */
export interface PrometheusSeries {
  /** The metric family name (`gen_ai_client_operation_duration`, `gemini_lanes_requests_total`). */
  name: string;
  /** For histograms, `<name>_bucket`, `_sum`, `_count`; otherwise the name alone. */
  series: string[];
  type: 'counter' | 'gauge' | 'histogram';
}

/** UCUM units to the words the Collector's Prometheus translator uses. */
const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  '%': 'percent',
};

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}

function unitSuffix(spec: InstrumentSpec): string {
  const unit = spec.unit.replace(/\{[^}]*\}/g, '');
  if (unit === '') return '';
  if (unit === '1') return spec.kind === 'gauge' ? 'ratio' : '';
  const [numerator = '', denominator] = unit.split('/');
  const word = (u: string) => UNIT_WORDS[u] ?? u.replace(/[^a-zA-Z0-9]/g, '');
  const main = numerator ? word(numerator) : '';
  const per = denominator ? `per_${word(denominator)}` : '';
  return [main, per].filter(Boolean).join('_');
}

/** The Prometheus metric family and series names of an instrument under a naming style. */
export function prometheusSeries(spec: InstrumentSpec, naming: PrometheusNaming): PrometheusSeries {
  let name = sanitize(spec.name);
  if (naming === 'unit-suffixed') {
    const suffix = unitSuffix(spec);
    if (suffix && !name.endsWith(`_${suffix}`)) name = `${name}_${suffix}`;
  }
  switch (spec.kind) {
    case 'counter':
      if (!name.endsWith('_total')) name = `${name}_total`;
      return { name, series: [name], type: 'counter' };
    case 'histogram':
      return {
        name,
        series: [`${name}_bucket`, `${name}_sum`, `${name}_count`],
        type: 'histogram',
      };
    case 'updowncounter':
    case 'gauge':
      return { name, series: [name], type: 'gauge' };
  }
}

/** The Prometheus label an attribute becomes (the same in both styles). */
export function labelName(attribute: AttributeKey | string): string {
  const label = sanitize(attribute);
  return /^[0-9]/.test(label) ? `key_${label}` : label;
}
