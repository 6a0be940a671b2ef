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
  DIMENSIONS,
  type QuotaDimension,
  type QuotaStore,
  type WindowSpec,
} from './quota-store.js';
import { RedisQuotaStore } from './redis-quota-store.js';
import { SlidingWindowSum } from './sliding-window.js';
import { ThroughputPacer } from './throughput-pacer.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * How each dimension is counted: the API counts a rolling minute for RPM and input TPM (and a
 * day for RPD); 1 s slots keep the minute's conservatism to at most a second, 10 min slots keep
 * a day's state to 145 fields.
 */
const WINDOWS: readonly [WindowSpec, WindowSpec, WindowSpec] = [
  { windowMs: MINUTE, slotMs: 1000 },
  { windowMs: MINUTE, slotMs: 1000 },
  { windowMs: DAY, slotMs: 600_000 },
];

type Triple = readonly [number, number, number];

/** One model's quota: the limits, and what each window holds back for the latency lane. */
interface ModelQuota {
  limits: Triple;
  reserve: Triple;
}

export interface QuotaLimiterOptions {
  /** `memory` (default), a connected node-redis or ioredis client, or any `QuotaStore`. */
  store?: 'memory' | QuotaStore | RedisClientLike;
  /** Wall-clock milliseconds; replicas sharing a Redis store must have synchronised clocks. */
  clock?: Clock;
  /**
   * The throughput lane's burst, as a share of its per-minute quota (default 0.25: fifteen
   * seconds' worth, so a small job runs at once): beyond it, the lane is paced to its share per minute, evenly, instead of taking the
   * whole share at a window's start and stalling until it ages out. 1 turns pacing off.
   */
  throughputBurstShare?: number;
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
 * A sign that the latency lane is short of headroom: its queue wait rose past half its
 * deadline (`queue_wait`), the upstream answered it with 429 (`rate_limited`), or the upstream
 * answered it slower than 80 % of its SLA threshold (`latency`: the upstream is loaded), or the
 * shared quota refused it (`quota`). The
 * throughput lane backs off when it hears one.
 */
export interface PressureSignal {
  lane: Lane;
  reason: 'queue_wait' | 'rate_limited' | 'latency' | 'quota';
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
const MINUTE_MS = 60_000;
const DEFAULT_BURST_SHARE = 0.25;

/**
 * What the throughput lane may fill each window to while the latency lane uses none of its
 * reserve: the quota less the latency lane's reserved share. Amounts are whole, so the ceiling is rounded down, after rounding away binary noise
 * (100 × (1 − 0.9) is 9.999999999999998 in floating point, and must allow 10).
 */
function ceiling(limit: number, share: number): number {
  return Math.floor(Number((limit * (1 - share)).toFixed(6)));
}

/**
 * The project's Gemini quota shared by every lane in the process (and, with a Redis store, by
 * every replica): per model, a sliding-window limit on requests per minute, input tokens per
 * minute and requests per day, so that what all lanes take together in any rolling minute (or
 * day) never exceeds what the API allows in it. A fresh window admits the whole quota at once.
 * The latency lane may fill each window to the quota. The throughput lane may fill it to the
 * quota less what is still held back for the latency lane: its reserved share less what it
 * already uses in the window. So batch work can never starve interactive traffic of its share,
 * and gets the quota less the larger of the reserve and the latency lane's actual use (not less
 * both, which would hold the reserve back twice while interactive traffic is using it).
 */
export class QuotaLimiter {
  readonly #store: QuotaStore;
  readonly #clock: Clock;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #quotas = new Map<string, ModelQuota>();
  readonly #usage = new Map<string, SlidingWindowSum>();
  readonly #pressureListeners = new Set<(signal: PressureSignal) => void>();
  /** Per model: the throughput lane's pacers for rpm and input_tpm (undefined: not paced). */
  readonly #pacers = new Map<string, readonly [ThroughputPacer, ThroughputPacer] | undefined>();

  constructor(quota: GeminiLanesConfig['quota'], options: QuotaLimiterOptions = {}) {
    this.#clock = options.clock ?? wallClock;
    this.#sleep =
      options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}));
    const share = quota.latencyReservedShare;
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
    for (const [model, { rpm, inputTpm, rpd }] of Object.entries(quota.models)) {
      this.#quotas.set(model, {
        limits: [rpm, inputTpm, rpd],
        reserve: [
          rpm - ceiling(rpm, share),
          inputTpm - ceiling(inputTpm, share),
          rpd - ceiling(rpd, share),
        ],
      });
      const burst = options.throughputBurstShare ?? DEFAULT_BURST_SHARE;
      this.#pacers.set(
        model,
        burst >= 1
          ? undefined
          : [
              new ThroughputPacer(ceiling(rpm, share), MINUTE_MS, burst),
              new ThroughputPacer(ceiling(inputTpm, share), MINUTE_MS, burst),
            ],
      );
      for (const lane of ['latency', 'throughput'] as const) {
        DIMENSIONS.forEach((dimension, i) => {
          const window = WINDOWS[i as 0 | 1 | 2];
          this.#usage.set(
            `${model}|${lane}|${dimension}`,
            new SlidingWindowSum(window.windowMs, window.windowMs / window.slotMs, this.#clock),
          );
        });
      }
    }
  }

  /** Models this limiter knows (the configured quota). */
  models(): string[] {
    return [...this.#quotas.keys()];
  }

  /**
   * Takes quota for one request now, all dimensions or none, or says which dimension is short and
   * exactly how long until enough of the window has aged out for this request to fit.
   */
  async tryAcquire(request: QuotaRequest): Promise<QuotaDecision> {
    // The SDK accepts `models/<name>` too; the quota is keyed by the bare name.
    const model = request.model.replace(/^models\//, '');
    const quota = this.#quotaFor(model);
    const tokens = Math.max(0, Math.ceil(request.inputTokens));
    const amounts = [1, tokens, 1] as const;
    const pacers = request.lane === 'throughput' ? this.#pacers.get(model) : undefined;
    if (pacers) {
      const now = this.#clock.now();
      const requestsWait = pacers[0].waitMs(1, now);
      const tokensWait = pacers[1].waitMs(tokens, now);
      if (requestsWait > 0 || tokensWait > 0) {
        return requestsWait >= tokensWait
          ? { ok: false, dimension: 'rpm', retryAfterMs: requestsWait }
          : { ok: false, dimension: 'input_tpm', retryAfterMs: tokensWait };
      }
    }
    const result = await this.#store.take({
      key: model,
      windows: WINDOWS,
      amounts,
      ceilings: quota.limits,
      reserve: quota.reserve,
      reserved: request.lane === 'latency',
      nowMs: this.#clock.now(),
    });
    if (!result.ok) return { ok: false, dimension: result.dimension, retryAfterMs: result.waitMs };
    if (pacers) {
      pacers[0].take(1, result.atMs);
      pacers[1].take(tokens, result.atMs);
    }
    this.#record(model, request.lane, amounts, result.atMs);
    return { ok: true, permit: this.#permit(model, request.lane, tokens, result.atMs) };
  }

  /**
   * Takes quota, waiting for it up to `maxWaitMs` (default: as long as it takes). Throws
   * `QuotaExhaustedError` when the wait would be longer, or when the request can never fit
   * (more input tokens than the lane may take in a minute), and the signal's reason when aborted.
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
      // Wake when the slots that stand in the way have aged out; others may take the room first, then loop.
      await this.#sleep(Math.max(1, Math.ceil(decision.retryAfterMs)), options.signal);
    }
  }

  /** This process's use of each model's quota, per lane and dimension, as a share of the quota. */
  utilization(): QuotaUtilization[] {
    const out: QuotaUtilization[] = [];
    for (const [model, quota] of this.#quotas) {
      for (const lane of ['latency', 'throughput'] as const) {
        DIMENSIONS.forEach((dimension, i) => {
          const used = this.#usage.get(`${model}|${lane}|${dimension}`)?.sum() ?? 0;
          out.push({ model, lane, dimension, value: used / quota.limits[i as 0 | 1 | 2] });
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

  #quotaFor(model: string): ModelQuota {
    const quota = this.#quotas.get(model);
    if (quota === undefined) throw new UnknownQuotaModelError(model);
    return quota;
  }

  /** This process's view per lane (for `utilization()`), kept in the same slots as the store's. */
  #record(model: string, lane: Lane, amounts: Triple, atMs = this.#clock.now()): void {
    for (const [i, dimension] of DIMENSIONS.entries()) {
      const amount = amounts[i as 0 | 1 | 2];
      if (amount !== 0) this.#usage.get(`${model}|${lane}|${dimension}`)?.add(amount, atMs);
    }
  }

  #permit(model: string, lane: Lane, estimate: number, takenAtMs: number): QuotaPermit {
    let done = false;
    // Usage changes: < 0 come out of the slot the take was recorded in, > 0 are charged now.
    const finish = async (deltas: [number, number, number]) => {
      if (done) return;
      done = true;
      if (deltas.every((d) => d === 0)) return;
      const [r, t, d] = deltas;
      const pacers = lane === 'throughput' ? this.#pacers.get(model) : undefined;
      if (pacers) {
        const now = this.#clock.now();
        pacers[0].adjust(r, now);
        pacers[1].adjust(t, now);
      }
      this.#record(model, lane, [Math.min(0, r), Math.min(0, t), Math.min(0, d)], takenAtMs);
      this.#record(model, lane, [Math.max(0, r), Math.max(0, t), Math.max(0, d)]);
      await this.#store.adjust({
        key: model,
        windows: WINDOWS,
        deltas,
        takenAtMs,
        nowMs: this.#clock.now(),
        reserved: lane === 'latency',
      });
    };
    return {
      model,
      lane,
      estimatedInputTokens: estimate,
      settle: (actual) => finish([0, Math.max(0, Math.ceil(actual)) - estimate, 0]),
      refund: () => finish([-1, -estimate, -1]),
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
