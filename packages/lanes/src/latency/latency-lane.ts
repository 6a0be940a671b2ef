import {
  ATTR,
  type Clock,
  describeUpstreamError,
  GeminiLanesError,
  isGeminiLanesError,
  type LatencyLaneConfig,
  type Outcome,
  type Priority,
  QuotaExhaustedError,
  RequestTimeoutError,
  systemClock,
} from '@gemini-lanes/core';
import { guard, instrumentGenAI, type Telemetry } from '@gemini-lanes/otel';
import {
  type CountTokensParameters,
  type CountTokensResponse,
  type GenerateContentParameters,
  type GenerateContentResponse,
  GoogleGenAI,
} from '@google/genai';
import { diag } from '@opentelemetry/api';
import { LaneConnectionPool, type PoolStatsSnapshot } from '../pool/lane-connection-pool.js';
import type { QuotaLimiter, QuotaPermit } from '../quota/quota-limiter.js';
import { AdmissionQueue } from './admission-queue.js';
import { estimateInputTokens } from './token-estimate.js';

/** The Gemini API's public endpoint, used when the configuration names none. */
export const GEMINI_API_ORIGIN = 'https://generativelanguage.googleapis.com';

const POOL_STATES = ['connected', 'free', 'pending', 'queued', 'running'] as const;

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
}

/** Interactive traffic: admitted within its SLA or refused at once, never served late. */
export interface LatencyLane {
  /** The lane's own instrumented client (its own connection pool); for calls the lane does not wrap. */
  readonly client: GoogleGenAI;
  generateContent(
    params: GenerateContentParameters,
    options?: LatencyCallOptions,
  ): Promise<GenerateContentResponse>;
  /**
   * Chunks reach the caller as they arrive; the admission slot is held until the stream ends or
   * is abandoned. `timeoutMs` bounds the time to the first chunk; after it, the stream may run
   * as long as chunks keep coming (at most `sla.timeoutMs` apart).
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

/** No API key anywhere: the lane refuses to start rather than fail every call. */
export class MissingApiKeyError extends GeminiLanesError {
  constructor() {
    super('ERR_NO_API_KEY', 'no Gemini API key: pass apiKey or set GEMINI_API_KEY');
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

  constructor(config: LatencyLaneConfig, options: LatencyLaneOptions) {
    const apiKey = options.apiKey ?? process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY;
    if (!apiKey) throw new MissingApiKeyError();
    this.#config = config;
    this.#quota = options.quota;
    this.#telemetry = options.telemetry;
    this.#clock = options.clock ?? systemClock;
    const baseUrl = options.baseUrl ?? config.endpoints[0]?.url;
    this.#origins = [new URL(baseUrl ?? GEMINI_API_ORIGIN).origin];
    this.#pool = new LaneConnectionPool({
      connections: config.pool.connections,
      prewarm: config.pool.prewarm,
      keepAliveTimeoutMs: config.pool.keepAliveTimeoutMs,
      keepAliveMaxTimeoutMs: config.pool.keepAliveMaxTimeoutMs,
      connectTimeoutMs: config.pool.connectTimeoutMs,
      requestTimeoutMs: config.sla.timeoutMs,
    });
    this.client = instrumentGenAI(
      new GoogleGenAI({
        apiKey,
        ...(config.apiVersion ? { apiVersion: config.apiVersion } : {}),
        httpOptions: {
          fetch: this.#pool.fetch,
          ...(baseUrl ? { baseUrl } : {}),
          ...(config.apiVersion ? { apiVersion: config.apiVersion } : {}),
        },
      }),
      { lane: 'latency', telemetry: options.telemetry },
    );
    const instruments = options.telemetry?.instruments;
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
    const call = this.#begin(params.model, 'generate_content', options);
    const release = await this.#admit(call, options, estimateInputTokens(params));
    let retried = false;
    try {
      for (;;) {
        try {
          const response = await this.client.models.generateContent(
            this.#withSignal(params, call.signal),
          );
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

  async *generateContentStream(
    params: GenerateContentParameters,
    options: LatencyCallOptions = {},
  ): AsyncGenerator<GenerateContentResponse> {
    const call = this.#begin(params.model, 'generate_content', options);
    const release = await this.#admit(call, options, estimateInputTokens(params));
    let promptTokens: number | undefined;
    let yielded = false;
    let retried = false;
    try {
      for (;;) {
        try {
          const stream = await this.client.models.generateContentStream(
            this.#withSignal(params, call.signal),
          );
          for await (const chunk of stream) {
            // The deadline bounds the wait for the first chunk; a long answer may take longer to
            // stream, bounded by the pool's idle timeout between chunks (sla.timeoutMs).
            if (!yielded) call.disarm();
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

  #reportPressure(reason: 'queue_wait' | 'rate_limited', model: string): void {
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
