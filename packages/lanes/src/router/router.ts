import { ATTR, type Lane, type Priority, VALUES } from '@gemini-lanes/core';
import {
  guard,
  type InstrumentOf,
  type MetricAttributesOf,
  type RouteDecision,
  setRouteDecision,
  type Telemetry,
} from '@gemini-lanes/otel';
import type {
  CountTokensParameters,
  CountTokensResponse,
  EmbedContentParameters,
  EmbedContentResponse,
  GenerateContentParameters,
  GenerateContentResponse,
} from '@google/genai';
import { type Context, context } from '@opentelemetry/api';
import type { LatencyCallOptions } from '../latency/latency-lane.js';
import {
  createRouteDecider,
  type RouteClassifier,
  type RouteHint,
  type RouteInput,
  type RouteRules,
  resolveRouteRules,
  routeDecision,
} from './route-rules.js';
import { streamWithin, within } from './routed-stream.js';
import type {
  RouterEmbedOptions,
  RouterLatencyLane,
  RouterThroughputCallOptions,
  RouterThroughputLane,
} from './router-lanes.js';

export type { RouteDecision, RouteReason } from '@gemini-lanes/otel';
export {
  DEFAULT_ROUTE_RULES,
  type RouteClassifier,
  type RouteHint,
  type RouteInput,
  type RouteRequest,
  type RouteRules,
} from './route-rules.js';
export type {
  RouterEmbedOptions,
  RouterLatencyLane,
  RouterThroughputCallOptions,
  RouterThroughputLane,
} from './router-lanes.js';

/** Options of `createRouter`. */
export interface RouterOptions {
  /** Interactive traffic: `createLatencyLane(...)` or anything shaped like it. */
  latency: RouterLatencyLane;
  /** Batch traffic: `createThroughputLane(...)` or anything shaped like it. */
  throughput: RouterThroughputLane;
  /** Decides before the default rule when it returns a lane; undefined leaves it to the rule. */
  classify?: RouteClassifier | undefined;
  /** The process's telemetry: decisions are counted in `gemini_lanes.router.decisions`. */
  telemetry?: Telemetry | undefined;
  /** The default rule's thresholds (`DEFAULT_ROUTE_RULES` for what is left out). */
  rules?: RouteRules | undefined;
}

/**
 * Per-call options of the router's generate calls: how to route (`lane`, `hint`), and the
 * lane options, each handed on only to a lane that takes it (the throughput lane takes
 * `signal` and `timeoutMs`; `priority` and `maxQueueWaitMs` are the latency lane's).
 */
export interface RouterCallOptions {
  /** The lane to use, whatever the request looks like (reason `explicit`). */
  lane?: Lane;
  /** What the caller knows of the request: `interactive` → latency, `batch` → throughput (reason `explicit`), unless the classifier decides. */
  hint?: RouteHint;
  /** Latency lane only. */
  priority?: Priority;
  /** Latency lane only. */
  maxQueueWaitMs?: number;
  /** Latency lane only: the response cache's tenant (see `LatencyCallOptions.tenant`). */
  tenant?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One front for both lanes: each request goes to the lane its decision names. */
export interface Router {
  /** Routes the call (stream false) and returns the chosen lane's answer or error, unchanged. */
  generateContent(
    params: GenerateContentParameters,
    options?: RouterCallOptions,
  ): Promise<GenerateContentResponse>;
  /**
   * Routes the call (stream true) when the first chunk is asked for, then passes the chosen
   * lane's chunks on as they come; stopping early stops the lane's stream.
   */
  generateContentStream(
    params: GenerateContentParameters,
    options?: RouterCallOptions,
  ): AsyncGenerator<GenerateContentResponse, void, undefined>;
  /** Always the throughput lane (the one that embeds, micro-batching concurrent calls); reason `default`. */
  embedContent(
    params: EmbedContentParameters,
    options?: RouterEmbedOptions,
  ): Promise<EmbedContentResponse>;
  /** The latency lane's `countTokens`: free, quick, and not a routing decision (not counted). */
  countTokens(
    params: CountTokensParameters,
    options?: LatencyCallOptions,
  ): Promise<CountTokensResponse>;
  /**
   * The decision for a request, without sending it or counting it: the classifier runs, the
   * metric does not move. What `generateContent` and `generateContentStream` do first.
   */
  decide(params: GenerateContentParameters, input: RouteInput): RouteDecision;
  /** The default rule's settings in force. */
  readonly rules: Readonly<Required<RouteRules>>;
}

type RouteLabels = MetricAttributesOf<'routed'>;

/** One frozen label set per lane and reason, built once: counting a decision allocates nothing. */
const LABELS = Object.fromEntries(
  VALUES.lane.map((lane) => [
    lane,
    Object.fromEntries(
      VALUES.routeReason.map((reason) => [
        reason,
        Object.freeze({ [ATTR.lane]: lane, [ATTR.routeReason]: reason }),
      ]),
    ),
  ]),
) as Readonly<Record<Lane, Readonly<Record<RouteDecision['reason'], RouteLabels>>>>;

function latencyOptions(options: RouterCallOptions): LatencyCallOptions {
  const out: LatencyCallOptions = {};
  if (options.priority !== undefined) out.priority = options.priority;
  if (options.maxQueueWaitMs !== undefined) out.maxQueueWaitMs = options.maxQueueWaitMs;
  if (options.tenant !== undefined) out.tenant = options.tenant;
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  if (options.signal !== undefined) out.signal = options.signal;
  return out;
}

function throughputOptions(options: RouterCallOptions): RouterThroughputCallOptions {
  const out: RouterThroughputCallOptions = {};
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  if (options.signal !== undefined) out.signal = options.signal;
  return out;
}

function checkLane(value: unknown, name: string, methods: readonly string[]): void {
  const lane = value as Record<string, unknown> | null | undefined;
  if (
    typeof lane !== 'object' ||
    lane === null ||
    methods.some((m) => typeof lane[m] !== 'function')
  ) {
    throw new TypeError(
      `createRouter: options.${name} must be a ${name} lane (an object with ${methods.join(', ')})`,
    );
  }
}

class RouterImpl implements Router {
  readonly rules: Readonly<Required<RouteRules>>;
  readonly decide: (params: GenerateContentParameters, input: RouteInput) => RouteDecision;
  readonly #latency: RouterLatencyLane;
  readonly #throughput: RouterThroughputLane;
  readonly #routed: InstrumentOf<'routed'> | undefined;

  constructor(options: RouterOptions) {
    checkLane(options.latency, 'latency', [
      'generateContent',
      'generateContentStream',
      'countTokens',
    ]);
    checkLane(options.throughput, 'throughput', [
      'generateContent',
      'generateContentStream',
      'embedContent',
    ]);
    if (options.classify !== undefined && typeof options.classify !== 'function') {
      throw new TypeError('createRouter: options.classify must be a function');
    }
    this.#latency = options.latency;
    this.#throughput = options.throughput;
    this.rules = resolveRouteRules(options.rules);
    this.decide = createRouteDecider(options.classify, this.rules);
    const routed = options.telemetry?.instruments.routed;
    this.#routed = routed;
    // Every lane and reason starts at 0, so a rate or a share of decisions reads 0, not nothing.
    if (routed !== undefined) {
      guard('router decision metric', () => {
        for (const lane of VALUES.lane) {
          for (const reason of VALUES.routeReason) routed.add(0, LABELS[lane][reason]);
        }
      });
    }
  }

  generateContent(
    params: GenerateContentParameters,
    options: RouterCallOptions = {},
  ): Promise<GenerateContentResponse> {
    // Not an async method: the lane's own promise comes back, with no extra one around it.
    try {
      const decision = this.#route(params, false, options);
      const ctx = this.#contextOf(decision);
      return decision.lane === 'latency'
        ? within(ctx, () => this.#latency.generateContent(params, latencyOptions(options)))
        : within(ctx, () => this.#throughput.generateContent(params, throughputOptions(options)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async *generateContentStream(
    params: GenerateContentParameters,
    options: RouterCallOptions = {},
  ): AsyncGenerator<GenerateContentResponse, void, undefined> {
    const decision = this.#route(params, true, options);
    const ctx = this.#contextOf(decision);
    yield* decision.lane === 'latency'
      ? streamWithin(ctx, () =>
          this.#latency.generateContentStream(params, latencyOptions(options)),
        )
      : streamWithin(ctx, () =>
          this.#throughput.generateContentStream(params, throughputOptions(options)),
        );
  }

  embedContent(
    params: EmbedContentParameters,
    options: RouterEmbedOptions = {},
  ): Promise<EmbedContentResponse> {
    try {
      const decision = routeDecision('throughput', 'default');
      this.#count(decision);
      const ctx = this.#contextOf(decision);
      const embedOptions: RouterEmbedOptions = {};
      if (options.signal !== undefined) embedOptions.signal = options.signal;
      return within(ctx, () => this.#throughput.embedContent(params, embedOptions));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  countTokens(
    params: CountTokensParameters,
    options?: LatencyCallOptions,
  ): Promise<CountTokensResponse> {
    return this.#latency.countTokens(params, options);
  }

  #route(
    params: GenerateContentParameters,
    stream: boolean,
    options: RouterCallOptions,
  ): RouteDecision {
    const input: RouteInput = { stream };
    if (options.lane !== undefined) input.lane = options.lane;
    if (options.hint !== undefined) input.hint = options.hint;
    const decision = this.decide(params, input);
    this.#count(decision);
    return decision;
  }

  #count(decision: RouteDecision): void {
    const routed = this.#routed;
    if (routed === undefined) return;
    guard('router decision metric', () => routed.add(1, LABELS[decision.lane][decision.reason]));
  }

  /** The active context with the decision in it, so the lane's call span records the reason. */
  #contextOf(decision: RouteDecision): Context | undefined {
    return guard('route decision context', () => setRouteDecision(context.active(), decision));
  }
}

/**
 * A router over a latency lane and a throughput lane. Each generate call goes where an explicit
 * `lane` says, else where `classify` says, else where the default rule says (the caller's
 * `hint`, then streams to latency, then large `maxOutputTokens` to throughput, else the default
 * lane). The decision is counted in `gemini_lanes.router.decisions` by lane and reason, and put
 * in the OpenTelemetry context the lane's call runs in, so its span carries
 * `gemini_lanes.route.reason` (given a context manager, e.g. `register()`'s). Telemetry and a
 * broken classifier never change the call; the lane's answer and errors come back unchanged.
 */
export function createRouter(options: RouterOptions): Router {
  return new RouterImpl(options);
}
