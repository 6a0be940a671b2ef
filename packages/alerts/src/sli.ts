import {
  ATTR,
  burnRateWindows,
  type GeminiLanesConfig,
  type Lane,
  labelName,
  type Outcome,
  SLI_OPERATIONS,
  type SloWindow,
} from '@gemini-lanes/core';
import { parseDuration } from './duration.js';
import {
  bucketBound,
  equals,
  errorTypeIsNot,
  type LabelMatcher,
  oneOf,
  withoutError,
} from './label-matcher.js';
import { recordNames } from './record-names.js';
import type { RuleContext } from './rule-context.js';
import type { RecordingRule, RuleGroup } from './rule-types.js';
import { by, select } from './series-selector.js';

/** The label the SLI error-ratio records carry to tell the SLOs apart. */
export const SLO_LABEL = 'slo';

export const SLO_KINDS = ['availability', 'latency'] as const;
export type SloKind = (typeof SLO_KINDS)[number];

/**
 * How each request outcome counts in the SLIs. `rejected` and `timed_out` never reached the
 * upstream and are bad events, so shedding load can never make an SLO look better; `cancelled`
 * (the caller gave up) is neither good nor bad. A `Record` over every outcome, so an outcome
 * added to the catalog fails the build here until it is classified.
 */
export const OUTCOME_CLASS: Readonly<Record<Outcome, 'good' | 'bad' | 'excluded'>> = {
  success: 'good',
  error: 'bad',
  rejected: 'bad',
  timed_out: 'bad',
  cancelled: 'excluded',
};

/** Outcomes of requests the lane refused or let expire before sending: they have no latency histogram sample. */
export const NOT_SENT: readonly Outcome[] = ['rejected', 'timed_out'];

/** `error.type` of a call the caller abandoned; excluded from the SLIs like the `cancelled` outcome. */
export const CANCELLED_ERROR_TYPE = 'cancelled';

function outcomes(...classes: Array<'good' | 'bad' | 'excluded'>): Outcome[] {
  return (Object.keys(OUTCOME_CLASS) as Outcome[]).filter((o) =>
    classes.includes(OUTCOME_CLASS[o]),
  );
}

/** Outcomes that count in an SLI (good or bad): every outcome but `cancelled`. */
export const COUNTED: readonly Outcome[] = outcomes('good', 'bad');
/** Outcomes that are bad events. */
export const BAD: readonly Outcome[] = outcomes('bad');

/** One service level indicator with its objective. */
export interface Sli {
  readonly lane: Lane;
  readonly slo: SloKind;
  /** The objective, e.g. 0.999. */
  readonly target: number;
  readonly window: SloWindow;
  /** Paging alerts stay quiet below this many counted requests per hour. */
  readonly pageMinRequestsPerHour: number;
}

/**
 * The SLIs the rules track. The latency lane: availability, and latency against its SLA
 * (`sla.ttftMs` for streams, `sla.durationMs` for unary calls). The throughput lane: availability
 * only. It has no per-call SLA (its calls are judged by sustained tokens per second, which the
 * floor and stall alerts watch), so `slos.throughput.latency` has nothing to measure against.
 */
export function slis(config: GeminiLanesConfig): Sli[] {
  const { latency, throughput } = config.slos;
  return [
    {
      lane: 'latency',
      slo: 'availability',
      target: latency.availability.target,
      window: latency.window,
      pageMinRequestsPerHour: latency.pageMinRequestsPerHour,
    },
    {
      lane: 'latency',
      slo: 'latency',
      target: latency.latency.target,
      window: latency.window,
      pageMinRequestsPerHour: latency.pageMinRequestsPerHour,
    },
    {
      lane: 'throughput',
      slo: 'availability',
      target: throughput.availability.target,
      window: throughput.window,
      pageMinRequestsPerHour: throughput.pageMinRequestsPerHour,
    },
  ];
}

/** Every nominal window the burn-rate alerts of an SLO window read (5m … 3d), shortest first. */
export function sliWindows(window: SloWindow): string[] {
  const all = new Set(burnRateWindows(window).flatMap((w) => [w.short, w.long]));
  return [...all].sort((a, b) => parseDuration(a) - parseDuration(b));
}

const indent = (text: string, spaces = 2) =>
  text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');

/** `sum by (job, lane) (rate(<selector>[range]))`. */
function sumRate(ctx: RuleContext, selector: string, range: string): string {
  return `sum ${by(ctx, labelName(ATTR.lane))} (rate(${selector}[${range}]))`;
}

/** Requests that count in an SLI: the denominator of availability and the traffic guard. */
export function countedRequests(ctx: RuleContext, lanes: readonly Lane[]): string {
  return select(ctx, 'requests', [
    oneOf('lane', lanes),
    oneOf('operationName', SLI_OPERATIONS),
    oneOf('outcome', COUNTED),
  ]);
}

function availabilityRatio(ctx: RuleContext, lanes: readonly Lane[], range: string): string {
  const bad = select(ctx, 'requests', [
    oneOf('lane', lanes),
    oneOf('operationName', SLI_OPERATIONS),
    oneOf('outcome', BAD),
  ]);
  return `${sumRate(ctx, bad, range)}\n/\n${sumRate(ctx, countedRequests(ctx, lanes), range)}`;
}

/**
 * 1 − good / total, where good = streams whose first chunk came within `sla.ttftMs` plus unary
 * calls that finished within `sla.durationMs`, both `generate_content` without `error.type`
 * (exact buckets), and total = those calls (cancelled ones excluded) plus the lane's rejected and
 * timed-out requests. Histogram series appear only after their first observation and the
 * rejected/timed-out series only after the first refusal, so each term falls back to 0 (`or 0 *`
 * the lane's pre-initialised requests, whose series exist from the start): the SLI records from
 * the first scrape, and a lane that only streams, or never sheds, still gets one.
 */
function latencyRatio(ctx: RuleContext, lanes: readonly Lane[], range: string): string {
  const { sla } = ctx.config.lanes.latency;
  const calls = (stream: 'true' | 'false' | undefined): LabelMatcher[] => [
    oneOf('lane', lanes),
    equals('operationName', 'generate_content'),
    ...(stream === undefined ? [] : [equals('requestStream', stream)]),
  ];
  // Requests the lane never sent, of the SLI's own operation only (count_tokens is not in it).
  const notSent = select(ctx, 'requests', [
    oneOf('lane', lanes),
    equals('operationName', 'generate_content'),
    oneOf('outcome', NOT_SENT),
  ]);
  // The lane's requests counter has series from the start (pre-initialised per lane and
  // outcome, without an operation): the zero every term falls back to, so the SLI records from
  // the first scrape, before any histogram sample and before the first refusal.
  const zero = `0 * ${sumRate(ctx, select(ctx, 'requests', [oneOf('lane', lanes)]), range)}`;
  // One term: its rate, or 0 while it has no series yet.
  const orZero = (rate: string) => `(\n${indent(`${rate}\nor\n${zero}`)}\n)`;
  const term = (
    metric: 'timeToFirstChunk' | 'operationDuration',
    matchers: LabelMatcher[],
    part: 'bucket' | 'count',
  ) => orZero(sumRate(ctx, select(ctx, metric, matchers, part), range));
  const notCancelled = errorTypeIsNot(CANCELLED_ERROR_TYPE);
  const good = [
    term(
      'timeToFirstChunk',
      [...calls(undefined), withoutError(), bucketBound(sla.ttftMs / 1000)],
      'bucket',
    ),
    term(
      'operationDuration',
      [...calls('false'), withoutError(), bucketBound(sla.durationMs / 1000)],
      'bucket',
    ),
  ];
  const total = [
    term('timeToFirstChunk', [...calls(undefined), notCancelled], 'count'),
    term('operationDuration', [...calls('false'), notCancelled], 'count'),
    orZero(sumRate(ctx, notSent, range)),
  ];
  return `1 - (\n${indent(good.join('\n+\n'))}\n)\n/\n(\n${indent(total.join('\n+\n'))}\n)`;
}

/** The PromQL error ratio of an SLO kind for some lanes over a (scaled) range. */
export function sliErrorRatio(
  ctx: RuleContext,
  slo: SloKind,
  lanes: readonly Lane[],
  range: string,
): string {
  return slo === 'availability'
    ? availabilityRatio(ctx, lanes, range)
    : latencyRatio(ctx, lanes, range);
}

/**
 * The SLI error ratios over every burn-rate window: one record per SLO kind and window, covering
 * every lane with that SLO (the expression is the same for each lane; `by` keeps them apart).
 */
export function sliRecordingRules(ctx: RuleContext): RuleGroup {
  const names = recordNames(ctx.config.prometheus.naming, ctx.config.prometheus.rateInterval);
  const all = slis(ctx.config);
  const rules: RecordingRule[] = [];
  for (const slo of SLO_KINDS) {
    const mine = all.filter((s) => s.slo === slo);
    if (mine.length === 0) continue;
    const lanes = mine.map((s) => s.lane);
    const windows = new Set(mine.flatMap((s) => sliWindows(s.window)));
    for (const window of [...windows].sort((a, b) => parseDuration(a) - parseDuration(b))) {
      rules.push({
        record: names.sliErrorRatio(window),
        expr: sliErrorRatio(ctx, slo, lanes, ctx.scaled(window)),
        labels: { [SLO_LABEL]: slo },
      });
    }
  }
  return { name: 'gemini-lanes.sli', rules };
}
