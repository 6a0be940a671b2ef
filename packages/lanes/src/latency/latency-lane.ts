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
import { guard, type Telemetry } from '@gemini-lanes/otel';
import type {
  CountTokensParameters,
  CountTokensResponse,
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
} from '@google/genai';
import { diag } from '@opentelemetry/api';
import { MemoryResponseCacheStore } from '../cache/memory-response-cache-store.js';
import { RedisResponseCacheStore } from '../cache/redis-response-cache-store.js';
import { ResponseCache } from '../cache/response-cache.js';
import { isResponseCacheStore, type ResponseCacheStore } from '../cache/response-cache-store.js';
import { createLaneClient } from '../pool/lane-client.js';
import type { LaneConnectionPool, PoolStatsSnapshot } from '../pool/lane-connection-pool.js';
import type { PressureSignal, QuotaLimiter, QuotaPermit } from '../quota/quota-limiter.js';
import type { RedisClientLike } from '../redis/redis-commander.js';
import { AdmissionQueue } from './admission-queue.js';
import { estimateInputTokens } from './token-estimate.js';

const POOL_STATES = ['connected', 'free', 'pending', 'queued', 'running'] as const;

/** An upstream answer slower than this share of its SLA threshold signals pressure. */
const SLOW_SHARE_OF_SLA = 0.8;

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
  /** Requests running and waiting, and the connection pool. */
  stats(): { running: number; queued: number; pool: PoolStatsSnapshot };
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
  model: string;
  operation: 'generate_content' | 'count_tokens';
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
  readonly #unobserve: Array<() => void> = [];
  readonly #cache: ResponseCache | undefined;
  /** The memory store the lane made itself (emptied on close); a store passed in stays the caller's. */
  #ownedCacheStore: ResponseCacheStore | undefined;

  constructor(config: LatencyLaneConfig, options: LatencyLaneOptions) {
    const { client, pool, origins, apiKey } = createLaneClient(config, {
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
    this.#origins = origins;
    this.#pool = pool;
    this.client = client;
    const instruments = options.telemetry?.instruments;
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
    return { running: this.#queue.running, queued: this.#queue.depth(), pool: this.#pool.stats() };
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

  /** A call without the cache: admission, quota, the upstream call and one retry. */
  async #generate(
    params: GenerateContentParameters,
    options: LatencyCallOptions,
  ): Promise<GenerateContentResponse> {
    const call = this.#begin(params.model, 'generate_content', options);
    const release = await this.#admit(call, options, estimateInputTokens(params));
    let retried = false;
    try {
      for (;;) {
        try {
          const sentAt = this.#clock.now();
          const response = await this.client.models.generateContent(
            this.#withSignal(params, call.signal),
          );
          this.#observeLatency(this.#clock.now() - sentAt, this.#config.sla.durationMs, call);
          await release.settle(response.usageMetadata?.promptTokenCount);
          return response;
        } catch (error) {
          if (!retried && (await this.#mayRetry(call, error))) {
            retried = true;
            continue;
          }
          throw this.#mapError(call, error);
        }
      }
    } finally {
      release.done();
      call.dispose();
    }
  }

  /** A stream without the cache: admission, quota, the upstream stream and one retry before its first chunk. */
  async *#stream(
    params: GenerateContentParameters,
    options: LatencyCallOptions,
  ): AsyncGenerator<GenerateContentResponse> {
    const call = this.#begin(params.model, 'generate_content', options);
    const release = await this.#admit(call, options, estimateInputTokens(params));
    let promptTokens: number | undefined;
    let yielded = false;
    let retried = false;
    try {
      for (;;) {
        try {
          const sentAt = this.#clock.now();
          const stream = await this.client.models.generateContentStream(
            this.#withSignal(params, call.signal),
          );
          for await (const chunk of stream) {
            // The deadline bounds the wait for the first chunk; a long answer may take longer to
            // stream, bounded by the pool's idle timeout between chunks (sla.timeoutMs).
            if (!yielded) {
              call.disarm();
              this.#observeLatency(this.#clock.now() - sentAt, this.#config.sla.ttftMs, call);
            }
            yielded = true;
            promptTokens = chunk.usageMetadata?.promptTokenCount ?? promptTokens;
            yield chunk;
          }
          await release.settle(promptTokens);
          return;
        } catch (error) {
          // A retry after the caller has seen chunks would repeat them: only before the first.
          if (!yielded && !retried && (await this.#mayRetry(call, error))) {
            retried = true;
            continue;
          }
          throw this.#mapError(call, error);
        }
      }
    } finally {
      release.done();
      call.dispose();
    }
  }

  async countTokens(
    params: CountTokensParameters,
    options: LatencyCallOptions = {},
  ): Promise<CountTokensResponse> {
    const call = this.#begin(params.model, 'count_tokens', options);
    // countTokens is free and has its own limit: it takes a slot but no generation quota.
    const release = await this.#admit(call, options, undefined);
    try {
      return await this.client.models.countTokens({
        ...params,
        config: { ...params.config, abortSignal: call.signal },
      });
    } catch (error) {
      throw this.#mapError(call, error);
    } finally {
      release.done();
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
    return {
      model,
      operation,
      timeoutMs,
      deadline: this.#clock.now() + timeoutMs,
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
   * Takes an admission slot, then quota within what is left of the queue-wait budget. A call
   * refused here never reaches the upstream, so the lane records its outcome itself
   * (`rejected`, `timed_out` or `cancelled`): shedding load is a bad event, never a hidden one.
   */
  async #admit(call: CallContext, options: LatencyCallOptions, inputTokens: number | undefined) {
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
    let permit: QuotaPermit | undefined;
    if (this.#quota && inputTokens !== undefined) {
      try {
        permit = await this.#quota.acquire(
          { model: call.model, lane: 'latency', inputTokens },
          { signal: call.signal, maxWaitMs: Math.max(0, maxQueueWaitMs - slot.waitMs) },
        );
      } catch (error) {
        slot.release();
        call.dispose();
        if (error instanceof QuotaExhaustedError) {
          // The shared quota refused interactive work: the throughput lane should leave room.
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
      settle: async (promptTokens: number | undefined) => {
        if (permit && promptTokens !== undefined) await permit.settle(promptTokens);
      },
      done: () => {
        if (done) return;
        done = true;
        slot.release();
        guard('in-flight metric', () => instruments?.inflight.add(-1, { [ATTR.lane]: 'latency' }));
      },
    };
  }

  /** One retry of a 429, 5xx or reset, only when the remaining deadline leaves room for it. */
  async #mayRetry(call: CallContext, error: unknown): Promise<boolean> {
    const info = describeUpstreamError(error);
    if (info.retryReason === 'rate_limited') this.#reportPressure('rate_limited', call.model);
    if (call.signal.aborted) return false;
    const reason = info.retryReason;
    if (reason === undefined || reason === 'timeout') return false;
    const wait = info.retryDelayMs ?? 0;
    const typical = this.#queue.serviceTimeMs() ?? 0;
    if (this.#clock.now() + wait + typical >= call.deadline) return false;
    guard('retry metric', () =>
      this.#telemetry?.instruments.retries.add(1, {
        [ATTR.lane]: 'latency',
        [ATTR.retryReason]: reason,
        [ATTR.requestModel]: this.#telemetry?.modelLabel(call.model),
      }),
    );
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
    return !call.signal.aborted;
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

  #withSignal(params: GenerateContentParameters, signal: AbortSignal): GenerateContentParameters {
    const own = params.config?.abortSignal;
    return {
      ...params,
      config: { ...params.config, abortSignal: own ? AbortSignal.any([own, signal]) : signal },
    };
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
