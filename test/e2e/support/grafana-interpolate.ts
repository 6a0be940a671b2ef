/**
 * Grafana's interpolation of a Prometheus panel query, reproduced so a test can send a real
 * Prometheus exactly the PromQL a dashboard would send. Two passes, as Grafana does them:
 *
 * 1. the dashboard variables (the front end's template service): `$var`, `${var}`,
 *    `${var:format}` and the deprecated `[[var]]`; without an explicit format the Prometheus
 *    data source's own rule applies: a variable that is neither multi-value nor has "All" is
 *    escaped for a quoted string, otherwise each value is regex-escaped and several values
 *    become `(a|b)`; "All" becomes the custom all value when the variable has one (not
 *    escaped), else every option;
 * 2. the built-in interval and range variables (the Prometheus data source's back end):
 *    `$__interval`, `$__interval_ms`, `$__range`, `$__range_s`, `$__range_ms`,
 *    `$__rate_interval` = max(interval + scrape interval, 4 × scrape interval) and
 *    `$__rate_interval_ms`.
 *
 * What it does not support (a fieldpath `${var.field}`, other `$__` variables, an explicit
 * min step on a target) throws, so a dashboard that starts using one fails the test loudly
 * instead of being checked with a wrong query.
 */

/** A dashboard template variable, as the dashboard JSON has it. */
export interface TemplateVariable {
  name: string;
  type: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  current?: { text?: string | string[]; value?: string | string[] };
  options?: ReadonlyArray<{ text: string; value: string; selected?: boolean }>;
}

/** What a variable is set to: one value or several; `$__all` stands for "All". */
export type VariableSelection = string | readonly string[];

/** Grafana's value of the "All" option. */
export const ALL = '$__all';

/** The intervals Grafana derives for one panel query. */
export interface QueryTiming {
  /** The time range's length. */
  rangeMs: number;
  /** The front end's interval (`request.intervalMs`): range / max data points, rounded, at least the min interval. */
  intervalMs: number;
  /** The range query's step, also `$__interval`. */
  stepMs: number;
  /** `$__rate_interval`. */
  rateIntervalMs: number;
}

/** How Grafana sizes a query: the panel's resolution and the data source's scrape interval. */
export interface TimingInput {
  /** Unix milliseconds. */
  from: number;
  to: number;
  /** The panel's max data points (its width in pixels unless set). */
  maxDataPoints: number;
  /** The data source's "Scrape interval" setting (Grafana's default when unset: 15 s). */
  scrapeIntervalMs: number;
  /** The panel's "Min interval", when it sets one; else the scrape interval is the floor. */
  minIntervalMs?: number;
}

/** Grafana's `safeResolution`: a query never asks for more points than this. */
const SAFE_RESOLUTION = 11_000;

/**
 * Grafana's table of round intervals (its `RoundInterval`): the largest "nice" interval not
 * above a raw one, each breakpoint half-way between two neighbours. Pairs of
 * [raw interval at most, rounded], in milliseconds.
 */
const ROUND_STEPS: ReadonlyArray<readonly [number, number]> = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, 1_000],
  [3_500, 2_000],
  [7_500, 5_000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [172_800_000, 86_400_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
];
const THIRTY_DAYS_MS = 2_592_000_000;
const YEAR_MS = 31_536_000_000;

/** Grafana's rounding of a raw interval (milliseconds) to a "nice" one. */
export function roundInterval(ms: number): number {
  for (const [atMost, rounded] of ROUND_STEPS) if (ms <= atMost) return rounded;
  return ms < 3_628_800_000 ? THIRTY_DAYS_MS : YEAR_MS;
}

/** Grafana's `FormatInterval`: the duration in its largest whole unit, truncated (`1m`, `15s`, `100ms`). */
export function formatInterval(ms: number): string {
  const units: ReadonlyArray<readonly [string, number]> = [
    ['y', 365 * 86_400_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ];
  for (const [unit, size] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return '1ms';
}

/**
 * Go's `time.Duration.String()` for whole milliseconds, which is how Grafana writes
 * `$__rate_interval`: `4s`, `1m0s`, `1h0m0s`, `1m5.5s`, `500ms`.
 */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1_000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1_000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

/**
 * The intervals of one panel query, as Grafana computes them: the front end's interval is the
 * range divided by the max data points, rounded, and at least the min interval (the panel's,
 * else the data source's scrape interval); the back end's step is the same floor or the rounded
 * raw interval, whichever is larger, and never finer than range / 11000;
 * `$__rate_interval` = max(interval + scrape interval, 4 × scrape interval).
 */
export function queryTiming(input: TimingInput): QueryTiming {
  const rangeMs = input.to - input.from;
  if (!(rangeMs > 0)) throw new RangeError(`the time range must not be empty (${rangeMs} ms)`);
  if (!(input.maxDataPoints > 0)) throw new RangeError('maxDataPoints must be > 0');
  const raw = rangeMs / input.maxDataPoints;
  const floor = input.minIntervalMs ?? input.scrapeIntervalMs;
  const intervalMs = Math.max(roundInterval(raw), floor);
  const calculated = raw < intervalMs ? intervalMs : roundInterval(raw);
  const stepMs = Math.max(calculated, roundInterval(rangeMs / SAFE_RESOLUTION));
  const rateIntervalMs = Math.max(intervalMs + input.scrapeIntervalMs, 4 * input.scrapeIntervalMs);
  return { rangeMs, intervalMs, stepMs, rateIntervalMs };
}

/** A range query's start and end as Grafana sends them: both rounded down to a multiple of the step. */
export function alignRange(
  fromMs: number,
  toMs: number,
  stepMs: number,
): { startMs: number; endMs: number } {
  return {
    startMs: Math.floor(fromMs / stepMs) * stepMs,
    endMs: Math.floor(toMs / stepMs) * stepMs,
  };
}

// --- escaping -------------------------------------------------------------------------------

/** The Prometheus data source's escape for a single-value variable (it sits in a quoted string). */
export function prometheusRegularEscape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
}

/** The Prometheus data source's escape for a regex matcher's value: RE2 escapes, then string escapes. */
export function prometheusSpecialRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]+?.()|]/g, '\\\\$&');
}

/** Grafana's generic `escapeRegex`, used by the explicit `:regex` format. */
function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

/** The Prometheus data source's formatting of a variable used without an explicit format. */
function prometheusFormat(values: readonly string[], variable: TemplateVariable): string {
  if (!variable.multi && !variable.includeAll) {
    return prometheusRegularEscape(values.join(','));
  }
  const escaped = values.map(prometheusSpecialRegexEscape);
  return escaped.length === 1 ? (escaped[0] ?? '') : `(${escaped.join('|')})`;
}

/** Grafana's named formats (`${var:format}`), those a PromQL query can use. */
const FORMATS: Readonly<Record<string, (values: readonly string[], text: string) => string>> = {
  raw: (values) => values.join(','),
  regex: (values) => {
    const escaped = values.map(escapeRegex);
    return escaped.length === 1 ? (escaped[0] ?? '') : `(${escaped.join('|')})`;
  },
  pipe: (values) => values.join('|'),
  csv: (values) => values.join(','),
  json: (values) => JSON.stringify(values.length === 1 ? values[0] : values),
  doublequote: (values) => values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(','),
  singlequote: (values) => values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(','),
  glob: (values) => (values.length === 1 ? (values[0] ?? '') : `{${values.join(',')}}`),
  text: (_values, text) => text,
};

// --- interpolation --------------------------------------------------------------------------

/** Variables the Prometheus back end replaces; the first pass leaves them alone. */
const BACKEND_VARIABLES = new Set([
  '__interval',
  '__interval_ms',
  '__range',
  '__range_s',
  '__range_ms',
  '__rate_interval',
  '__rate_interval_ms',
]);

/** Grafana's variable syntax: `$var`, `[[var]]`, `[[var:format]]`, `${var}`, `${var.field}`, `${var:format}`. */
const VARIABLE_PATTERN =
  /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** What a query is interpolated with. */
export interface InterpolationContext {
  /** The dashboard's variables (`templating.list`). */
  variables: readonly TemplateVariable[];
  /** Selections that replace a variable's saved `current` value, by name. */
  selections?: Readonly<Record<string, VariableSelection>>;
  timing: QueryTiming;
}

/** A query that cannot be interpolated as Grafana would (unknown variable, unsupported syntax). */
export class InterpolationError extends Error {
  constructor(expr: string, message: string) {
    super(`${message}\n  in: ${expr}`);
    this.name = 'InterpolationError';
  }
}

function selectionOf(variable: TemplateVariable, ctx: InterpolationContext): readonly string[] {
  const chosen = ctx.selections?.[variable.name] ?? variable.current?.value;
  if (chosen === undefined) return [];
  return typeof chosen === 'string' ? [chosen] : chosen;
}

function expandVariable(
  expr: string,
  variable: TemplateVariable,
  format: string | undefined,
  ctx: InterpolationContext,
  depth: number,
): string {
  let values = selectionOf(variable, ctx);
  if (values.length === 0) {
    throw new InterpolationError(expr, `variable $${variable.name} has no value selected`);
  }
  let text = values.join(' + ');
  if (values.includes(ALL)) {
    text = 'All';
    // A custom all value is used as written (only its own variables are replaced), never escaped.
    if (variable.allValue && format !== 'text') {
      return interpolateVariables(variable.allValue, ctx, depth + 1);
    }
    values = (variable.options ?? []).map((o) => o.value).filter((v) => v !== ALL);
    if (values.length === 0) {
      throw new InterpolationError(
        expr,
        `variable $${variable.name} is "All" without a custom all value and has no options: pass its values as a selection`,
      );
    }
  }
  if (format === undefined) return prometheusFormat(values, variable);
  const formatter = FORMATS[format];
  if (formatter === undefined) {
    throw new InterpolationError(expr, `format :${format} of $${variable.name} is not supported`);
  }
  return formatter(values, text);
}

function interpolateVariables(expr: string, ctx: InterpolationContext, depth: number): string {
  if (depth > 5) throw new InterpolationError(expr, 'variables refer to each other in a loop');
  return expr.replace(
    VARIABLE_PATTERN,
    (
      match: string,
      plain: string | undefined,
      bracket: string | undefined,
      bracketFormat: string | undefined,
      braced: string | undefined,
      fieldPath: string | undefined,
      bracedFormat: string | undefined,
    ) => {
      const name = plain ?? bracket ?? braced ?? '';
      if (BACKEND_VARIABLES.has(name)) return match;
      if (name.startsWith('__')) {
        throw new InterpolationError(expr, `built-in variable $${name} is not supported`);
      }
      if (fieldPath !== undefined) {
        throw new InterpolationError(expr, `field path \${${name}.${fieldPath}} is not supported`);
      }
      const variable = ctx.variables.find((v) => v.name === name);
      if (variable === undefined) {
        throw new InterpolationError(expr, `unknown variable $${name}`);
      }
      return expandVariable(expr, variable, bracketFormat ?? bracedFormat, ctx, depth);
    },
  );
}

function replaceBoth(expr: string, name: string, value: string): string {
  return expr.replaceAll(`$${name}`, value).replaceAll(`\${${name}}`, value);
}

/** The back end's pass: the interval and range variables, longest names first as Grafana orders them. */
export function interpolateBuiltins(expr: string, timing: QueryTiming): string {
  const rangeS = Math.round(timing.rangeMs / 1000);
  let out = replaceBoth(expr, '__interval_ms', String(timing.stepMs));
  out = replaceBoth(out, '__interval', formatInterval(timing.stepMs));
  out = replaceBoth(out, '__range_ms', String(timing.rangeMs));
  out = replaceBoth(out, '__range_s', String(rangeS));
  out = replaceBoth(out, '__range', `${rangeS}s`);
  out = replaceBoth(out, '__rate_interval_ms', String(timing.rateIntervalMs));
  out = replaceBoth(out, '__rate_interval', goDuration(timing.rateIntervalMs));
  return out;
}

/** A panel query's PromQL exactly as Grafana would send it to Prometheus. */
export function interpolateExpr(expr: string, ctx: InterpolationContext): string {
  return interpolateBuiltins(interpolateVariables(expr, ctx, 0), ctx.timing);
}
