import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIMENSIONS,
  MemoryQuotaStore,
  type QuotaStore,
  RedisQuotaStore,
  type TakeResult,
  type WindowSpec,
} from '../src/index.js';
import { startRedis } from './support/redis-server.js';

type Triple = readonly [number, number, number];

const MINUTE = 60_000;
const DAY = 86_400_000;
// What the limiter uses: rolling minutes in 1 s slots, a rolling day in 10 min slots.
const windows: [WindowSpec, WindowSpec, WindowSpec] = [
  { windowMs: MINUTE, slotMs: 1000 },
  { windowMs: MINUTE, slotMs: 1000 },
  { windowMs: DAY, slotMs: 600_000 },
];
// rpm 10, input TPM 1000, RPD 100; and the same less a 20 % reserve.
const full: Triple = [10, 1000, 100];
const reserved: Triple = [8, 800, 80];

interface StoreUnderTest {
  store: QuotaStore;
  /** Slot fields the store holds for `key`. */
  slotsHeld(key: string): Promise<number>;
}

/** Deterministic PRNG (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function storeContract(name: string, make: () => StoreUnderTest) {
  describe(`${name} quota store`, () => {
    let n = 0;
    const key = () => `model-${name}-${n++}`;

    function client() {
      const { store, slotsHeld } = make();
      return {
        slotsHeld,
        take: (
          k: string,
          amounts: Triple,
          nowMs: number,
          ceilings: Triple = full,
          lanes: { reserve?: Triple; reserved?: boolean } = {},
        ) => store.take({ key: k, windows, amounts, ceilings, nowMs, ...lanes }),
        adjust: (
          k: string,
          deltas: Triple,
          takenAtMs: number,
          nowMs: number,
          reservedLane = false,
        ) => store.adjust({ key: k, windows, deltas, takenAtMs, nowMs, reserved: reservedLane }),
        /** What each window holds at `nowMs` (a take of nothing; moves the store's clock). */
        used: async (k: string, nowMs: number) =>
          (await store.take({ key: k, windows, amounts: [0, 0, 0], ceilings: full, nowMs })).used,
      };
    }

    it('admits a whole quota at once, then nothing until the slot holding it has aged out', async () => {
      const s = client();
      const k = key();
      expect(await s.take(k, [10, 1000, 10], 0)).toEqual({
        ok: true,
        atMs: 0,
        used: [10, 1000, 10],
      });
      // A full-minute token bucket would have refilled ~10 requests by now: 2× the quota.
      expect(await s.take(k, [1, 1, 1], 59_999)).toEqual({
        ok: false,
        dimension: 'rpm',
        waitMs: 1001,
        used: [10, 1000, 10],
      });
      // The API forgets the burst at 60 000; its slot [0, 1000) counts until 61 000.
      expect(await s.take(k, [1, 1, 1], 60_500)).toMatchObject({ ok: false, waitMs: 500 });
      expect(await s.take(k, [1, 1, 1], 61_000)).toEqual({
        ok: true,
        atMs: 61_000,
        used: [1, 1, 11],
      });
    });

    it('takes all or nothing and waits exactly until enough old slots have aged out', async () => {
      const s = client();
      const k = key();
      await s.take(k, [1, 300, 1], 0);
      await s.take(k, [1, 300, 1], 10_500);
      expect(await s.take(k, [1, 300, 1], 20_999)).toEqual({
        ok: true,
        atMs: 20_999,
        used: [3, 900, 3],
      });
      // 700 tokens fit once 600 have left: the slots of 0 and 10 500, gone at 71 000.
      expect(await s.take(k, [1, 700, 1], 30_000)).toEqual({
        ok: false,
        dimension: 'input_tpm',
        waitMs: 41_000,
        used: [3, 900, 3],
      });
      expect(await s.used(k, 30_000)).toEqual([3, 900, 3]); // RPM and RPD were not charged
      expect(await s.take(k, [1, 700, 1], 61_000)).toMatchObject({
        ok: false,
        waitMs: 10_000,
        used: [2, 600, 3],
      });
      expect(await s.take(k, [1, 700, 1], 70_999)).toMatchObject({ ok: false, waitMs: 1 });
      expect(await s.take(k, [1, 700, 1], 71_000)).toEqual({
        ok: true,
        atMs: 71_000,
        used: [2, 1000, 4],
      });
    });

    it('names the dimension with the longest wait, and Infinity when an amount exceeds its ceiling', async () => {
      const s = client();
      const k = key();
      await s.take(k, [10, 0, 0], 0);
      await s.take(k, [0, 1000, 0], 30_000);
      expect(await s.take(k, [1, 1, 0], 40_000)).toEqual({
        ok: false,
        dimension: 'input_tpm',
        waitMs: 51_000,
        used: [10, 1000, 0],
      });
      expect(await s.take(k, [1, 1001, 0], 40_000)).toMatchObject({
        ok: false,
        dimension: 'input_tpm',
        waitMs: Number.POSITIVE_INFINITY,
      });
      // 900 tokens fit the quota but never the throughput lane's 800, however empty the window.
      expect(await s.take(key(), [1, 900, 1], 0, reserved)).toEqual({
        ok: false,
        dimension: 'input_tpm',
        waitMs: Number.POSITIVE_INFINITY,
        used: [0, 0, 0],
      });
    });

    it("keeps the latency lane's reserve: the throughput ceiling counts both lanes' use", async () => {
      const s = client();
      const k = key();
      for (let i = 0; i < 8; i++) expect((await s.take(k, [1, 10, 1], 0, reserved)).ok).toBe(true);
      expect(await s.take(k, [1, 10, 1], 0, reserved)).toEqual({
        ok: false,
        dimension: 'rpm',
        waitMs: 61_000,
        used: [8, 80, 8],
      });
      expect((await s.take(k, [1, 10, 1], 0)).ok).toBe(true);
      expect((await s.take(k, [1, 10, 1], 0)).ok).toBe(true);
      expect(await s.take(k, [1, 10, 1], 0)).toMatchObject({
        ok: false,
        dimension: 'rpm',
        waitMs: 61_000,
      });
      // Room the latency lane used is not the throughput lane's either: 5 + 3 = 8.
      const other = key();
      for (let i = 0; i < 5; i++) await s.take(other, [1, 0, 0], 0);
      for (let i = 0; i < 3; i++)
        expect((await s.take(other, [1, 0, 0], 0, reserved)).ok).toBe(true);
      expect((await s.take(other, [1, 0, 0], 0, reserved)).ok).toBe(false);
    });

    it('holds back for the reserved lane only what its reserve still needs', async () => {
      const s = client();
      const reserve: Triple = [2, 200, 20];
      const latency = { reserved: true };
      const throughput = { reserve };
      // The reserved lane uses 1 of its 2: the other lane may fill the minute to 10 − 1 = 9.
      const k = key();
      expect((await s.take(k, [1, 10, 1], 0, full, latency)).ok).toBe(true);
      for (let i = 0; i < 8; i++) {
        expect((await s.take(k, [1, 10, 1], 0, full, throughput)).ok).toBe(true);
      }
      expect(await s.take(k, [1, 10, 1], 500, full, throughput)).toEqual({
        ok: false,
        dimension: 'rpm',
        waitMs: 60_500,
        used: [9, 90, 9],
      });
      // ... and the reserved lane still has its other one.
      expect((await s.take(k, [1, 10, 1], 0, full, latency)).ok).toBe(true);
      expect((await s.take(k, [1, 10, 1], 0, full, latency)).ok).toBe(false);

      // The reserved lane uses 5, more than its reserve: the other lane gets 10 − 5, not 8 − 5.
      const busy = key();
      for (let i = 0; i < 5; i++) await s.take(busy, [1, 0, 0], 0, full, latency);
      for (let i = 0; i < 5; i++) {
        expect((await s.take(busy, [1, 0, 0], 0, full, throughput)).ok).toBe(true);
      }
      expect((await s.take(busy, [1, 0, 0], 0, full, throughput)).ok).toBe(false);

      // A refund of a reserved take holds its room back again; an amount that could not fit
      // even with the whole reserve held back never fits.
      const refunded = key();
      const taken = await s.take(refunded, [1, 0, 0], 0, full, latency);
      expect(taken.ok).toBe(true);
      await s.adjust(refunded, [-1, 0, 0], 0, 0, true);
      for (let i = 0; i < 8; i++) await s.take(refunded, [1, 0, 0], 0, full, throughput);
      expect(await s.take(refunded, [1, 0, 0], 0, full, throughput)).toMatchObject({
        ok: false,
        waitMs: 61_000,
      });
      expect(await s.take(key(), [1, 900, 1], 0, full, throughput)).toMatchObject({
        ok: false,
        dimension: 'input_tpm',
        waitMs: Number.POSITIVE_INFINITY,
      });
      // The reserved use ages out with its slot: a minute on, the whole reserve is held again.
      expect((await s.take(busy, [1, 0, 0], 62_000, full, throughput)).ok).toBe(true);
      expect((await s.used(busy, 62_000))[0]).toBe(1);
    });

    it('counts requests per day over a rolling day in 10-minute slots', async () => {
      const s = client();
      const k = key();
      await s.take(k, [0, 0, 60], 0);
      await s.take(k, [0, 0, 40], 3_600_000);
      expect(await s.take(k, [0, 0, 1], 7_200_000)).toEqual({
        ok: false,
        dimension: 'rpd',
        waitMs: DAY + 600_000 - 7_200_000,
        used: [0, 0, 100],
      });
      expect(await s.take(k, [0, 0, 1], DAY + 599_999)).toMatchObject({ ok: false, waitMs: 1 });
      expect(await s.take(k, [0, 0, 1], DAY + 600_000)).toMatchObject({
        ok: true,
        used: [0, 0, 41],
      });
    });

    it('refunds from the slot the take was recorded in, and charges late corrections to the current slot', async () => {
      const s = client();
      const k = key();
      const a = await s.take(k, [1, 600, 1], 0);
      const b = await s.take(k, [1, 300, 1], 30_000);
      expect(a.ok && b.ok && [a.atMs, b.atMs]).toEqual([0, 30_000]);
      await s.adjust(k, [0, -400, 0], 0, 40_000); // a settled at 200
      await s.adjust(k, [0, 100, 0], 30_000, 40_000); // b settled at 400: 100 more, charged at 40 000
      expect(await s.used(k, 40_000)).toEqual([2, 600, 2]);
      expect(await s.used(k, 61_000)).toEqual([1, 400, 2]); // a's slot is gone with its 200
      expect(await s.used(k, 91_000)).toEqual([0, 100, 2]); // the late 100 counts until 101 000
      expect(await s.used(k, 101_000)).toEqual([0, 0, 2]);
      // A refund of b now: its minute slots are gone already, its day slot is not.
      await s.adjust(k, [-1, -300, -1], 30_000, 101_000);
      expect(await s.used(k, 101_000)).toEqual([0, 0, 1]);
      // A slot never goes below zero.
      await s.adjust(k, [0, 0, -5], 0, 101_000);
      expect(await s.used(k, 101_000)).toEqual([0, 0, 0]);
      expect(await s.take(k, [0, 0, 100], 101_000)).toMatchObject({ ok: true, used: [0, 0, 100] });
    });

    it('never lets time run backwards: a lagging caller is recorded at the latest time, its wait told by its own clock', async () => {
      const s = client();
      const k = key();
      await s.take(k, [5, 0, 0], 60_000);
      expect(await s.take(k, [1, 0, 0], 30_000)).toEqual({
        ok: true,
        atMs: 60_000,
        used: [6, 0, 0],
      });
      // The slot of 60 000 ages out at 121 000: 91 000 ms from the caller's 30 000.
      expect(await s.take(k, [5, 0, 0], 30_000)).toMatchObject({
        ok: false,
        dimension: 'rpm',
        waitMs: 91_000,
      });
      expect(await s.used(k, 120_999)).toEqual([6, 0, 0]);
      expect(await s.used(k, 121_000)).toEqual([0, 0, 0]);
    });

    it('keeps models apart', async () => {
      const s = client();
      const [a, b] = [key(), key()];
      await s.take(a, [10, 0, 0], 0);
      expect((await s.take(b, [10, 0, 0], 0)).ok).toBe(true);
    });

    it('never hands out more than the window holds under concurrent takes', async () => {
      const s = client();
      const k = key();
      const results = await Promise.all(Array.from({ length: 50 }, () => s.take(k, [1, 0, 0], 0)));
      expect(results.filter((r) => r.ok)).toHaveLength(10);
    });

    it('keeps memory bounded: slots are dropped once they age out', async () => {
      const s = client();
      const k = key();
      const roomy: Triple = [1e9, 1e9, 1e9];
      for (let t = 0; t < 30 * MINUTE; t += 1500) await s.take(k, [1, 1, 1], t, roomy);
      // Per minute dimension the 41 one-second slots of the last minute, and 3 ten-minute slots.
      expect(await s.slotsHeld(k)).toBe(41 + 41 + 3);
      await s.used(k, 30 * MINUTE + DAY);
      expect(await s.slotsHeld(k)).toBe(0);
    });

    it('holds every rolling window to its ceiling under random takes, settles and refunds, with exact waits', async () => {
      const s = client();
      const k = key();
      // A day's quota of 20 busy minutes, so that each dimension runs out now and then.
      const quota: Triple = [10, 1000, 200];
      const reserve: Triple = [2, 200, 40];
      const rand = random(20_240_601);
      const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

      /** The independent reference: every take still sent, with what it counts per dimension. */
      interface Sent {
        seq: number;
        t: number;
        lane: 'latency' | 'throughput';
        amounts: [number, number, number];
      }
      const sent: Sent[] = [];
      const agesOut = (d: number, t: number) => {
        const w = windows[d as 0 | 1 | 2];
        return (Math.floor(t / w.slotMs) + 1) * w.slotMs + w.windowMs;
      };
      const usedAt = (d: number, x: number, lane?: Sent['lane']) =>
        sent.reduce(
          (sum, r) =>
            agesOut(d, r.t) > x && (lane === undefined || r.lane === lane)
              ? sum + r.amounts[d as 0 | 1 | 2]
              : sum,
          0,
        );
      /** The most a window may hold with a take of `lane` in it at `x`. */
      const ceilingFor = (lane: Sent['lane'], d: number, x: number) =>
        lane === 'latency'
          ? quota[d as 0 | 1 | 2]
          : quota[d as 0 | 1 | 2] - Math.max(0, reserve[d as 0 | 1 | 2] - usedAt(d, x, 'latency'));
      /**
       * When (from `now`) `amount` first fits under `ceiling` if nothing else happens; never
       * when it exceeds `never` (the ceiling with the whole reserve held back).
       */
      const expectedWait = (
        d: number,
        amount: number,
        ceiling: number,
        never: number,
        now: number,
      ) => {
        if (amount > never) return Number.POSITIVE_INFINITY;
        const times = [now, ...sent.map((r) => agesOut(d, r.t)).filter((x) => x > now)].sort(
          (x, y) => x - y,
        );
        const fits = times.find((x) => usedAt(d, x) + amount <= ceiling);
        return (fits ?? Number.NaN) - now;
      };

      let now = 1_000_000;
      let seq = 0;
      const denials: Record<string, number> = { rpm: 0, input_tpm: 0, rpd: 0 };
      for (let step = 0; step < 1000; step++) {
        const r = rand();
        now +=
          r < 0.8
            ? int(0, 800)
            : r < 0.95
              ? int(0, 8000)
              : r < 0.99
                ? int(8000, 70_000)
                : int(0, 6 * 3_600_000);
        const action = rand();
        if (action < 0.15 && sent.length > 0) {
          // Settle a recent take at its actual input tokens (no more than estimated).
          const record = sent[int(Math.max(0, sent.length - 20), sent.length - 1)] as Sent;
          const actual = int(0, record.amounts[1]);
          await s.adjust(
            k,
            [0, actual - record.amounts[1], 0],
            record.t,
            now,
            record.lane === 'latency',
          );
          record.amounts[1] = actual;
          continue;
        }
        if (action < 0.25 && sent.length > 0) {
          // Refund a recent take that never reached the upstream.
          const index = int(Math.max(0, sent.length - 20), sent.length - 1);
          const [record] = sent.splice(index, 1) as [Sent];
          await s.adjust(k, [-1, -record.amounts[1], -1], record.t, now, record.lane === 'latency');
          continue;
        }
        const lane = rand() < 0.5 ? 'latency' : 'throughput';
        const amounts: [number, number, number] = [1, int(0, rand() < 0.5 ? 40 : 400), 1];
        const expectedUsed = [usedAt(0, now), usedAt(1, now), usedAt(2, now)];
        let expectedDenied = -1;
        let expectedWaitMs = 0;
        for (let d = 0; d < 3; d++) {
          const amount = amounts[d as 0 | 1 | 2];
          const ceiling = ceilingFor(lane, d, now);
          if ((expectedUsed[d] ?? 0) + amount <= ceiling) continue;
          const never =
            lane === 'latency'
              ? quota[d as 0 | 1 | 2]
              : quota[d as 0 | 1 | 2] - reserve[d as 0 | 1 | 2];
          const wait = expectedWait(d, amount, ceiling, never, now);
          if (expectedDenied === -1 || wait > expectedWaitMs) {
            expectedDenied = d;
            expectedWaitMs = wait;
          }
        }
        const result: TakeResult = await s.take(
          k,
          amounts,
          now,
          quota,
          lane === 'latency' ? { reserved: true } : { reserve },
        );
        if (expectedDenied === -1) {
          expect(result).toEqual({
            ok: true,
            atMs: now,
            used: expectedUsed.map((u, d) => u + amounts[d as 0 | 1 | 2]),
          });
          sent.push({ seq: seq++, t: now, lane, amounts });
        } else {
          const dimension = DIMENSIONS[expectedDenied] as string;
          denials[dimension] = (denials[dimension] ?? 0) + 1;
          expect(result).toEqual({
            ok: false,
            dimension,
            waitMs: expectedWaitMs,
            used: expectedUsed,
          });
        }
      }
      // The run pressed on every dimension.
      expect(Object.values(denials).every((count) => count > 0)).toBe(true);
      expect(sent.length).toBeGreaterThan(150);

      // The guarantee, in the API's own terms (exact times, no slots): for every take, what was
      // sent in the window ending at it, itself included, is within the quota; and what was sent
      // up to a throughput-lane take within the quota less what the reserve still held back:
      // the reserve less the latency lane's own use in that window.
      const busiest = [0, 0, 0];
      for (const take of sent) {
        for (let d = 0; d < 3; d++) {
          const windowMs = windows[d as 0 | 1 | 2].windowMs;
          const inWindow = sent.filter((r) => r.t > take.t - windowMs && r.t <= take.t);
          const total = inWindow.reduce((sum, r) => sum + r.amounts[d as 0 | 1 | 2], 0);
          expect(total).toBeLessThanOrEqual(quota[d as 0 | 1 | 2]);
          busiest[d] = Math.max(busiest[d] ?? 0, total);
          if (take.lane === 'throughput') {
            const upTo = inWindow.filter((r) => r.seq <= take.seq);
            const before = upTo.reduce((sum, r) => sum + r.amounts[d as 0 | 1 | 2], 0);
            const latencyUse = upTo
              .filter((r) => r.lane === 'latency')
              .reduce((sum, r) => sum + r.amounts[d as 0 | 1 | 2], 0);
            expect(before).toBeLessThanOrEqual(
              quota[d as 0 | 1 | 2] - Math.max(0, reserve[d as 0 | 1 | 2] - latencyUse),
            );
          }
        }
      }
      // And the whole quota was usable: some rolling minute held all 10 requests.
      expect(busiest[0]).toBe(10);
    });
  });
}

storeContract('memory', () => {
  const store = new MemoryQuotaStore();
  return { store, slotsHeld: async (key) => store.slotsHeld(key) };
});

describe('with a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  storeContract('redis', () => {
    const store = new RedisQuotaStore(redis.client, { keyPrefix: 'test:quota:' });
    return {
      store,
      slotsHeld: async (key) => {
        const fields = (await redis.client.sendCommand(['HKEYS', `test:quota:${key}`])) as string[];
        return fields.filter((f) => f !== 't').length;
      },
    };
  });

  const take = (store: RedisQuotaStore, amounts: Triple, nowMs: number) =>
    store.take({ key: 'm', windows, amounts, ceilings: full, nowMs });

  it('keeps one hash per model: a field per dimension and slot, its clock, and an expiry', async () => {
    const store = new RedisQuotaStore(redis.client, { keyPrefix: 'layout:' });
    await take(store, [1, 900, 1], 61_500);
    await take(store, [1, 50, 1], 62_000);
    expect(await redis.client.hGetAll('layout:m')).toEqual({
      t: '62000',
      '1:61': '1',
      '2:61': '900',
      '1:62': '1',
      '2:62': '50',
      '3:0': '2',
    });
    const ttl = Number(await redis.client.sendCommand(['PTTL', 'layout:m']));
    expect(ttl).toBeGreaterThan(DAY);
    expect(ttl).toBeLessThanOrEqual(DAY + 600_000);
  });

  it('reloads its script after the server forgets it (restart or failover)', async () => {
    const store = new RedisQuotaStore(redis.client, { keyPrefix: 'flush:' });
    expect((await take(store, [1, 0, 0], 0)).ok).toBe(true);
    await redis.client.sendCommand(['SCRIPT', 'FLUSH']);
    expect(await take(store, [1, 0, 0], 0)).toEqual({ ok: true, atMs: 0, used: [2, 0, 0] });
  });

  it('shares one quota between replicas (two stores on one server)', async () => {
    const replicaA = new RedisQuotaStore(redis.client, { keyPrefix: 'shared:' });
    const replicaB = new RedisQuotaStore(redis.client, { keyPrefix: 'shared:' });
    for (let i = 0; i < 5; i++) {
      await take(replicaA, [1, 0, 0], 0);
      await take(replicaB, [1, 0, 0], 0);
    }
    expect(await take(replicaA, [1, 0, 0], 2000)).toEqual({
      ok: false,
      dimension: 'rpm',
      waitMs: 59_000,
      used: [10, 0, 0],
    });
  });
});
