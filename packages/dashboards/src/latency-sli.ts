import {
  ATTR,
  type GeminiLanesConfig,
  leMatcher,
  type Outcome,
  promqlNumber,
  type VALUES,
} from '@gemini-lanes/core';
import { equals, notEquals, oneOf } from './label-matcher.js';
import { type QueryScope, selector } from './series-selector.js';

// Label values are typed against core's closed sets, so a renamed value fails to compile.
const GENERATE_CONTENT: (typeof VALUES.operationName)[number] = 'generate_content';
const UNARY: (typeof VALUES.requestStream)[number] = 'false';
/** Requests that never reached the upstream and count as bad events (see core's `VALUES.outcome`). */
const SHED: readonly Outcome[] = ['rejected', 'timed_out'];
/** `error.type` is absent on calls that did not fail; `=""` matches a missing label. */
const NO_ERROR = '';
/** Calls the caller gave up on are neither good nor bad (the alerts' SLI excludes them too). */
const CANCELLED = 'cancelled';

/** The SLO belongs to the latency lane as a whole: the lane is pinned and every model counts. */
function sloScope(config: GeminiLanesConfig): QueryScope {
  return { config, lane: 'latency', model: 'any' };
}

function orZero(expr: string): string {
  return `(${expr} or vector(0))`;
}

/**
 * Good events per second over `window`: streaming calls whose time to first chunk is within
 * `sla.ttftMs`, plus unary calls whose duration is within `sla.durationMs`, both without
 * `error.type`, `generate_content` only; each read from its SLA's exact bucket.
 */
export function sliGood(config: GeminiLanesConfig, window: string): string {
  const scope = sloScope(config);
  const { ttftMs, durationMs } = config.lanes.latency.sla;
  const op = equals(ATTR.operationName, GENERATE_CONTENT);
  const ok = equals(ATTR.errorType, NO_ERROR);
  const streams = selector(scope, 'timeToFirstChunk', 'bucket', [op, ok, leMatcher(ttftMs / 1000)]);
  const unary = selector(scope, 'operationDuration', 'bucket', [
    op,
    ok,
    equals(ATTR.requestStream, UNARY),
    leMatcher(durationMs / 1000),
  ]);
  return `${orZero(`sum(rate(${streams}[${window}]))`)} + ${orZero(`sum(rate(${unary}[${window}]))`)}`;
}

/**
 * All events per second over `window`: every streaming and unary `generate_content` call the
 * caller did not cancel, plus the lane's rejected and timed-out `generate_content` requests, so
 * shedding load never improves the SLI. The same definition as the recording rules'.
 */
export function sliTotal(config: GeminiLanesConfig, window: string): string {
  const scope = sloScope(config);
  const op = equals(ATTR.operationName, GENERATE_CONTENT);
  const notCancelled = notEquals(ATTR.errorType, CANCELLED);
  const streams = selector(scope, 'timeToFirstChunk', 'count', [op, notCancelled]);
  const unary = selector(scope, 'operationDuration', 'count', [
    op,
    notCancelled,
    equals(ATTR.requestStream, UNARY),
  ]);
  const shed = selector(scope, 'requests', 'value', [op, oneOf(ATTR.outcome, SHED)]);
  return [streams, unary, shed].map((s) => orZero(`sum(rate(${s}[${window}]))`)).join(' + ');
}

/** The share of good events over `window` (0–1). */
export function sliRatio(config: GeminiLanesConfig, window: string): string {
  return `(${sliGood(config, window)}) / (${sliTotal(config, window)})`;
}

/** The error budget: 1 − objective. */
export function errorBudget(config: GeminiLanesConfig): number {
  return 1 - config.slos.latency.latency.target;
}

/** How fast the budget burns over `window`: error ratio / (1 − objective); 1 spends it exactly over the SLO window. */
export function burnRate(config: GeminiLanesConfig, window: string): string {
  return `(1 - ${sliRatio(config, window)}) / ${promqlNumber(errorBudget(config))}`;
}

/** The share of the SLO window's error budget still unspent (1 = untouched, ≤ 0 = spent). */
export function budgetRemaining(config: GeminiLanesConfig): string {
  return `1 - ${burnRate(config, config.slos.latency.window)}`;
}
