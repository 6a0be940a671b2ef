import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  type Clock,
  type GeminiLanesConfig,
  GeminiLanesError,
  type Lane,
  QuotaExhaustedError,
} from '@gemini-lanes/core';
import { diag } from '@opentelemetry/api';
import type { RedisClientLike } from '../redis/redis-commander.js';
import { MemoryQuotaStore } from './memory-quota-store.js';
import {
  type BucketSpec,
  DIMENSIONS,
  type QuotaDimension,
  type QuotaStore,
} from './quota-store.js';
import { RedisQuotaStore } from './redis-quota-store.js';
import { SlidingWindowSum } from './sliding-window.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface QuotaLimiterOptions {
  /** `memory` (default), a connected node-redis or ioredis client, or any `QuotaStore`. */
  store?: 'memory' | QuotaStore | RedisClientLike;
  /** Wall-clock milliseconds; replicas sharing a Redis store must have synchronised clocks. */
  clock?: Clock;
  /** How to wait for quota; injectable so tests move a fake clock instead of sleeping. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface QuotaRequest {
  model: string;
  lane: Lane;
  /** Input tokens estimated before the call; corrected by `permit.settle(actual)` after it. */
  inputTokens: number;
}

/** Quota taken for one request. Settle it with the real input tokens, or refund it if the request was never sent. */
export interface QuotaPermit {
  readonly model: string;
  readonly lane: Lane;
  readonly estimatedInputTokens: number;
  /** Charges the difference between the estimate and the `actualInputTokens` the response reported. */
  settle(actualInputTokens: number): Promise<void>;
  /** Gives everything back: the request never reached the upstream. */
  refund(): Promise<void>;
}

/**
 * A sign that the latency lane is short of headroom: its queue wait rose past its threshold, or
 * the upstream answered it with 429. The throughput lane backs off when it hears one.
 */
export interface PressureSignal {
  lane: Lane;
  reason: 'queue_wait' | 'rate_limited';
  model?: string | undefined;
  atMs: number;
}

export type QuotaDecision =
  | { ok: true; permit: QuotaPermit }
  | { ok: false; dimension: QuotaDimension; retryAfterMs: number };

export interface QuotaUtilization {
  model: string;
  lane: Lane;
  dimension: QuotaDimension;
  /** Share of the dimension's quota this lane used in the current window (this process's view). */
  value: number;
}

/** A model the quota does not list: the limiter cannot protect it, so it refuses to guess. */
export class UnknownQuotaModelError extends GeminiLanesError {
  readonly errorType = 'quota_unknown_model';
  readonly model: string;

  constructor(model: string) {
    super(
      'ERR_QUOTA_UNKNOWN_MODEL',
      `no quota configured for model ${JSON.stringify(model)}: add quota.models[${JSON.stringify(model)}]`,
    );
    this.model = model;
  }
}

const wallClock: Clock = { now: () => Date.now() };

/**
 * The project's Gemini quota shared by every lane in the process (and, with a Redis store, by
 * every replica): per model, token buckets for requests per minute, input tokens per minute and
 * requests per day. The latency lane may use all of each bucket; the throughput lane only what
 * lies above the latency lane's reserved share, so batch work can never starve interactive
 * traffic of quota.
 */
export class QuotaLimiter {
  readonly #store: QuotaStore;
  readonly #clock: Clock;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #buckets = new Map<string, readonly [BucketSpec, BucketSpec, BucketSpec]>();
  readonly #reserved: number;
  readonly #usage = new Map<string, SlidingWindowSum>();
  readonly #pressureListeners = new Set<(signal: PressureSignal) => void>();

  constructor(quota: GeminiLanesConfig['quota'], options: QuotaLimiterOptions = {}) {
    this.#clock = options.clock ?? wallClock;
    this.#sleep =
      options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}));
    this.#reserved = quota.latencyReservedShare;
    const store = options.store ?? 'memory';
    if (store === 'memory') {
      if (quota.store === 'redis') {
        throw new GeminiLanesError(
          'ERR_QUOTA_STORE',
          'quota.store is "redis": pass a connected Redis client as the limiter\'s store option',
        );
      }
      this.#store = new MemoryQuotaStore();
    } else if (typeof (store as Partial<QuotaStore>).take === 'function') {
      this.#store = store as QuotaStore;
    } else {
      this.#store = new RedisQuotaStore(store as RedisClientLike);
    }
    for (const [model, limits] of Object.entries(quota.models)) {
      this.#buckets.set(model, [
        { capacity: limits.rpm, refillPerMs: limits.rpm / MINUTE },
        { capacity: limits.inputTpm, refillPerMs: limits.inputTpm / MINUTE },
        { capacity: limits.rpd, refillPerMs: limits.rpd / DAY },
      ]);
      for (const lane of ['latency', 'throughput'] as const) {
        this.#usage.set(`${model}|${lane}|rpm`, new SlidingWindowSum(MINUTE, 60, this.#clock));
        this.#usage.set(
          `${model}|${lane}|input_tpm`,
          new SlidingWindowSum(MINUTE, 60, this.#clock),
        );
        this.#usage.set(`${model}|${lane}|rpd`, new SlidingWindowSum(DAY, 144, this.#clock));
      }
    }
  }

  /** Models this limiter knows (the configured quota). */
  models(): string[] {
    return [...this.#buckets.keys()];
  }

  /** Takes quota for one request now, or says which dimension is short and when to retry. */
  async tryAcquire(request: QuotaRequest): Promise<QuotaDecision> {
    // The SDK accepts `models/<name>` too; the quota is keyed by the bare name.
    const model = request.model.replace(/^models\//, '');
    const buckets = this.#bucketsFor(model);
    const tokens = Math.max(0, Math.ceil(request.inputTokens));
    const share = request.lane === 'latency' ? 0 : this.#reserved;
    const result = await this.#store.take({
      key: model,
      buckets,
      amounts: [1, tokens, 1],
      floors: [
        buckets[0].capacity * share,
        buckets[1].capacity * share,
        buckets[2].capacity * share,
      ],
      nowMs: this.#clock.now(),
    });
    if (!result.ok) return { ok: false, dimension: result.dimension, retryAfterMs: result.waitMs };
    this.#record(model, request.lane, [1, tokens, 1]);
    return { ok: true, permit: this.#permit(model, request.lane, tokens, buckets) };
  }

  /**
   * Takes quota, waiting for it up to `maxWaitMs` (default: as long as it takes). Throws
   * `QuotaExhaustedError` when the wait would be longer, or when the request can never fit
   * (more input tokens than the lane's share of a minute), and the signal's reason when aborted.
   */
  async acquire(
    request: QuotaRequest,
    options: { signal?: AbortSignal; maxWaitMs?: number } = {},
  ): Promise<QuotaPermit> {
    const started = this.#clock.now();
    const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    for (;;) {
      options.signal?.throwIfAborted();
      const decision = await this.tryAcquire(request);
      if (decision.ok) return decision.permit;
      const waited = this.#clock.now() - started;
      if (!Number.isFinite(decision.retryAfterMs)) {
        throw new QuotaExhaustedError(request.model, decision.dimension);
      }
      if (waited + decision.retryAfterMs > maxWaitMs) {
        throw new QuotaExhaustedError(request.model, decision.dimension, decision.retryAfterMs);
      }
      // Wake a little after the bucket should have room: others may take it first, then loop.
      await this.#sleep(Math.max(1, Math.ceil(decision.retryAfterMs)), options.signal);
    }
  }

  /** This process's use of each model's quota, per lane and dimension, as a share of the quota. */
  utilization(): QuotaUtilization[] {
    const out: QuotaUtilization[] = [];
    for (const [model, buckets] of this.#buckets) {
      for (const lane of ['latency', 'throughput'] as const) {
        DIMENSIONS.forEach((dimension, i) => {
          const used = this.#usage.get(`${model}|${lane}|${dimension}`)?.sum() ?? 0;
          out.push({ model, lane, dimension, value: used / buckets[i as 0 | 1 | 2].capacity });
        });
      }
    }
    return out;
  }

  /**
   * Reports pressure on `lane` (its queue wait is rising, or it was rate limited) to every
   * listener in this process. The latency lane reports; the throughput lane listens and cuts its
   * concurrency, so interactive traffic keeps its headroom. In-process only: replicas sharing a
   * Redis store each react to their own latency lane.
   */
  reportPressure(signal: Omit<PressureSignal, 'atMs'>): void {
    const event: PressureSignal = { ...signal, atMs: this.#clock.now() };
    for (const listener of this.#pressureListeners) {
      try {
        listener(event);
      } catch (error) {
        diag.error('@gemini-lanes/lanes: a quota pressure listener threw', error);
      }
    }
  }

  /** Calls `listener` on every pressure report; returns the function that stops it. */
  onPressure(listener: (signal: PressureSignal) => void): () => void {
    this.#pressureListeners.add(listener);
    return () => this.#pressureListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#pressureListeners.clear();
    await this.#store.close?.();
  }

  #bucketsFor(model: string): readonly [BucketSpec, BucketSpec, BucketSpec] {
    const buckets = this.#buckets.get(model);
    if (buckets === undefined) throw new UnknownQuotaModelError(model);
    return buckets;
  }

  #record(model: string, lane: Lane, amounts: readonly [number, number, number]): void {
    for (const [i, dimension] of DIMENSIONS.entries()) {
      this.#usage.get(`${model}|${lane}|${dimension}`)?.add(amounts[i as 0 | 1 | 2]);
    }
  }

  #permit(
    model: string,
    lane: Lane,
    estimate: number,
    buckets: readonly [BucketSpec, BucketSpec, BucketSpec],
  ): QuotaPermit {
    let done = false;
    const finish = async (deltas: [number, number, number]) => {
      if (done) return;
      done = true;
      if (deltas.every((d) => d === 0)) return;
      this.#record(model, lane, [-deltas[0], -deltas[1], -deltas[2]]);
      await this.#store.adjust({ key: model, buckets, deltas, nowMs: this.#clock.now() });
    };
    return {
      model,
      lane,
      estimatedInputTokens: estimate,
      settle: (actual) => finish([0, estimate - Math.max(0, Math.ceil(actual)), 0]),
      refund: () => finish([1, estimate, 1]),
    };
  }
}

/** The shared quota limiter (see `QuotaLimiter`). */
export function createQuotaLimiter(
  quota: GeminiLanesConfig['quota'],
  options: QuotaLimiterOptions = {},
): QuotaLimiter {
  return new QuotaLimiter(quota, options);
}
