/**
 * Grafana's interpolation of Prometheus queries, reproduced for tests: what the Prometheus
 * server receives for a panel's `expr` once Grafana has replaced the dashboard's variables.
 *
 * Two stages, as in Grafana:
 * 1. The frontend (`TemplateSrv.replace` with the Prometheus data source's `interpolateQueryExpr`,
 *    grafana/grafana packages/grafana-prometheus/src/datasource.ts) replaces dashboard variables
 *    in `$var`, `${var}` and `[[var]]` forms. A variable that is neither multi-value nor
 *    include-All is escaped with `prometheusRegularEscape`; otherwise every value is escaped
 *    with `prometheusSpecialRegexEscape`, a single value stays bare and several become `(a|b)`.
 *    All expands to the variable's `allValue`, inserted raw (not escaped), or else to every
 *    option, formatted like a multi-value selection. Names that are not dashboard variables
 *    (`$__rate_interval`, `$__range`, ...) are left for the backend.
 * 2. The backend (`InterpolateVariables`, pkg/promlib/models/query.go) replaces the built-ins:
 *    `$__interval_ms`, `$__interval` (Grafana's interval format: `30s`, `1m`), `$__range_ms`,
 *    `$__range_s`, `$__range` (seconds, rounded, with `s`), `$__rate_interval_ms` and
 *    `$__rate_interval` = max(query interval + scrape interval, 4 × scrape interval), written
 *    as Go's `time.Duration.String()` (`1m0s`, `5m15s`), each also in its `${__name}` form.
 *
 * The escaping is that of Grafana with the `prometheusSpecialCharsInLabelValues` feature
 * toggle off (its default); the values the dashboards use (lanes, model names, jobs) escape
 * the same either way.
 */

/** A dashboard variable as the JSON model has it (the fields interpolation reads). */
export interface VariableModelLike {
  readonly name: string;
  readonly multi?: boolean | undefined;
  readonly includeAll?: boolean | undefined;
  readonly allValue?: string | undefined;
}

/** A variable with its selection: a string (single value) or a list (multi-value). */
export interface VariableSelection {
  readonly model: VariableModelLike;
  /** `ALL` (or `[ALL]`) selects All. */
  readonly value: string | readonly string[];
  /** The variable's options without All, for All without an `allValue`. */
  readonly options?: readonly string[];
}

/** The time context of a query. */
export interface QueryTime {
  /** The data source's scrape interval setting (Grafana's default: 15 s). */
  readonly scrapeIntervalMs: number;
  /** The query interval: time range / max data points, as the frontend computes it. */
  readonly intervalMs: number;
  /** The dashboard's time range. */
  readonly rangeMs: number;
}

/** Grafana's value for "All". */
export const ALL = '$__all';

/** `prometheusRegularEscape`: backslash, then single quote. */
export function prometheusRegularEscape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
}

/**
 * `prometheusSpecialRegexEscape`: a backslash becomes four, then each of `$^*{}[]'+?.()|`
 * gets two backslashes before it (one for the regex, one for the PromQL string).
 */
export function prometheusSpecialRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

/** The Prometheus data source's `interpolateQueryExpr`. */
export function interpolateQueryExpr(
  value: string | readonly string[],
  variable: Pick<VariableModelLike, 'multi' | 'includeAll'>,
): string {
  if (variable.multi !== true && variable.includeAll !== true) {
    if (typeof value !== 'string') {
      throw new Error('a single-value variable has a single value');
    }
    return prometheusRegularEscape(value);
  }
  if (typeof value === 'string') return prometheusSpecialRegexEscape(value);
  const escaped = value.map(prometheusSpecialRegexEscape);
  if (escaped.length === 1) return escaped[0] as string;
  return `(${escaped.join('|')})`;
}

/** Grafana's variable reference pattern (`variableRegex` in public/app/features/variables/utils.ts). */
const VARIABLE_REFERENCE =
  /\$(\w+)|\[\[([\s\S]+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/g;

function isAll(value: string | readonly string[]): boolean {
  return value === ALL || (Array.isArray(value) && value[0] === ALL);
}

/** Stage 1: the frontend's `TemplateSrv.replace(expr, scopedVars, interpolateQueryExpr)`. */
export function replaceDashboardVariables(
  expr: string,
  variables: ReadonlyMap<string, VariableSelection>,
): string {
  return expr.replace(
    VARIABLE_REFERENCE,
    (
      match,
      var1?: string,
      var2?: string,
      fmt2?: string,
      var3?: string,
      path?: string,
      fmt3?: string,
    ) => {
      const name = var1 ?? var2 ?? var3 ?? '';
      const selection = variables.get(name);
      if (selection === undefined) return match;
      if (fmt2 !== undefined || fmt3 !== undefined || path !== undefined) {
        throw new Error(`format or field path in ${match} is not modelled`);
      }
      let value = selection.value;
      if (isAll(value)) {
        const { allValue } = selection.model;
        if (allValue !== undefined && allValue !== '') {
          // Grafana skips formatting of a custom All value and interpolates it as it stands.
          return replaceDashboardVariables(allValue, variables);
        }
        if (selection.options === undefined) throw new Error(`${name}: All needs the options`);
        value = selection.options;
      }
      return interpolateQueryExpr(value, selection.model);
    },
  );
}

/** Go's `time.Duration.String()` for a whole number of milliseconds: `1m0s`, `1h0m0s`, `500ms`. */
export function goDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`not a whole number of ms: ${ms}`);
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const s = `${seconds}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}

/** Grafana's `gtime.FormatInterval`: the largest whole unit. */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [365 * 86_400_000, 'y'],
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
    [1, 'ms'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  }
  return '1ms';
}

/** `$__rate_interval`: max(query interval + scrape interval, 4 × scrape interval). */
export function rateIntervalMs(time: QueryTime): number {
  return Math.max(time.intervalMs + time.scrapeIntervalMs, 4 * time.scrapeIntervalMs);
}

/** The query's step: the interval, never below the scrape interval. */
export function stepMs(time: QueryTime): number {
  return Math.max(time.intervalMs, time.scrapeIntervalMs);
}

function replaceBoth(expr: string, name: string, value: string): string {
  return expr.replaceAll(`$${name}`, value).replaceAll(`\${${name}}`, value);
}

/** Stage 2: the backend's `InterpolateVariables`, in its order. */
export function replaceBuiltIns(expr: string, time: QueryTime): string {
  const step = stepMs(time);
  const rangeS = Math.round(time.rangeMs / 1000);
  const rate = rateIntervalMs(time);
  let out = expr;
  out = replaceBoth(out, '__interval_ms', String(step));
  out = replaceBoth(out, '__interval', formatInterval(step));
  out = replaceBoth(out, '__range_ms', String(time.rangeMs));
  out = replaceBoth(out, '__range_s', String(rangeS));
  out = replaceBoth(out, '__range', `${rangeS}s`);
  out = replaceBoth(out, '__rate_interval_ms', String(rate));
  out = replaceBoth(out, '__rate_interval', goDuration(rate));
  return out;
}

/** What Prometheus receives for `expr`: both stages. */
export function interpolate(
  expr: string,
  variables: ReadonlyMap<string, VariableSelection>,
  time: QueryTime,
): string {
  return replaceBuiltIns(replaceDashboardVariables(expr, variables), time);
}
