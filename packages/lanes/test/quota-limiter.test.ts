import { defineConfig, ManualClock, QuotaExhaustedError } from '@gemini-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createQuotaLimiter,
  type QuotaDecision,
  type QuotaPermit,
  RedisQuotaStore,
  UnknownQuotaModelError,
} from '../src/index.js';
import { startRedis } from './support/redis-server.js';

const quota = defineConfig({
  quota: {
    latencyReservedShare: 0.2,
    models: { 'gemini-2.5-flash': { rpm: 10, inputTpm: 10_000, rpd: 1000 } },
  },
}).quota;
const model = 'gemini-2.5-flash';

function setup() {
  const clock = new ManualClock(1_700_000_000_000);
  const slept: number[] = [];
  const limiter = createQuotaLimiter(quota, {
    // The window's own arithmetic; pacing has its own tests.
    throughputBurstShare: 1,
    clock,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      slept.push(ms);
      clock.advance(ms);
    },
  });
  return { clock, limiter, slept };
}

function ok(decision: QuotaDecision) {
  if (!decision.ok) throw new Error(`denied: ${decision.dimension}`);
  return decision.permit;
}

describe('QuotaLimiter', () => {
  it('keeps the latency lane its reserved share: throughput stops at 80% of any rolling minute, latency gets the rest', async () => {
    const { limiter, clock } = setup();
    for (let i = 0; i < 8; i++)
      ok(await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 100 }));
    // The 8 requests sit in the slot [t0, t0 + 1 s), which counts until t0 + 61 s.
    expect(await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 61_000,
    });
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 61_000,
    });
    // Half a minute on, a token bucket would have refilled 5 requests; the window has none.
    clock.advance(30_000);
    expect(await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 31_000,
    });
    clock.advance(31_000);
    for (let i = 0; i < 8; i++)
      ok(await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 100 }));
    expect((await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })).ok).toBe(
      false,
    );
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
  });

  it("gives the throughput lane the quota less the larger of the reserve and the latency lane's use, never less both", async () => {
    // The latency lane uses 1 of its reserved 2: throughput may take 10 − 2 = 8, latency its other 1.
    const quiet = setup().limiter;
    ok(await quiet.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    for (let i = 0; i < 8; i++)
      ok(await quiet.tryAcquire({ model, lane: 'throughput', inputTokens: 100 }));
    expect((await quiet.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })).ok).toBe(
      false,
    );
    ok(await quiet.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));

    // The latency lane uses 6, past its reserve: throughput may take 10 − 6 = 4 (not 8 − 6 = 2).
    const busy = setup().limiter;
    for (let i = 0; i < 6; i++)
      ok(await busy.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    for (let i = 0; i < 4; i++)
      ok(await busy.tryAcquire({ model, lane: 'throughput', inputTokens: 100 }));
    expect((await busy.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })).ok).toBe(false);

    // A refunded latency request holds its room in the reserve back again: the latency lane
    // uses nothing after it, so throughput may take 8 (had the refund left the lane's use at 1,
    // it would have had 9).
    const refunded = setup().limiter;
    await ok(await refunded.tryAcquire({ model, lane: 'latency', inputTokens: 100 })).refund();
    for (let i = 0; i < 8; i++)
      ok(await refunded.tryAcquire({ model, lane: 'throughput', inputTokens: 100 }));
    expect((await refunded.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })).ok).toBe(
      false,
    );
  });

  it("rounds the throughput lane's ceiling down to whole requests, without floating-point noise", async () => {
    const takes = async (latencyReservedShare: number, rpm: number) => {
      const limiter = createQuotaLimiter(
        defineConfig({
          quota: { latencyReservedShare, models: { [model]: { rpm, inputTpm: 1e6, rpd: 1e6 } } },
        }).quota,
        { clock: new ManualClock(0), throughputBurstShare: 1 },
      );
      let n = 0;
      while ((await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 1 })).ok) n++;
      return n;
    };
    expect(await takes(0.9, 100)).toBe(10); // 100 × (1 − 0.9) = 9.999999999999998
    expect(await takes(0.25, 10)).toBe(7); // 7.5
    expect(await takes(0, 10)).toBe(10);
  });

  it('admits a whole minute of quota at once, and no more in any rolling minute', async () => {
    const { limiter, clock } = setup();
    for (let i = 0; i < 10; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    // The API forgets the burst at t0 + 60 s; its 1 s slot is counted until t0 + 61 s.
    clock.advance(60_500);
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 500,
    });
    clock.advance(500);
    for (let i = 0; i < 10; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    expect((await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 })).ok).toBe(false);
  });

  it('waits for quota until the oldest slots have aged out, and no longer', async () => {
    const { limiter, clock, slept } = setup();
    const t0 = clock.now();
    for (let i = 0; i < 5; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    clock.advance(30_500);
    for (let i = 0; i < 5; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    const permit = await limiter.acquire({ model, lane: 'latency', inputTokens: 1 });
    expect(permit.lane).toBe('latency');
    expect(slept).toEqual([30_500]);
    expect(clock.now() - t0).toBe(61_000);
    // The first 5 have left the window, the second 5 have not: 4 more fit.
    for (let i = 0; i < 4; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 30_000,
    });
  });

  it('refuses at once a wait longer than allowed, with when to retry', async () => {
    const { limiter, slept } = setup();
    for (let i = 0; i < 10; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    const error = await limiter
      .acquire({ model, lane: 'latency', inputTokens: 1 }, { maxWaitMs: 1000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect(error).toMatchObject({
      code: 'ERR_QUOTA_EXHAUSTED',
      dimension: 'rpm',
      model,
      retryAfterMs: 61_000,
    });
    expect(slept).toEqual([]);
  });

  it("refuses at once a request that can never fit in the lane's share of a minute", async () => {
    const { limiter, slept } = setup();
    // 9,000 input tokens fit the whole 10,000 TPM but not the throughput lane's 8,000.
    const error = await limiter
      .acquire({ model, lane: 'throughput', inputTokens: 9000 })
      .catch((e) => e);
    expect(error).toMatchObject({
      code: 'ERR_QUOTA_EXHAUSTED',
      dimension: 'input_tpm',
      retryAfterMs: undefined,
    });
    expect(slept).toEqual([]);
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 9000 }));
  });

  it('corrects the input-token estimate by actual usage, and refunds a request never sent', async () => {
    const { limiter } = setup();
    const permit = ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 6000 }));
    expect((await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 4001 })).ok).toBe(
      false,
    );
    await permit.settle(2000); // the response said 2,000: 4,000 come back
    await permit.settle(1); // settling twice changes nothing
    const big = ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 8000 }));
    expect((await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 })).ok).toBe(false);
    await big.refund();
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 8000 }));
  });

  it('gives a correction back from the slot the request was taken in', async () => {
    const { limiter, clock } = setup();
    const first = ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 6000 }));
    clock.advance(30_000);
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 4000 }));
    await first.settle(2000); // 4,000 come out of the slot at t0, not out of the current one
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 4000 }));
    // Window: 2,000 at t0 (gone at t0 + 61 s), 8,000 at t0 + 30 s (gone at t0 + 91 s).
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 2000 })).toEqual({
      ok: false,
      dimension: 'input_tpm',
      retryAfterMs: 31_000,
    });
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 2001 })).toEqual({
      ok: false,
      dimension: 'input_tpm',
      retryAfterMs: 61_000,
    });
  });

  it('charges a late correction to the current slot when the estimate was too low', async () => {
    const { limiter, clock } = setup();
    const permit = ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1000 }));
    clock.advance(30_000);
    await permit.settle(9000); // 8,000 more, counted from now
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1001 })).toEqual({
      ok: false,
      dimension: 'input_tpm',
      retryAfterMs: 31_000,
    });
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 2001 })).toEqual({
      ok: false,
      dimension: 'input_tpm',
      retryAfterMs: 61_000,
    });
  });

  it('ignores the part of a refund whose slot has already aged out', async () => {
    const { limiter, clock } = setup();
    const old = ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    clock.advance(61_000);
    for (let i = 0; i < 10; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    await old.refund(); // its minute is over: giving it back must not make room in this one
    expect(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 100 })).toMatchObject({
      ok: false,
      dimension: 'rpm',
    });
    // Its day is not over: the request per day comes back.
    const rpd = limiter
      .utilization()
      .find((u) => u.lane === 'latency' && u.dimension === 'rpd')?.value;
    expect(rpd).toBeCloseTo(10 / 1000, 10);
  });

  it('reports utilisation per model, lane and dimension over the window', async () => {
    const { limiter, clock } = setup();
    for (let i = 0; i < 4; i++)
      ok(await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 500 }));
    ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1000 }));
    const value = (lane: string, dimension: string) =>
      limiter.utilization().find((u) => u.lane === lane && u.dimension === dimension)?.value;
    expect(value('throughput', 'rpm')).toBeCloseTo(0.4, 10);
    expect(value('throughput', 'input_tpm')).toBeCloseTo(0.2, 10);
    expect(value('latency', 'input_tpm')).toBeCloseTo(0.1, 10);
    expect(value('latency', 'rpd')).toBeCloseTo(0.001, 10);
    clock.advance(61_000);
    expect(value('throughput', 'rpm')).toBe(0);
    expect(value('throughput', 'rpd')).toBeCloseTo(0.004, 10);
  });

  it("accepts the SDK's models/ form of a model name and debits the same bucket", async () => {
    const { limiter } = setup();
    for (let i = 0; i < 5; i++)
      ok(await limiter.tryAcquire({ model: `models/${model}`, lane: 'latency', inputTokens: 1 }));
    for (let i = 0; i < 5; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    expect(
      (await limiter.tryAcquire({ model: `models/${model}`, lane: 'latency', inputTokens: 1 })).ok,
    ).toBe(false);
  });

  it('refuses a model the quota does not list, and stops waiting when aborted', async () => {
    const { limiter } = setup();
    await expect(
      limiter.tryAcquire({ model: 'gemini-9', lane: 'latency', inputTokens: 1 }),
    ).rejects.toBeInstanceOf(UnknownQuotaModelError);
    for (let i = 0; i < 10; i++)
      ok(await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 }));
    const controller = new AbortController();
    controller.abort(new Error('caller went away'));
    await expect(
      limiter.acquire({ model, lane: 'latency', inputTokens: 1 }, { signal: controller.signal }),
    ).rejects.toThrow('caller went away');
  });

  it('uses Redis when given a client, and asks for one when the configuration says redis', () => {
    const fakeClient = { sendCommand: async () => [0, '0', '0', '0', '0'] };
    expect(() => createQuotaLimiter(quota, { store: fakeClient })).not.toThrow();
    expect(() => new RedisQuotaStore({} as never)).toThrow(
      'expected a connected node-redis client',
    );
    const redisQuota = defineConfig({
      quota: { store: 'redis', redisUrl: 'redis://127.0.0.1:6379' },
    }).quota;
    expect(() => createQuotaLimiter(redisQuota)).toThrow(
      'quota.store is "redis": pass a connected Redis client',
    );
  });
});

describe('QuotaLimiter pacing of the throughput lane', () => {
  it("spreads the lane's share over the minute instead of taking it at once, and never paces the latency lane", async () => {
    // 600 rpm, no reserve: the throughput lane may send 10 a second; a burst of 25 % is 150.
    const clock = new ManualClock(1_000_000);
    const limiter = createQuotaLimiter(
      defineConfig({
        quota: {
          latencyReservedShare: 0,
          models: { [model]: { rpm: 600, inputTpm: 1e9, rpd: 1e6 } },
        },
      }).quota,
      { clock },
    );
    let taken = 0;
    while ((await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 1 })).ok) taken++;
    expect(taken).toBe(150);
    expect(await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 1 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 100,
    });
    clock.advance(1000);
    taken = 0;
    while ((await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 1 })).ok) taken++;
    expect(taken).toBe(10);
    // The latency lane is not paced: it may take the rest of the window at once.
    let latency = 0;
    while ((await limiter.tryAcquire({ model, lane: 'latency', inputTokens: 1 })).ok) latency++;
    expect(latency).toBe(600 - 160);
  });

  it('gives a refunded request back to the pacer', async () => {
    const clock = new ManualClock(0);
    const limiter = createQuotaLimiter(
      defineConfig({
        quota: {
          latencyReservedShare: 0,
          models: { [model]: { rpm: 60, inputTpm: 1e9, rpd: 1e6 } },
        },
      }).quota,
      { clock },
    );
    // Burst of 25 % of 60: 15 requests.
    const permits: QuotaPermit[] = [];
    for (let i = 0; i < 15; i++)
      permits.push(ok(await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 1 })));
    expect((await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 1 })).ok).toBe(
      false,
    );
    await permits[0]?.refund();
    expect((await limiter.tryAcquire({ model, lane: 'throughput', inputTokens: 1 })).ok).toBe(true);
  });
});

describe('QuotaLimiter pressure signal', () => {
  it('delivers a report to every listener with the time, survives a throwing listener, and stops on unsubscribe', () => {
    const { clock, limiter } = setup();
    const heard: unknown[] = [];
    const stop = limiter.onPressure((signal) => heard.push(signal));
    limiter.onPressure(() => {
      throw new Error('listener bug');
    });
    clock.advance(5);
    limiter.reportPressure({ lane: 'latency', reason: 'rate_limited', model });
    stop();
    limiter.reportPressure({ lane: 'latency', reason: 'queue_wait' });
    expect(heard).toEqual([
      { lane: 'latency', reason: 'rate_limited', model, atMs: 1_700_000_000_005 },
    ]);
  });
});

describe('QuotaLimiter on a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('shares one sliding window between replicas: reserve, exact waits and refunds included', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const replicaA = createQuotaLimiter(quota, {
      clock,
      store: redis.client,
      throughputBurstShare: 1,
    });
    const replicaB = createQuotaLimiter(quota, {
      clock,
      store: redis.client,
      throughputBurstShare: 1,
    });
    const batch = [];
    for (let i = 0; i < 4; i++) {
      batch.push(ok(await replicaA.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })));
      batch.push(ok(await replicaB.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })));
    }
    expect(await replicaA.tryAcquire({ model, lane: 'throughput', inputTokens: 100 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 61_000,
    });
    clock.advance(20_000);
    ok(await replicaA.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    ok(await replicaB.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
    expect(await replicaB.tryAcquire({ model, lane: 'latency', inputTokens: 100 })).toEqual({
      ok: false,
      dimension: 'rpm',
      retryAfterMs: 41_000,
    });
    // A request that never reached the upstream gives its room back to both replicas.
    await batch[0]?.refund();
    ok(await replicaB.tryAcquire({ model, lane: 'latency', inputTokens: 100 }));
  });
});
