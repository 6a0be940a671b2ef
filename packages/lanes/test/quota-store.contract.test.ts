import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BucketSpec,
  MemoryQuotaStore,
  type QuotaStore,
  RedisQuotaStore,
} from '../src/index.js';
import { startRedis } from './support/redis-server.js';

const MINUTE = 60_000;
// rpm 10, input TPM 1000, RPD 100
const buckets: [BucketSpec, BucketSpec, BucketSpec] = [
  { capacity: 10, refillPerMs: 10 / MINUTE },
  { capacity: 1000, refillPerMs: 1000 / MINUTE },
  { capacity: 100, refillPerMs: 100 / 86_400_000 },
];
const none = [0, 0, 0] as const;

function storeContract(name: string, makeStore: () => QuotaStore) {
  describe(`${name} quota store`, () => {
    let n = 0;
    const key = () => `model-${name}-${n++}`;

    it('takes all or nothing and says which dimension is short and for how long', async () => {
      const store = makeStore();
      const k = key();
      const first = await store.take({
        key: k,
        buckets,
        amounts: [1, 900, 1],
        floors: none,
        nowMs: 0,
      });
      expect(first).toEqual({ ok: true, levels: [9, 100, 99] });
      const second = await store.take({
        key: k,
        buckets,
        amounts: [1, 200, 1],
        floors: none,
        nowMs: 0,
      });
      // input TPM is short by 100 tokens: 100 / (1000 per minute) = 6 s; nothing else was taken.
      expect(second).toEqual({
        ok: false,
        dimension: 'input_tpm',
        waitMs: 6000,
        levels: [9, 100, 99],
      });
      const later = await store.take({
        key: k,
        buckets,
        amounts: [1, 200, 1],
        floors: none,
        nowMs: 6000,
      });
      expect(later.ok).toBe(true);
      expect(later.levels[1]).toBeCloseTo(0, 6);
      expect(later.levels[0]).toBeCloseTo(9, 6); // refilled 1 request in 6 s, took 1
    });

    it('keeps the floor: a lane with a reserve below it cannot take what is reserved', async () => {
      const store = makeStore();
      const k = key();
      const floors = [2, 200, 20] as const;
      for (let i = 0; i < 8; i++) {
        expect(
          (await store.take({ key: k, buckets, amounts: [1, 10, 1], floors, nowMs: 0 })).ok,
        ).toBe(true);
      }
      const denied = await store.take({ key: k, buckets, amounts: [1, 10, 1], floors, nowMs: 0 });
      expect(denied).toMatchObject({ ok: false, dimension: 'rpm', waitMs: 6000 });
      // Without a floor the last two requests are still there.
      expect(
        (await store.take({ key: k, buckets, amounts: [1, 10, 1], floors: none, nowMs: 0 })).ok,
      ).toBe(true);
      expect(
        (await store.take({ key: k, buckets, amounts: [1, 10, 1], floors: none, nowMs: 0 })).ok,
      ).toBe(true);
      expect(
        (await store.take({ key: k, buckets, amounts: [1, 10, 1], floors: none, nowMs: 0 })).ok,
      ).toBe(false);
    });

    it('reports a take that can never fit with an infinite wait', async () => {
      const store = makeStore();
      const result = await store.take({
        key: key(),
        buckets,
        amounts: [1, 900, 1],
        floors: [0, 200, 0],
        nowMs: 0,
      });
      expect(result).toMatchObject({
        ok: false,
        dimension: 'input_tpm',
        waitMs: Number.POSITIVE_INFINITY,
      });
    });

    it('adjusts levels after the fact: refunds up to capacity, late charges into debt', async () => {
      const store = makeStore();
      const k = key();
      await store.take({ key: k, buckets, amounts: [1, 1000, 1], floors: none, nowMs: 0 });
      await store.adjust({ key: k, buckets, deltas: [0, -500, 0], nowMs: 0 });
      const inDebt = await store.take({
        key: k,
        buckets,
        amounts: [0, 1, 0],
        floors: none,
        nowMs: 0,
      });
      expect(inDebt).toMatchObject({ ok: false, dimension: 'input_tpm', levels: [9, -500, 99] });
      expect(inDebt.ok === false && inDebt.waitMs).toBeCloseTo(30_060, 6);
      await store.adjust({ key: k, buckets, deltas: [5, 10_000, 0], nowMs: 0 });
      const full = await store.take({
        key: k,
        buckets,
        amounts: [0, 0, 0],
        floors: none,
        nowMs: 0,
      });
      expect(full.levels).toEqual([10, 1000, 99]);
    });

    it('never lets time run backwards', async () => {
      const store = makeStore();
      const k = key();
      await store.take({ key: k, buckets, amounts: [5, 0, 0], floors: none, nowMs: 60_000 });
      const earlier = await store.take({
        key: k,
        buckets,
        amounts: [0, 0, 0],
        floors: none,
        nowMs: 30_000,
      });
      expect(earlier.levels[0]).toBe(5);
      const after = await store.take({
        key: k,
        buckets,
        amounts: [0, 0, 0],
        floors: none,
        nowMs: 66_000,
      });
      expect(after.levels[0]).toBeCloseTo(6, 6);
    });

    it('keeps models apart', async () => {
      const store = makeStore();
      const [a, b] = [key(), key()];
      await store.take({ key: a, buckets, amounts: [10, 0, 0], floors: none, nowMs: 0 });
      expect(
        (await store.take({ key: b, buckets, amounts: [10, 0, 0], floors: none, nowMs: 0 })).ok,
      ).toBe(true);
    });

    it('never hands out more than the bucket holds under concurrent takes', async () => {
      const store = makeStore();
      const k = key();
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          store.take({ key: k, buckets, amounts: [1, 0, 0], floors: none, nowMs: 0 }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(10);
    });
  });
}

storeContract('memory', () => new MemoryQuotaStore());

describe('with a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const stores: RedisQuotaStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  storeContract('redis', () => {
    const store = new RedisQuotaStore(redis.client, { keyPrefix: 'test:quota:' });
    stores.push(store);
    return store;
  });

  it('reloads its script after the server forgets it (restart or failover)', async () => {
    const store = new RedisQuotaStore(redis.client, { keyPrefix: 'flush:' });
    expect(
      (await store.take({ key: 'm', buckets, amounts: [1, 0, 0], floors: none, nowMs: 0 })).ok,
    ).toBe(true);
    await redis.client.sendCommand(['SCRIPT', 'FLUSH']);
    const again = await store.take({
      key: 'm',
      buckets,
      amounts: [1, 0, 0],
      floors: none,
      nowMs: 0,
    });
    expect(again).toEqual({ ok: true, levels: [8, 1000, 100] });
  });

  it('shares one quota between replicas (two stores on one server)', async () => {
    const replicaA = new RedisQuotaStore(redis.client, { keyPrefix: 'shared:' });
    const replicaB = new RedisQuotaStore(redis.client, { keyPrefix: 'shared:' });
    for (let i = 0; i < 5; i++) {
      await replicaA.take({ key: 'm', buckets, amounts: [1, 0, 0], floors: none, nowMs: 0 });
      await replicaB.take({ key: 'm', buckets, amounts: [1, 0, 0], floors: none, nowMs: 0 });
    }
    expect(
      await replicaA.take({ key: 'm', buckets, amounts: [1, 0, 0], floors: none, nowMs: 0 }),
    ).toMatchObject({
      ok: false,
      dimension: 'rpm',
    });
  });
});
