import { type Lane, VALUES } from '@gemini-lanes/core';
import type { RouteDecision, RouteReason } from '@gemini-lanes/otel';
import type { GenerateContentParameters } from '@google/genai';
import { diag } from '@opentelemetry/api';

/** A caller's word on what kind of request this is: `interactive` → latency, `batch` → throughput. */
export type RouteHint = 'interactive' | 'batch';

/** What `decide` looks at besides the request's parameters. */
export interface RouteInput {
  /** Whether the caller asked for a stream. */
  stream: boolean;
  /** An explicit lane: always wins. */
  lane?: Lane;
  /** The caller's hint: taken unless the classifier decides. */
  hint?: RouteHint;
}

/** What a classifier is given. */
export interface RouteRequest {
  readonly params: GenerateContentParameters;
  readonly stream: boolean;
  readonly hint: RouteHint | undefined;
}

/**
 * A user's routing function: a lane to decide (reason `classifier`), or undefined to leave the
 * request to the default rule. It runs on every generate call, synchronously; a throw (or a
 * value that is not a lane) is reported through `diag` and the default rule decides.
 */
export type RouteClassifier = (request: RouteRequest) => Lane | undefined;

/** The default rule's settings. */
export interface RouteRules {
  /**
   * A request whose `config.maxOutputTokens` is above this goes to the throughput lane (reason
   * `size`); one that sets none has no expected size. `Infinity` turns the rule off. Default 2048.
   */
  maxLatencyOutputTokens?: number;
  /** Streams go to the latency lane (reason `stream`), before the size rule. Default true. */
  streamsToLatency?: boolean;
  /** The lane when nothing else decided (reason `default`). Default `latency`. */
  defaultLane?: Lane;
}

/** The default rule's settings when `rules` leaves them out. */
export const DEFAULT_ROUTE_RULES: Readonly<Required<RouteRules>> = Object.freeze({
  maxLatencyOutputTokens: 2048,
  streamsToLatency: true,
  defaultLane: 'latency',
});

const LANES: readonly string[] = VALUES.lane;

function isLane(value: unknown): value is Lane {
  return typeof value === 'string' && LANES.includes(value);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The rules with defaults filled in; a `RangeError` naming the field for a value out of range. */
export function resolveRouteRules(rules: RouteRules = {}): Readonly<Required<RouteRules>> {
  const resolved = { ...DEFAULT_ROUTE_RULES };
  const { maxLatencyOutputTokens, streamsToLatency, defaultLane } = rules;
  if (maxLatencyOutputTokens !== undefined) {
    if (typeof maxLatencyOutputTokens !== 'number' || !(maxLatencyOutputTokens > 0)) {
      throw new RangeError(
        `createRouter: rules.maxLatencyOutputTokens must be a number > 0 (got ${show(maxLatencyOutputTokens)})`,
      );
    }
    resolved.maxLatencyOutputTokens = maxLatencyOutputTokens;
  }
  if (streamsToLatency !== undefined) {
    if (typeof streamsToLatency !== 'boolean') {
      throw new RangeError(
        `createRouter: rules.streamsToLatency must be a boolean (got ${show(streamsToLatency)})`,
      );
    }
    resolved.streamsToLatency = streamsToLatency;
  }
  if (defaultLane !== undefined) {
    if (!isLane(defaultLane)) {
      throw new RangeError(
        `createRouter: rules.defaultLane must be 'latency' or 'throughput' (got ${show(defaultLane)})`,
      );
    }
    resolved.defaultLane = defaultLane;
  }
  return Object.freeze(resolved);
}

/** One frozen decision per lane and reason, so deciding allocates nothing. */
const DECISIONS = Object.fromEntries(
  VALUES.lane.map((lane) => [
    lane,
    Object.fromEntries(
      VALUES.routeReason.map((reason) => [reason, Object.freeze({ lane, reason })]),
    ),
  ]),
) as Readonly<Record<Lane, Readonly<Record<RouteReason, RouteDecision>>>>;

/** The shared, frozen decision for `lane` and `reason`. */
export function routeDecision(lane: Lane, reason: RouteReason): RouteDecision {
  return DECISIONS[lane][reason];
}

/**
 * The classifier's lane, or undefined when it left the request to the default rule, threw or
 * returned something that is not a lane (both reported through `diag`): a broken classifier
 * never breaks the call.
 */
function classified(classify: RouteClassifier, request: RouteRequest): Lane | undefined {
  let lane: unknown;
  try {
    lane = classify(request);
  } catch (error) {
    diag.error('@gemini-lanes/lanes: router classify() threw; the default rule decides', error);
    return undefined;
  }
  if (lane === undefined || isLane(lane)) return lane;
  if (typeof (lane as PromiseLike<unknown> | null)?.then === 'function') {
    // An async classifier: its result comes too late, and its rejection must not go unhandled.
    (lane as PromiseLike<unknown>).then(undefined, (error: unknown) =>
      diag.error('@gemini-lanes/lanes: router classify() rejected', error),
    );
    diag.warn(
      '@gemini-lanes/lanes: router classify() returned a promise; it must return a lane synchronously, so the default rule decides',
    );
    return undefined;
  }
  diag.warn(
    `@gemini-lanes/lanes: router classify() returned ${show(lane)}, not 'latency', 'throughput' or undefined; the default rule decides`,
  );
  return undefined;
}

/**
 * The routing rule, in order: an explicit `lane` (reason `explicit`); the classifier's lane
 * (`classifier`); the caller's `hint` (`explicit`: the caller said what the request is);
 * a stream to the latency lane (`stream`); `config.maxOutputTokens` above the threshold to the
 * throughput lane (`size`); else the default lane (`default`). Pure apart from the classifier.
 */
export function createRouteDecider(
  classify: RouteClassifier | undefined,
  rules: Readonly<Required<RouteRules>>,
): (params: GenerateContentParameters, input: RouteInput) => RouteDecision {
  const { maxLatencyOutputTokens, streamsToLatency, defaultLane } = rules;
  return (params, input) => {
    const { lane, hint, stream } = input;
    if (lane !== undefined) {
      if (!isLane(lane)) {
        throw new RangeError(
          `router: options.lane must be 'latency' or 'throughput' (got ${show(lane)})`,
        );
      }
      return DECISIONS[lane].explicit;
    }
    if (hint !== undefined && hint !== 'interactive' && hint !== 'batch') {
      throw new RangeError(
        `router: options.hint must be 'interactive' or 'batch' (got ${show(hint)})`,
      );
    }
    if (classify !== undefined) {
      const chosen = classified(classify, { params, stream, hint });
      if (chosen !== undefined) return DECISIONS[chosen].classifier;
    }
    if (hint !== undefined) {
      return hint === 'interactive' ? DECISIONS.latency.explicit : DECISIONS.throughput.explicit;
    }
    if (stream && streamsToLatency) return DECISIONS.latency.stream;
    const maxOutputTokens = params.config?.maxOutputTokens;
    if (typeof maxOutputTokens === 'number' && maxOutputTokens > maxLatencyOutputTokens) {
      return DECISIONS.throughput.size;
    }
    return DECISIONS[defaultLane].default;
  };
}
