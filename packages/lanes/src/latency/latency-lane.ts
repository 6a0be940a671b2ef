import {
  ATTR,
  type Clock,
  describeUpstreamError,
  GeminiLanesError,
  isGeminiLanesError,
  LaneClosedError,
  LaneOverloadedError,
  type LatencyLaneConfig,
  type Outcome,
  type Priority,
  QueueTimeoutError,
  QuotaExhaustedError,
  RequestTimeoutError,
  systemClock,
} from '@gemini-lanes/core';
import {
  type AttemptKind,
  type FallbackReason,
  guard,
  markLaneAttempt,
  type Telemetry,
} from '@gemini-lanes/otel';
import type {
  CountTokensParameters,
  CountTokensResponse,
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
} from '@google/genai';
import { diag } from '@opentelemetry/api';
import { markUncacheable } from '../cache/cached-response.js';
import { MemoryResponseCacheStore } from '../cache/memory-response-cache-store.js';
import { RedisResponseCacheStore } from '../cache/redis-response-cache-store.js';
import { ResponseCache } from '../cache/response-cache.js';
import { isResponseCacheStore, type ResponseCacheStore } from '../cache/response-cache-store.js';
import { createLaneClient, type LaneUpstream } from '../pool/lane-client.js';
import type { LaneConnectionPool, PoolStatsSnapshot } from '../pool/lane-connection-pool.js';
import type { PressureSignal, QuotaLimiter, QuotaPermit } from '../quota/quota-limiter.js';
import { servedNothing } from '../quota/unserved.js';
import type { RedisClientLike } from '../redis/redis-commander.js';
import { RetryBudget } from '../throughput/retry-budget.js';
import { AdmissionQueue } from './admission-queue.js';
import { type EndpointLease, EndpointSet } from './endpoint-set.js';
import { RecentQuantile } from './recent-quantile.js';
import { estimateInputTokens } from './token-estimate.js';

const POOL_STATES = ['connected', 'free', 'pending', 'queued', 'running'] as const;

/** An upstream answer slower than this share of its SLA threshold signals pressure. */
const SLOW_SHARE_OF_SLA = 0.8;

/** Streams observed (per model) before the observed percentile sets the hedge delay. */
const HEDGE_MIN_SAMPLES = 20;

/** The window over which hedges stay within `hedging.maxShare` of streaming requests. */
const HEDGE_WINDOW_MS = 10_000;

/** The abort reason of the attempt that lost a hedge race: recorded as `cancelled`, never as an error. */
const HEDGE_LOST = 'hedge lost: the other attempt delivered first';

export interface LatencyLaneOptions {
  /** API key; default `GEMINI_API_KEY` or `GOOGLE_API_KEY` from the environment. Never logged. */
  apiKey?: string | undefined;
  /** The process's telemetry (`createTelemetry(config)`); without it the SDK's default instrumentation applies. */
  telemetry?: Telemetry | undefined;
  /** The shared quota limiter; without it the lane does not debit quota. */
  quota?: QuotaLimiter | undefined;
  /** Overrides `endpoints[0].url` (the emulator in tests). */
  baseUrl?: string | undefined;
  clock?: Clock | undefined;
  /**
   * The response cache's store when `cache.enabled`: a connected node-redis or ioredis client
   * (required when `cache.store` is `redis`), or any `ResponseCacheStore`. Default: a
   * `MemoryResponseCacheStore` bounded by `cache.maxBytes`.
   */
  cache?: ResponseCacheStore | RedisClientLike | undefined;
}

/** Per-call options of the latency lane. */
export interface LatencyCallOptions {
  priority?: Priority;
  /** Overrides `sla.maxQueueWaitMs` for this call. */
  maxQueueWaitMs?: number;
  /** Overrides `sla.timeoutMs` for this call (queue wait included). */
  timeoutMs?: number;
  /** Cancels the call, queued or running; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Scopes the response cache: callers with different tenants never share an entry. Without
   * it the scope is a hash of the lane's API key.
   */
  tenant?: string;
}

/** Interactive traffic: admitted within its SLA or refused at once, never served late. */
export interface LatencyLane {
  /** The lane's own instrumented client (its own connection pool); for calls the lane does not wrap. */
  readonly client: GoogleGenAI;
  /**
   * One answer, admitted within the SLA or refused at once. With the response cache on, a
   * deterministic request (temperature 0) is answered from the cache without a slot or quota
   * when it can be, and joins an identical call in flight rather than making its own.
   */
  generateContent(
    params: GenerateContentParameters,
    options?: LatencyCallOptions,
  ): Promise<GenerateContentResponse>;
  /**
   * Chunks reach the caller as they arrive; the admission slot is held until the stream ends or
   * is abandoned. `timeoutMs` bounds the time to the first chunk; after it, the stream may run
   * as long as chunks keep coming (at most `sla.timeoutMs` apart). A cached stream is served
   * as a stream of the stored chunks; a miss is passed through as it arrives.
   */
  generateContentStream(
    params: GenerateContentParameters,
    options?: LatencyCallOptions,
  ): AsyncGenerator<GenerateContentResponse>;
  countTokens(
    params: CountTokensParameters,
    options?: LatencyCallOptions,
  ): Promise<CountTokensResponse>;
  /** Opens the configured number of warm connections; resolves when they are open (failures are reported through diag). */
  prewarm(): Promise<void>;
  /** Requests running and waiting, the connection pool, and each endpoint's latency estimate. */
  stats(): {
    running: number;
    queued: number;
    pool: PoolStatsSnapshot;
    endpoints: Array<{ name: string; estimateMs: number; inflight: number; ejected: boolean }>;
  };
  /** Refuses new and queued calls, lets running ones finish, closes the connections. */
  close(): Promise<void>;
}

/** `cache.store` is `redis` but the lane was given no Redis client to use. */
export class MissingCacheStoreError extends GeminiLanesError {
  constructor() {
    super(
      'ERR_NO_CACHE_STORE',
      'lanes.latency.cache.store is "redis": pass a connected Redis client as the lane\'s cache option',
    );
  }
}

interface CallContext {
  /** The model the caller asked for. */
  model: string;
  operation: 'generate_content' | 'count_tokens';
  /** When the call arrived (the lane's clock). */
  startedAt: number;
  deadline: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Stops the deadline (a stream that has started is bounded by the idle timeout between chunks instead). */
  disarm(): void;
  dispose(): void;
  /** True once the lane's own deadline fired (as opposed to the caller aborting). */
  timedOut(): boolean;
}

class LatencyLaneImpl implements LatencyLane {
  readonly client: GoogleGenAI;
  readonly #config: LatencyLaneConfig;
  readonly #pool: LaneConnectionPool;
  readonly #queue: AdmissionQueue;
  readonly #quota: QuotaLimiter | undefined;
  readonly #telemetry: Telemetry | undefined;
  readonly #clock: Clock;
  readonly #origins: string[];
  readonly #endpoints: EndpointSet<LaneUpstream>;
  /** Recent times to first chunk of each model's streams, for the hedge delay. */
  readonly #ttfc = new Map<string, RecentQuantile>();
  readonly #hedgeBudget: RetryBudget;
  readonly #unobserve: Array<() => void> = [];
  readonly #cache: ResponseCache | undefined;
  /** The memory store the lane made itself (emptied on close); a store passed in stays the caller's. */
  #ownedCacheStore: ResponseCacheStore | undefined;

  constructor(config: LatencyLaneConfig, options: LatencyLaneOptions) {
    const { client, pool, upstreams, apiKey } = createLaneClient(config, {
      lane: 'latency',
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      telemetry: options.telemetry,
      requestTimeoutMs: config.sla.timeoutMs,
    });
    this.#config = config;
    this.#quota = options.quota;
    this.#telemetry = options.telemetry;
    this.#clock = options.clock ?? systemClock;
    this.#origins = [...new Set(upstreams.map((u) => u.origin))];
    this.#pool = pool;
    this.client = client;
    const instruments = options.telemetry?.instruments;
    this.#endpoints = new EndpointSet(
      upstreams,
      { ...config.endpointHealth, clock: this.#clock },
      {
        ejected: (upstream, untilMs) => {
          diag.warn(
            `@gemini-lanes/lanes: latency lane ejected endpoint ${upstream.name} for ${Math.round(untilMs - this.#clock.now())} ms after consecutive failures`,
          );
          guard('endpoint ejection metric', () => {
            const url = new URL(upstream.origin);
            instruments?.endpointEjections.add(1, {
              [ATTR.lane]: 'latency',
              [ATTR.serverAddress]: url.hostname.replace(/^\[(.*)\]$/, '$1'),
              [ATTR.serverPort]: Number(url.port || (url.protocol === 'http:' ? 80 : 443)),
            });
          });
        },
        recovered: (upstream) =>
          diag.info(`@gemini-lanes/lanes: latency lane endpoint ${upstream.name} back in rotation`),
      },
    );
    this.#hedgeBudget = new RetryBudget({
      ratio: config.hedging.maxShare,
      minPerSecond: 0,
      windowMs: HEDGE_WINDOW_MS,
      clock: this.#clock,
    });
    this.#cache = config.cache.enabled
      ? new ResponseCache(this.#cacheStore(config, options), {
          ttlMs: config.cache.ttlMs,
          nondeterministic: config.cache.nondeterministic,
          apiKey,
          telemetry: options.telemetry,
        })
      : undefined;
    this.#queue = new AdmissionQueue({
      concurrency: config.concurrency,
      maxLength: config.queue.maxLength,
      maxQueueWaitMs: config.sla.maxQueueWaitMs,
      clock: this.#clock,
      observer: instruments && {
        depthChanged: (priority, delta) =>
          guard('queue depth metric', () =>
            instruments.queueDepth.add(delta, {
              [ATTR.lane]: 'latency',
              [ATTR.priority]: priority,
            }),
          ),
        left: (priority, waitMs, outcome, reason) =>
          guard('queue metrics', () => {
            const queueOutcome: Outcome =
              outcome === 'admitted'
                ? 'success'
                : outcome === 'cancelled'
                  ? 'cancelled'
                  : 'rejected';
            instruments.queueWait.record(waitMs / 1000, {
              [ATTR.lane]: 'latency',
              [ATTR.priority]: priority,
              [ATTR.outcome]: queueOutcome,
            });
            if (reason !== undefined) {
              instruments.rejections.add(1, {
                [ATTR.lane]: 'latency',
                [ATTR.rejectionReason]: reason,
                [ATTR.priority]: priority,
              });
            }
          }),
      },
    });
    guard('concurrency limit metric', () =>
      instruments?.concurrencyLimit.record(config.concurrency, { [ATTR.lane]: 'latency' }),
    );
    // Read at every collection, so an idle lane never exports a stale pool or quota reading.
    if (instruments) {
      this.#unobserve.push(
        instruments.poolConnections.addCallback((observe) => {
          const stats = this.#pool.stats();
          for (const state of POOL_STATES) {
            observe(stats[state], { [ATTR.lane]: 'latency', [ATTR.poolState]: state });
          }
        }),
      );
      const quota = this.#quota;
      const telemetry = options.telemetry;
      if (quota && telemetry) {
        this.#unobserve.push(
          instruments.quotaUtilization.addCallback((observe) => {
            // Each lane reports its own share of the quota.
            for (const u of quota.utilization()) {
              if (u.lane !== 'latency') continue;
              observe(u.value, {
                [ATTR.lane]: u.lane,
                [ATTR.quotaDimension]: u.dimension,
                [ATTR.requestModel]: telemetry.modelLabel(u.model),
              });
            }
          }),
        );
      }
    }
    if (config.pool.prewarm > 0) {
      void this.prewarm();
      this.#pool.keepWarm(this.#origins);
    }
  }

  async prewarm(): Promise<void> {
    for (const failure of await this.#pool.prewarm(this.#origins)) {
      diag.warn(
        `@gemini-lanes/lanes: latency lane could not pre-warm a connection to ${failure.origin}`,
        failure.error,
      );
    }
  }

  stats() {
    return {
      running: this.#queue.running,
      queued: this.#queue.depth(),
      pool: this.#pool.stats(),
      endpoints: this.#endpoints.snapshot().map(({ endpoint, ...rest }) => ({
        name: endpoint.name,
        ...rest,
      })),
    };
  }

  async generateContent(
    params: GenerateContentParameters,
    options: LatencyCallOptions = {},
  ): Promise<GenerateContentResponse> {
    const cache = this.#cache;
    if (cache === undefined) return this.#generate(params, options);
    const { shared, signal: callerSignal } = detachSignal(params, options.signal);
    // The shared call is bound to no caller's signal: the flight aborts it when all have left.
    const lookup = await cache.lookup(params, options.tenant, false, (signal) =>
      once(() => this.#generate(shared, { ...options, signal })),
    );
    switch (lookup.result) {
      case 'bypass':
        return this.#generate(params, options);
      case 'hit':
        this.#servedHit(params.model, callerSignal);
        return lookup.chunks[0] as GenerateContentResponse;
      case 'coalesced':
        return this.#served(params.model, callerSignal, async () => {
          const chunks = await lookup.flight.result(callerSignal);
          return chunks[0] as GenerateContentResponse;
        });
      case 'miss':
        return (await lookup.flight.result(callerSignal))[0] as GenerateContentResponse;
    }
  }

  async *generateContentStream(
    params: GenerateContentParameters,
    options: LatencyCallOptions = {},
  ): AsyncGenerator<GenerateContentResponse> {
    const cache = this.#cache;
    if (cache === undefined) return yield* this.#stream(params, options);
    const { shared, signal: callerSignal } = detachSignal(params, options.signal);
    const lookup = await cache.lookup(params, options.tenant, true, (signal) =>
      this.#stream(shared, { ...options, signal }),
    );
    switch (lookup.result) {
      case 'bypass':
        return yield* this.#stream(params, options);
      case 'hit':
        this.#servedHit(params.model, callerSignal);
        return yield* lookup.chunks;
      case 'coalesced': {
        let outcome: Outcome = 'cancelled';
        try {
          yield* lookup.flight.read(callerSignal);
          outcome = 'success';
        } catch (error) {
          outcome = this.#outcomeOf(error, callerSignal);
          throw error;
        } finally {
          this.#recordServed(params.model, outcome);
        }
        return;
      }
      case 'miss':
        return yield* lookup.flight.read(callerSignal);
    }
  }

  /** A call without the cache: admission, quota, the upstream call, and one retry or fallback. */
  async #generate(
    params: GenerateContentParameters,
    options: LatencyCallOptions,
  ): Promise<GenerateContentResponse> {
    const call = this.#begin(params.model, 'generate_content', options);
    const admitted = await this.#admit(call, options, estimateInputTokens(params));
    let attempt = admitted.attempt;
    let avoid: LaneUpstream | undefined;
    try {
      for (;;) {
        const lease = this.#endpoints.pick(avoid);
        const sentAt = this.#clock.now();
        try {
          const response = await lease.endpoint.client.models.generateContent(
            this.#attemptParams(params, call.signal, attempt),
          );
          const ms = this.#clock.now() - sentAt;
          // A unary call's duration is mostly its answer's length, not the endpoint's speed: it
          // counts as a success for the endpoint's health, not as a latency sample.
          lease.succeeded();
          this.#observeLatency(ms, this.#config.sla.durationMs, call);
          this.#settle(attempt.permit, response.usageMetadata?.promptTokenCount);
          return attempt.fallbackReason !== undefined ? markUncacheable(response) : response;
        } catch (error) {
          this.#reportToEndpoint(lease, error, this.#clock.now() - sentAt);
          this.#refundIfUnserved(attempt.permit, error);
          const next =
            attempt.kind === 'first'
              ? await this.#nextAttempt(call, attempt, error, false)
              : undefined;
          if (next !== undefined) {
            attempt = next;
            avoid = lease.endpoint;
            continue;
          }
          throw this.#mapError(call, error);
        }
      }
    } finally {
      admitted.done();
      call.dispose();
    }
  }

  /**
   * A stream without the cache: admission, quota, the upstream stream (hedged when enabled), and
   * one retry or fallback before its first chunk.
   */
  async *#stream(
    params: GenerateContentParameters,
    options: LatencyCallOptions,
  ): AsyncGenerator<GenerateContentResponse> {
    const call = this.#begin(params.model, 'generate_content', options);
    const admitted = await this.#admit(call, options, estimateInputTokens(params));
    let attempt = admitted.attempt;
    let avoid: LaneUpstream | undefined;
    let yielded = false;
    this.#hedgeBudget.recordRequest();
    try {
      for (;;) {
        let running: RunningStream | undefined;
        const tried: { upstream?: LaneUpstream } = {};
        try {
          running = await this.#firstChunk(params, call, attempt, avoid, tried);
          // The deadline bounds the wait for the first chunk; a long answer may take longer to
          // stream, bounded by the pool's idle timeout between chunks (sla.timeoutMs).
          call.disarm();
          let promptTokens: number | undefined;
          let next = running.first;
          while (next.done !== true) {
            // What the fallback model answered (its hedge's answer included) is never cached.
            const chunk =
              running.attempt.fallbackReason !== undefined
                ? markUncacheable(next.value)
                : next.value;
            yielded = true;
            promptTokens = chunk.usageMetadata?.promptTokenCount ?? promptTokens;
            yield chunk;
            next = await running.stream.next();
          }
          this.#settle(running.attempt.permit, promptTokens);
          return;
        } catch (error) {
          // A second attempt after the caller has seen chunks would repeat them: only before the first.
          const failed = running?.attempt ?? attempt;
          const next =
            !yielded && failed.kind === 'first'
              ? await this.#nextAttempt(call, failed, error, true)
              : undefined;
          if (next !== undefined) {
            attempt = next;
            avoid = running?.upstream ?? tried.upstream;
            continue;
          }
          throw this.#mapError(call, error);
        } finally {
          // The caller stopped reading early (or the stream failed): end the upstream stream too.
          if (running !== undefined) void running.stream.return(undefined).catch(() => {});
        }
      }
    } finally {
      admitted.done();
      call.dispose();
    }
  }

  /**
   * Sends `attempt` and waits for its first chunk. With hedging on, when no chunk has come by
   * the hedge delay, sends a hedge (to another endpoint when there is one, within the hedge
   * share and the quota): the first of the two to deliver a chunk wins, the other is aborted.
   */
  async #firstChunk(
    params: GenerateContentParameters,
    call: CallContext,
    attempt: Attempt,
    avoid: LaneUpstream | undefined,
    tried: { upstream?: LaneUpstream },
  ): Promise<RunningStream> {
    const primary = this.#startStream(params, call, attempt, avoid, undefined);
    tried.upstream = primary.lease.endpoint;
    const delayMs = this.#hedgeDelayMs(attempt.model);
    if (delayMs === undefined || this.#clock.now() + delayMs >= call.deadline) {
      return this.#settleAlone(primary);
    }
    const timer = new AbortController();
    const fired = await Promise.race([
      primary.first.then(
        () => false,
        () => false,
      ),
      sleep(delayMs, AbortSignal.any([call.signal, timer.signal])).then(() => true),
    ]);
    timer.abort();
    if (!fired || call.signal.aborted) return this.#settleAlone(primary);
    const permit = await this.#hedgePermit(attempt.model, primary.inputTokens);
    if (permit === false) {
      // Due, but the hedge share or the quota had no room: visible, so a cap that binds shows.
      this.#recordHedge('refused');
      return this.#settleAlone(primary);
    }
    if (call.signal.aborted || primary.failure !== undefined) {
      // Aborted, or the first attempt failed, while the quota was taken: no hedge after all.
      this.#refund(permit);
      return this.#settleAlone(primary);
    }
    // A hedge of a fallback attempt is a fallback too: same model, same reason, never cached.
    const hedge = this.#startStream(
      params,
      call,
      { ...attempt, kind: 'hedge', permit, inputTokens: primary.inputTokens },
      primary.lease.endpoint,
      primary.sentAtPerf,
    );
    tried.upstream = hedge.lease.endpoint;
    let winner: StartedStream;
    try {
      winner = await firstToDeliver(primary, hedge);
    } catch (error) {
      for (const failed of [primary, hedge]) this.#reportFailure(failed);
      this.#recordHedge('lost');
      throw error;
    }
    const loser = winner === primary ? hedge : primary;
    if (loser.failure !== undefined) this.#reportFailure(loser);
    else loser.abandon(this.#clock.now());
    this.#recordHedge(winner === hedge ? 'won' : 'lost');
    return this.#settleAlone(winner, primary.sentAt);
  }

  #recordHedge(outcome: 'won' | 'lost' | 'refused'): void {
    guard('hedge metric', () =>
      this.#telemetry?.instruments.hedges.add(1, {
        [ATTR.lane]: 'latency',
        [ATTR.hedgeOutcome]: outcome,
      }),
    );
  }

  #reportFailure(attempt: StartedStream): void {
    const failure = attempt.failure;
    if (failure !== undefined) {
      this.#reportToEndpoint(attempt.lease, failure.error, failure.atMs - attempt.sentAt);
      this.#refundIfUnserved(attempt.attempt.permit, failure.error);
    }
  }

  /** Settles a permit with the answer's input tokens; a quota store failure never fails the answer. */
  #settle(permit: QuotaPermit | undefined, promptTokens: number | undefined): void {
    if (permit === undefined || promptTokens === undefined) return;
    permit.settle(promptTokens).catch((error: unknown) => {
      diag.warn('@gemini-lanes/lanes: latency lane could not settle quota', error);
    });
  }

  /** Gives a permit back: the attempt was never sent. */
  #refund(permit: QuotaPermit | undefined): void {
    permit?.refund().catch((error: unknown) => {
      diag.warn('@gemini-lanes/lanes: latency lane could not refund quota', error);
    });
  }

  /** A 429 or a connection never made: the upstream served nothing, so the attempt's quota goes back. */
  #refundIfUnserved(permit: QuotaPermit | undefined, error: unknown): void {
    if (servedNothing(error)) this.#refund(permit);
  }

  /** Waits for one attempt's first chunk and reports it to its endpoint and the hedge delay. */
  async #settleAlone(running: StartedStream, since = running.sentAt): Promise<RunningStream> {
    let first: IteratorResult<GenerateContentResponse>;
    try {
      first = await running.first;
    } catch (error) {
      this.#reportToEndpoint(running.lease, error, this.#clock.now() - running.sentAt);
      this.#refundIfUnserved(running.attempt.permit, error);
      throw error;
    }
    const now = this.#clock.now();
    running.lease.succeeded(now - running.sentAt);
    // The hedge delay's percentile, like the time-to-first-chunk histogram, counts from the first
    // attempt's send: a stall a hedge rescued is a slow first attempt (at least this slow), not
    // a fast sample, which would pull the percentile down and hedge ever earlier.
    this.#recordTtfc(running.attempt.model, now - since);
    this.#observeLatency(now - since, this.#config.sla.ttftMs, running.call);
    return {
      first,
      stream: running.stream(),
      attempt: running.attempt,
      upstream: running.lease.endpoint,
    };
  }

  /** Sends one streaming attempt on its own abort signal (so a lost hedge race aborts only it). */
  #startStream(
    params: GenerateContentParameters,
    call: CallContext,
    attempt: Attempt,
    avoid: LaneUpstream | undefined,
    since: number | undefined,
  ): StartedStream {
    const lease = this.#endpoints.pick(avoid);
    const own = new AbortController();
    const signal = AbortSignal.any([call.signal, own.signal]);
    const sentAt = this.#clock.now();
    const sentAtPerf = performance.now();
    let generator: AsyncGenerator<GenerateContentResponse> | undefined;
    const first = (async () => {
      generator = await lease.endpoint.client.models.generateContentStream(
        this.#attemptParams(params, signal, attempt, since),
      );
      return generator.next();
    })();
    const started: StartedStream = {
      call,
      attempt,
      lease,
      first,
      sentAt,
      sentAtPerf,
      inputTokens: attempt.inputTokens,
      failure: undefined,
      stream: () => generator as AsyncGenerator<GenerateContentResponse>,
      abandon: (now) => {
        own.abort(new DOMException(HEDGE_LOST, 'AbortError'));
        lease.abandoned(now - sentAt);
        if (generator !== undefined) void generator.return(undefined).catch(() => {});
      },
    };
    // Noted before anyone awaits it; a lost race's rejection is expected and never unhandled.
    first.catch((error: unknown) => {
      started.failure = { error, atMs: this.#clock.now() };
    });
    return started;
  }

  /** The hedge delay for `model`: `hedging.delayMs`, else the observed percentile (at least `minDelayMs`). */
  #hedgeDelayMs(model: string): number | undefined {
    const hedging = this.#config.hedging;
    if (!hedging.enabled) return undefined;
    if (hedging.delayMs !== undefined) return hedging.delayMs;
    const observed = this.#ttfc
      .get(bareModel(model))
      ?.quantile(hedging.percentile, HEDGE_MIN_SAMPLES);
    return observed === undefined ? undefined : Math.max(hedging.minDelayMs, observed);
  }

  /** Quota for a hedge, without waiting; `false` when the hedge share or the quota has no room. */
  async #hedgePermit(
    model: string,
    inputTokens: number | undefined,
  ): Promise<QuotaPermit | undefined | false> {
    if (!this.#hedgeBudget.tryRetry()) return false;
    return this.#quotaNow(model, inputTokens);
  }

  #recordTtfc(model: string, ms: number): void {
    const key = bareModel(model);
    let recent = this.#ttfc.get(key);
    if (recent === undefined) {
      recent = new RecentQuantile();
      this.#ttfc.set(key, recent);
    }
    recent.add(ms);
  }

  async countTokens(
    params: CountTokensParameters,
    options: LatencyCallOptions = {},
  ): Promise<CountTokensResponse> {
    const call = this.#begin(params.model, 'count_tokens', options);
    // countTokens is free and has its own limit: it takes a slot but no generation quota.
    const admitted = await this.#admit(call, options, undefined);
    const lease = this.#endpoints.pick();
    const sentAt = this.#clock.now();
    try {
      const response = await lease.endpoint.client.models.countTokens({
        ...params,
        config: { ...params.config, abortSignal: call.signal },
      });
      lease.succeeded();
      return response;
    } catch (error) {
      this.#reportToEndpoint(lease, error, this.#clock.now() - sentAt);
      throw this.#mapError(call, error);
    } finally {
      admitted.done();
      call.dispose();
    }
  }

  async close(): Promise<void> {
    for (const unobserve of this.#unobserve.splice(0)) unobserve();
    this.#queue.close();
    await this.#pool.close();
    await this.#ownedCacheStore?.close?.();
  }

  /** The cache's store: the one passed in, a Redis store on the client passed in, or memory. */
  #cacheStore(config: LatencyLaneConfig, options: LatencyLaneOptions): ResponseCacheStore {
    const given = options.cache;
    if (given === undefined) {
      if (config.cache.store === 'redis') throw new MissingCacheStoreError();
      const instruments = options.telemetry?.instruments;
      const store = new MemoryResponseCacheStore({
        maxBytes: config.cache.maxBytes,
        clock: this.#clock,
        observer: instruments && {
          sizeChanged: (delta) =>
            guard('cache size metric', () =>
              instruments.cacheSize.add(delta, { [ATTR.lane]: 'latency' }),
            ),
          evicted: (count) =>
            guard('cache eviction metric', () =>
              instruments.cacheEvictions.add(count, { [ATTR.lane]: 'latency' }),
            ),
        },
      });
      this.#ownedCacheStore = store;
      return store;
    }
    return isResponseCacheStore(given) ? given : new RedisResponseCacheStore(given);
  }

  /**
   * Awaits an answer the lane served without an upstream call of this caller's own (joined an
   * identical call in flight), and records it as a request: the instrumentation saw only the
   * shared call.
   */
  async #served<T>(
    model: string,
    signal: AbortSignal | undefined,
    wait: () => Promise<T>,
  ): Promise<T> {
    try {
      const value = await wait();
      this.#recordServed(model, 'success');
      return value;
    } catch (error) {
      this.#recordServed(model, this.#outcomeOf(error, signal));
      throw error;
    }
  }

  /** Records a cache hit as a served request; a caller that has already given up gets its abort. */
  #servedHit(model: string, signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      this.#recordServed(model, 'cancelled');
      throw signal.reason;
    }
    this.#recordServed(model, 'success');
  }

  /** How a call served from a shared flight ended, in the requests-by-outcome terms. */
  #outcomeOf(error: unknown, signal: AbortSignal | undefined): Outcome {
    if (signal?.aborted) return 'cancelled';
    // The shared call was refused at admission (queue, overload, quota, shutdown): so was this one.
    // A deadline passing during the upstream call is an error, as the instrumentation records it.
    return error instanceof QueueTimeoutError ||
      error instanceof LaneOverloadedError ||
      error instanceof QuotaExhaustedError ||
      error instanceof LaneClosedError
      ? 'rejected'
      : 'error';
  }

  #recordServed(model: string, outcome: Outcome): void {
    guard('request metric', () =>
      this.#telemetry?.instruments.requests.add(1, {
        [ATTR.lane]: 'latency',
        [ATTR.requestModel]: this.#telemetry.modelLabel(model),
        [ATTR.operationName]: 'generate_content',
        [ATTR.outcome]: outcome,
      }),
    );
  }

  #begin(
    model: string,
    operation: CallContext['operation'],
    options: LatencyCallOptions,
  ): CallContext {
    for (const field of ['timeoutMs', 'maxQueueWaitMs'] as const) {
      const value = options[field];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new RangeError(
          `latency lane: options.${field} must be a finite number > 0 (got ${value})`,
        );
      }
    }
    const timeoutMs = options.timeoutMs ?? this.#config.sla.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new RequestTimeoutError(timeoutMs));
    }, timeoutMs);
    timer.unref();
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const startedAt = this.#clock.now();
    return {
      model,
      operation,
      timeoutMs,
      startedAt,
      deadline: startedAt + timeoutMs,
      signal: controller.signal,
      timedOut: () => timedOut,
      disarm: () => clearTimeout(timer),
      dispose: () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  /**
   * Takes an admission slot, then quota within what is left of the queue-wait budget; when the
   * primary model's quota cannot admit the call in time and a fallback model is configured,
   * the fallback's quota (the call then goes to the fallback model). A call refused here never
   * reaches the upstream, so the lane records its outcome itself (`rejected`, `timed_out` or
   * `cancelled`): shedding load is a bad event, never a hidden one.
   */
  async #admit(
    call: CallContext,
    options: LatencyCallOptions,
    inputTokens: number | undefined,
  ): Promise<{ attempt: Attempt; done(): void }> {
    const maxQueueWaitMs = options.maxQueueWaitMs ?? this.#config.sla.maxQueueWaitMs;
    let slot: Awaited<ReturnType<AdmissionQueue['admit']>>;
    try {
      slot = await this.#queue.admit({
        priority: options.priority ?? 'normal',
        maxQueueWaitMs,
        signal: call.signal,
      });
    } catch (error) {
      call.dispose();
      const outcome = call.timedOut()
        ? 'timed_out'
        : call.signal.aborted
          ? 'cancelled'
          : 'rejected';
      if (outcome === 'rejected') this.#reportPressure('queue_wait', call.model);
      this.#recordUnsent(call, outcome);
      throw error;
    }
    // Queue wait past half its deadline: the throughput lane should leave more room.
    if (slot.waitMs > maxQueueWaitMs / 2) this.#reportPressure('queue_wait', call.model);
    let attempt: Attempt = { model: call.model, kind: 'first', inputTokens };
    if (this.#quota && inputTokens !== undefined) {
      const quota = this.#quota;
      const budget = () => ({
        signal: call.signal,
        maxWaitMs: Math.max(0, maxQueueWaitMs - (this.#clock.now() - call.startedAt)),
      });
      try {
        try {
          attempt.permit = await quota.acquire(
            { model: call.model, lane: 'latency', inputTokens },
            budget(),
          );
        } catch (error) {
          const fallback = this.#fallbackFor(call.model);
          if (!(error instanceof QuotaExhaustedError) || fallback === undefined) throw error;
          // The shared quota refused interactive work: the throughput lane should leave room.
          this.#reportPressure('quota', call.model);
          const permit = await quota.acquire(
            { model: fallback, lane: 'latency', inputTokens },
            budget(),
          );
          attempt = {
            model: fallback,
            kind: 'fallback',
            fallbackReason: 'queue',
            permit,
            inputTokens,
          };
          this.#recordFallback(fallback, 'queue');
        }
      } catch (error) {
        slot.release();
        call.dispose();
        if (error instanceof QuotaExhaustedError) {
          this.#reportPressure('quota', call.model);
          guard('rejection metric', () =>
            this.#telemetry?.instruments.rejections.add(1, {
              [ATTR.lane]: 'latency',
              [ATTR.rejectionReason]: 'quota',
              [ATTR.priority]: options.priority ?? 'normal',
            }),
          );
        }
        this.#recordUnsent(
          call,
          call.timedOut() ? 'timed_out' : call.signal.aborted ? 'cancelled' : 'rejected',
        );
        throw error;
      }
    }
    const instruments = this.#telemetry?.instruments;
    guard('in-flight metric', () => instruments?.inflight.add(1, { [ATTR.lane]: 'latency' }));
    let done = false;
    return {
      attempt,
      done: () => {
        if (done) return;
        done = true;
        slot.release();
        guard('in-flight metric', () => instruments?.inflight.add(-1, { [ATTR.lane]: 'latency' }));
      },
    };
  }

  /** The fallback model for a call to `model`, when one is configured and it is not the fallback itself. */
  #fallbackFor(model: string): string | undefined {
    const fallback = this.#config.fallbackModel;
    if (fallback === undefined) return undefined;
    return bareModel(model) === bareModel(fallback) ? undefined : bareModel(fallback);
  }

  /**
   * The one further attempt a failed first attempt may get, or undefined. A 429 or a 503 (the
   * model is out of quota or overloaded) goes to the fallback model when there is one, at once
   * and on quota it can take without waiting; otherwise a 429, 5xx or reset is retried on the
   * same model (another endpoint when there is one) when the server's retry delay and a typical
   * service time fit in the remaining deadline.
   */
  async #nextAttempt(
    call: CallContext,
    failed: Attempt,
    error: unknown,
    stream: boolean,
  ): Promise<Attempt | undefined> {
    const info = describeUpstreamError(error);
    if (info.retryReason === 'rate_limited') this.#reportPressure('rate_limited', call.model);
    if (call.signal.aborted) return undefined;
    const reason = info.retryReason;
    if (reason === undefined || reason === 'timeout') return undefined;
    // What a further attempt needs before the deadline: its first chunk for a stream (the
    // deadline bounds only that), the whole answer for a unary call.
    const typical =
      (stream ? this.#ttfc.get(bareModel(failed.model))?.quantile(0.5, 5) : undefined) ??
      this.#queue.serviceTimeMs() ??
      0;
    const fallback = this.#fallbackFor(failed.model);
    if (fallback !== undefined && (reason === 'rate_limited' || info.httpStatus === 503)) {
      if (this.#clock.now() + typical >= call.deadline) return undefined;
      const permit = await this.#quotaNow(fallback, failed.inputTokens);
      if (permit !== false) {
        const fallbackReason: FallbackReason =
          reason === 'rate_limited' ? 'rate_limited' : 'overloaded';
        this.#recordFallback(fallback, fallbackReason);
        return {
          model: fallback,
          kind: 'fallback',
          fallbackReason,
          permit,
          inputTokens: failed.inputTokens,
        };
      }
    }
    const wait = info.retryDelayMs ?? 0;
    if (this.#clock.now() + wait + typical >= call.deadline) return undefined;
    if (wait > 0) await sleep(wait, call.signal);
    if (call.signal.aborted) return undefined;
    // Quota is taken after the wait, so a call given up during it holds none.
    const permit = await this.#quotaNow(failed.model, failed.inputTokens);
    if (permit === false) return undefined;
    guard('retry metric', () =>
      this.#telemetry?.instruments.retries.add(1, {
        [ATTR.lane]: 'latency',
        [ATTR.retryReason]: reason,
        [ATTR.requestModel]: this.#telemetry?.modelLabel(call.model),
      }),
    );
    return { ...failed, kind: 'retry', permit };
  }

  /** Quota taken now or not at all (a retry, a hedge, a fallback); `false` when refused. */
  async #quotaNow(
    model: string,
    inputTokens: number | undefined,
  ): Promise<QuotaPermit | undefined | false> {
    if (this.#quota === undefined || inputTokens === undefined) return undefined;
    try {
      const decision = await this.#quota.tryAcquire({ model, lane: 'latency', inputTokens });
      return decision.ok ? decision.permit : false;
    } catch (error) {
      diag.warn(
        '@gemini-lanes/lanes: latency lane could not take quota for a further attempt',
        error,
      );
      return false;
    }
  }

  #recordFallback(model: string, reason: FallbackReason): void {
    guard('fallback metric', () =>
      this.#telemetry?.instruments.fallbacks.add(1, {
        [ATTR.lane]: 'latency',
        [ATTR.fallbackReason]: reason,
        [ATTR.requestModel]: this.#telemetry.modelLabel(model),
      }),
    );
  }

  /**
   * What a failed attempt says about its endpoint: 5xx, resets and timeouts count towards its
   * ejection; a 429 (the project's quota), a 4xx or a cancellation say nothing about it.
   */
  #reportToEndpoint(lease: EndpointLease<LaneUpstream>, error: unknown, ms: number): void {
    const info = describeUpstreamError(error);
    const endpointFault =
      info.retryReason === 'server_error' ||
      info.retryReason === 'connection_error' ||
      info.retryReason === 'timeout';
    if (endpointFault) lease.failed(info.retryReason === 'timeout' ? ms : undefined);
    else lease.released();
  }

  /** The request one attempt sends: its model, its abort signal, marked for the instrumentation. */
  #attemptParams(
    params: GenerateContentParameters,
    signal: AbortSignal,
    attempt: Attempt,
    since?: number,
  ): GenerateContentParameters {
    const own = params.config?.abortSignal;
    return markLaneAttempt(
      {
        ...params,
        model: attempt.model,
        config: { ...params.config, abortSignal: own ? AbortSignal.any([own, signal]) : signal },
      },
      {
        lane: 'latency',
        kind: attempt.kind,
        fallbackReason: attempt.fallbackReason,
        since,
      },
    );
  }

  /** The lane's own deadline surfaces as `RequestTimeoutError` whatever layer noticed it. */
  #mapError(call: CallContext, error: unknown): unknown {
    if (call.timedOut() && !(error instanceof RequestTimeoutError)) {
      const timeout = new RequestTimeoutError(call.timeoutMs);
      Object.defineProperty(timeout, 'cause', { value: error });
      return timeout;
    }
    return isGeminiLanesError(error) || !call.signal.aborted
      ? error
      : (call.signal.reason ?? error);
  }

  /**
   * The upstream answered a call slower than the share of its SLA threshold that leaves it no
   * room (time to first chunk for streams, duration for unary calls): the upstream is loaded,
   * and the throughput lane should give it back. Measured from sending, so queue wait (reported
   * on its own) does not count twice.
   */
  #observeLatency(ms: number, thresholdMs: number, call: CallContext): void {
    if (ms > thresholdMs * SLOW_SHARE_OF_SLA) this.#reportPressure('latency', call.model);
  }

  #reportPressure(reason: PressureSignal['reason'], model: string): void {
    guard('pressure signal', () => this.#quota?.reportPressure({ lane: 'latency', reason, model }));
  }

  #recordUnsent(call: CallContext, outcome: Outcome): void {
    guard('request metric', () =>
      this.#telemetry?.instruments.requests.add(1, {
        [ATTR.lane]: 'latency',
        [ATTR.requestModel]: this.#telemetry.modelLabel(call.model),
        [ATTR.operationName]: call.operation,
        [ATTR.outcome]: outcome,
      }),
    );
  }
}

/** The model name without the SDK's optional `models/` prefix. */
function bareModel(model: string): string {
  return model.replace(/^models\//, '');
}

/** One upstream attempt of a lane request: its model, why it is made, and the quota it holds. */
interface Attempt {
  model: string;
  kind: AttemptKind;
  fallbackReason?: FallbackReason | undefined;
  /** Quota taken for this attempt, settled by the usage its answer reports. */
  permit?: QuotaPermit | undefined;
  /** The request's estimated input tokens (undefined when it takes no quota). */
  inputTokens: number | undefined;
}

/** A streaming attempt sent and not yet decided. */
interface StartedStream {
  readonly call: CallContext;
  readonly attempt: Attempt;
  readonly lease: EndpointLease<LaneUpstream>;
  /** The first chunk (or the end of an empty stream). */
  readonly first: Promise<IteratorResult<GenerateContentResponse>>;
  /** The lane's clock when it was sent. */
  readonly sentAt: number;
  /** `performance.now()` when it was sent: where a hedge of it is timed from. */
  readonly sentAtPerf: number;
  readonly inputTokens: number | undefined;
  /** Set when `first` rejected: its error and when. */
  failure: { error: unknown; atMs: number } | undefined;
  /** The SDK's stream, once `first` has resolved. */
  stream(): AsyncGenerator<GenerateContentResponse>;
  /** Lost the race: abort it and end its stream; its wait so far is a lower bound of its latency. */
  abandon(nowMs: number): void;
}

/** The attempt that delivered the first chunk, and the rest of its stream. */
interface RunningStream {
  first: IteratorResult<GenerateContentResponse>;
  stream: AsyncGenerator<GenerateContentResponse>;
  attempt: Attempt;
  upstream: LaneUpstream;
}

/**
 * The attempt whose first chunk comes first. When one fails, the other may still deliver; when
 * both fail, the primary's error (the hedge's failure is reported to its endpoint on the way).
 */
function firstToDeliver(primary: StartedStream, hedge: StartedStream): Promise<StartedStream> {
  return new Promise((resolve, reject) => {
    let failures = 0;
    let primaryError: unknown;
    const failed = (which: StartedStream, error: unknown) => {
      if (which === primary) primaryError = error;
      if (++failures === 2) reject(primaryError);
    };
    for (const attempt of [primary, hedge]) {
      attempt.first.then(
        () => resolve(attempt),
        (error: unknown) => failed(attempt, error),
      );
    }
  });
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks the signal). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The request without the caller's `config.abortSignal` (for the shared call, which no single
 * caller may cancel), and the caller's signals combined (for the caller's own wait).
 */
function detachSignal(
  params: GenerateContentParameters,
  signal: AbortSignal | undefined,
): { shared: GenerateContentParameters; signal: AbortSignal | undefined } {
  const own = params.config?.abortSignal;
  if (own === undefined) return { shared: params, signal };
  const { abortSignal: _caller, ...config } = params.config ?? {};
  return {
    shared: { ...params, config },
    signal: signal ? AbortSignal.any([signal, own]) : own,
  };
}

/** One value as a one-chunk stream, so unary and streaming calls share one single-flight. */
async function* once<T>(value: () => Promise<T>): AsyncGenerator<T> {
  yield await value();
}

/**
 * The latency lane: its own instrumented `GoogleGenAI` client on its own keep-alive pool,
 * admission with priorities and a queue-wait deadline (a call that cannot start in time is
 * refused at once with `QueueTimeoutError` or `LaneOverloadedError`), quota debited first from
 * the latency lane's reserve, a per-call deadline (`RequestTimeoutError`), and one retry of a
 * 429, 5xx or reset only when the deadline leaves room for it.
 */
export function createLatencyLane(
  config: LatencyLaneConfig,
  options: LatencyLaneOptions = {},
): LatencyLane {
  return new LatencyLaneImpl(config, options);
}
