import { type Lane, VALUES } from '@gemini-lanes/core';
import { type Context, context, createContextKey } from '@opentelemetry/api';

/** Why a router sent a request to its lane: the catalog's `gemini_lanes.route.reason` values. */
export type RouteReason = (typeof VALUES.routeReason)[number];

/** A router's choice for one request: the lane and the rule that chose it. */
export interface RouteDecision {
  readonly lane: Lane;
  readonly reason: RouteReason;
}

// `createContextKey` is `Symbol.for`: two copies of this package read each other's decision,
// which is why `routeDecisionFrom` checks the value's shape rather than trusting it.
const ROUTE_DECISION = createContextKey('@gemini-lanes/otel route decision');

const LANES: readonly string[] = VALUES.lane;
const REASONS: readonly string[] = VALUES.routeReason;

/** A copy of `parent` that carries `decision` (the `trace.setSpan` of route decisions). */
export function setRouteDecision(parent: Context, decision: RouteDecision): Context {
  return parent.setValue(ROUTE_DECISION, decision);
}

/**
 * The route decision `ctx` (default: the active context) carries, or undefined when it carries
 * none or something that is not one.
 */
export function routeDecisionFrom(ctx: Context = context.active()): RouteDecision | undefined {
  const value = ctx.getValue(ROUTE_DECISION) as Partial<RouteDecision> | undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const { lane, reason } = value;
  return typeof lane === 'string' &&
    LANES.includes(lane) &&
    typeof reason === 'string' &&
    REASONS.includes(reason)
    ? (value as RouteDecision)
    : undefined;
}

/**
 * Runs `fn` with `decision` in the active context: every call an instrumented client of the
 * decision's lane starts inside it (and in the async work `fn` starts) records the decision's
 * reason on its span as `gemini_lanes.route.reason`. Needs a context manager (the one
 * `register()` or the NodeSDK installs); without one `fn` simply runs and spans carry no reason.
 */
export function withRouteDecision<A extends unknown[], R>(
  decision: RouteDecision,
  fn: (...args: A) => R,
  ...args: A
): R {
  return context.with(setRouteDecision(context.active(), decision), fn, undefined, ...args);
}
