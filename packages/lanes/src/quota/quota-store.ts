/** The three quota dimensions, in the order every store keeps them. */
export const DIMENSIONS = ['rpm', 'input_tpm', 'rpd'] as const;
export type QuotaDimension = (typeof DIMENSIONS)[number];

/** One token bucket of a model's quota: its size and how fast it refills. */
export interface BucketSpec {
  capacity: number;
  refillPerMs: number;
}

/** What one take asks of each dimension: the amount, and the level it must leave behind (the reserve). */
export interface TakeRequest {
  /** Bucket key, one per model. */
  key: string;
  buckets: readonly [BucketSpec, BucketSpec, BucketSpec];
  amounts: readonly [number, number, number];
  /** The level each bucket must keep after the take: 0 for the latency lane, the reserve for the throughput lane. */
  floors: readonly [number, number, number];
  /** Wall-clock milliseconds (replicas sharing a Redis store must agree on it). */
  nowMs: number;
}

export type TakeResult =
  | { ok: true; levels: [number, number, number] }
  | {
      ok: false;
      /** The dimension that said no (the one with the longest wait). */
      dimension: QuotaDimension;
      /** Milliseconds until the take could succeed if nothing else took; `Infinity` if it never can. */
      waitMs: number;
      levels: [number, number, number];
    };

/**
 * Where bucket levels live. Every operation refills the buckets to `nowMs` first and is atomic:
 * either every dimension of a take succeeds or none is touched. The memory store serves one
 * process; the Redis store serves every replica sharing the project's quota.
 */
export interface QuotaStore {
  take(request: TakeRequest): Promise<TakeResult>;
  /** Adds `deltas` (refunds > 0, late charges < 0) to the levels; may leave a bucket in debt, never above capacity. */
  adjust(
    request: Omit<TakeRequest, 'amounts' | 'floors'> & {
      deltas: readonly [number, number, number];
    },
  ): Promise<void>;
  close?(): Promise<void>;
}

/**
 * The arithmetic both stores implement (the Redis store in Lua): refill to `now`, then take all
 * or nothing above the floors. Exported so the memory store and the tests share one definition.
 */
export function takeFromLevels(
  levels: [number, number, number],
  elapsedMs: number,
  request: Pick<TakeRequest, 'buckets' | 'amounts' | 'floors'>,
): TakeResult {
  const refilled = levels.map((level, i) => {
    const bucket = request.buckets[i as 0 | 1 | 2];
    return Math.min(bucket.capacity, level + Math.max(0, elapsedMs) * bucket.refillPerMs);
  }) as [number, number, number];
  let denied = -1;
  let waitMs = 0;
  for (let i = 0; i < 3; i++) {
    const index = i as 0 | 1 | 2;
    const amount = request.amounts[index];
    const floor = request.floors[index];
    const bucket = request.buckets[index];
    if (amount > 0 && refilled[index] - amount < floor) {
      const wait =
        amount + floor > bucket.capacity
          ? Number.POSITIVE_INFINITY
          : (amount + floor - refilled[index]) / bucket.refillPerMs;
      if (denied === -1 || wait > waitMs) {
        denied = i;
        waitMs = wait;
      }
    }
  }
  if (denied !== -1) {
    return { ok: false, dimension: DIMENSIONS[denied] as QuotaDimension, waitMs, levels: refilled };
  }
  for (let i = 0; i < 3; i++)
    refilled[i] = (refilled[i] ?? 0) - (request.amounts[i as 0 | 1 | 2] ?? 0);
  return { ok: true, levels: refilled };
}
