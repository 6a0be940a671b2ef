import { ManualClock } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import type { GenerateContentParameters } from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createLatencyLane,
  type LatencyLane,
  type LatencyLaneOptions,
  MemoryResponseCacheStore,
  MissingCacheStoreError,
  REDIS_CACHE_PREFIX,
  requestCacheKey,
  tenantScope,
} from '../src/index.js';
import { metricsHarness } from './support/metrics.js';
import { startRedis } from './support/redis-server.js';

const model = 'gemini-2.5-flash-lite';
/** A deterministic request with room for a whole answer (finish reason STOP). */
const ask = (text: string, config: GenerateContentParameters['config'] = {}) => ({
  model,
  contents: text,
  config: {
    temperature: 0,
    maxOutputTokens: 4000,
    thinkingConfig: { thinkingBudget: 0 },
    ...config,
  },
});

/** Polls `check` until it holds, within a deadline (no fixed sleeps). */
async function until(check: () => boolean, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const LANE = { 'gemini_lanes.lane': 'latency' };
const lookups = (result: string) => ({ ...LANE, 'gemini_lanes.cache.result': result });

describe('latency lane response cache against the emulator', () => {
  let emulator: EmulatorHandle;
  const lanes: LatencyLane[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ profile: 'zero', seed: 7 });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  afterEach(async () => {
    await Promise.all(lanes.splice(0).map((lane) => lane.close()));
  });

  function lane(
    cache: Record<string, unknown> = {},
    options: Partial<LatencyLaneOptions> = {},
    latency: Record<string, unknown> = {},
  ) {
    const h = metricsHarness({
      lanes: {
        latency: { models: [model], pool: { prewarm: 0 }, cache, ...latency },
        throughput: { models: [model] },
      },
    });
    const created = createLatencyLane(h.config.lanes.latency, {
      apiKey: 'test-key',
      baseUrl: emulator.url,
      telemetry: h.telemetry,
      ...options,
    });
    lanes.push(created);
    return { lane: created, h };
  }

  const upstream = () => emulator.stats().requests;

  it('answers an identical deterministic request from the cache without an upstream call', async () => {
    const { lane: l, h } = lane();
    const before = upstream();
    const first = await l.generateContent(ask('what is a hit?'));
    expect(upstream() - before).toBe(1);
    expect(first.candidates?.[0]?.finishReason).toBe('STOP');
    // Same request, fields in another order and contents spelled as a content list.
    const second = await l.generateContent({
      config: { thinkingConfig: { thinkingBudget: 0 }, maxOutputTokens: 4000, temperature: 0 },
      contents: [{ role: 'user', parts: [{ text: 'what is a hit?' }] }],
      model: `models/${model}`,
    });
    expect(upstream() - before).toBe(1);
    expect(second.text).toBe(first.text);
    expect(second.responseId).toBe(first.responseId);
    expect(second).not.toBe(first);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('miss'))).toBe(1);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('hit'))).toBe(1);
    // The hit is a served request: availability counts it.
    expect(
      await h.value('gemini_lanes.requests', { ...LANE, 'gemini_lanes.outcome': 'success' }),
    ).toBe(2);
    // Only the upstream call has a duration sample.
    expect(await h.value('gen_ai.client.operation.duration', LANE)).toBe(1);
    const bytes = await h.value('gemini_lanes.cache.size', LANE);
    expect(bytes).toBeGreaterThan(first.text?.length ?? 0);
    expect(l.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('misses on a different request, model config or contents', async () => {
    const { lane: l, h } = lane();
    const before = upstream();
    await l.generateContent(ask('one'));
    await l.generateContent(ask('two'));
    await l.generateContent(ask('one', { maxOutputTokens: 3999 }));
    await l.generateContent(ask('one', { topK: 1 }));
    expect(upstream() - before).toBe(4);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('miss'))).toBe(4);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('hit'))).toBe(0);
  });

  it('serves an entry until its TTL has passed, then calls the upstream again', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryResponseCacheStore({ maxBytes: 1 << 20, clock });
    const { lane: l } = lane({ ttlMs: 60_000 }, { cache: store });
    const before = upstream();
    const first = await l.generateContent(ask('ttl'));
    clock.advance(59_999);
    expect((await l.generateContent(ask('ttl'))).text).toBe(first.text);
    expect(upstream() - before).toBe(1);
    clock.advance(1);
    const third = await l.generateContent(ask('ttl'));
    expect(upstream() - before).toBe(2);
    expect(third.responseId).not.toBe(first.responseId);
  });

  it('never gives tenant B the answer cached for tenant A', async () => {
    const { lane: l } = lane();
    const before = upstream();
    const a = await l.generateContent(ask('secret of tenant A'), { tenant: 'a' });
    const b = await l.generateContent(ask('secret of tenant A'), { tenant: 'b' });
    expect(upstream() - before).toBe(2);
    expect(b.responseId).not.toBe(a.responseId);
    // Each tenant then hits its own entry, and the API-key scope is a third one.
    expect((await l.generateContent(ask('secret of tenant A'), { tenant: 'a' })).responseId).toBe(
      a.responseId,
    );
    expect((await l.generateContent(ask('secret of tenant A'), { tenant: 'b' })).responseId).toBe(
      b.responseId,
    );
    await l.generateContent(ask('secret of tenant A'));
    expect(upstream() - before).toBe(3);
  });

  it('scopes by a hash of the API key: lanes with different keys share nothing, and the key is never in the cache', async () => {
    const store = new MemoryResponseCacheStore({ maxBytes: 1 << 20 });
    const keys: string[] = [];
    const spy = {
      get: (k: string) => store.get(k),
      set: (k: string, v: string, ttl: number) => {
        keys.push(k, v);
        return store.set(k, v, ttl);
      },
    };
    const { lane: one } = lane({}, { cache: spy, apiKey: 'key-one-SECRET' });
    const { lane: two } = lane({}, { cache: spy, apiKey: 'key-two-SECRET' });
    const before = upstream();
    await one.generateContent(ask('shared store'));
    await two.generateContent(ask('shared store'));
    expect(upstream() - before).toBe(2);
    await one.generateContent(ask('shared store'));
    expect(upstream() - before).toBe(2);
    expect(keys.join('\n')).not.toContain('SECRET');
    expect(keys[0]).toBe(
      requestCacheKey(tenantScope(undefined, 'key-one-SECRET'), ask('shared store'), false),
    );
  });

  it('makes one upstream call for 100 concurrent identical requests, and all 100 get its answer', async () => {
    const { lane: l, h } = lane({}, {}, { concurrency: 4 });
    const before = upstream();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => l.generateContent(ask('single flight'))),
    );
    expect(upstream() - before).toBe(1);
    expect(new Set(answers.map((a) => a.responseId)).size).toBe(1);
    expect(answers[99]?.text).toBe(answers[0]?.text);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('miss'))).toBe(1);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('coalesced'))).toBe(99);
    expect(
      await h.value('gemini_lanes.requests', { ...LANE, 'gemini_lanes.outcome': 'success' }),
    ).toBe(100);
    // And the answer is stored for the next one.
    await l.generateContent(ask('single flight'));
    expect(upstream() - before).toBe(1);
  });

  it('lets one caller abort without failing the 99 others, the first caller included', async () => {
    // A slow answer, so the abort lands while the shared call runs.
    const slow = await startEmulator({
      seed: 3,
      models: { [model]: { ttftMs: { median: 300, p95: 301 } } },
    });
    try {
      const { lane: l, h } = lane({}, { baseUrl: slow.url });
      const controller = new AbortController();
      const leader = l.generateContent(ask('abort one'), { signal: controller.signal });
      const others = Array.from({ length: 99 }, () => l.generateContent(ask('abort one')));
      await until(() => slow.stats().inFlight === 1);
      controller.abort(new Error('caller gave up'));
      await expect(leader).rejects.toThrow('caller gave up');
      const answers = await Promise.all(others);
      expect(answers.every((a) => a.responseId === answers[0]?.responseId)).toBe(true);
      expect(slow.stats().requests).toBe(1);
      expect(
        await h.value('gemini_lanes.requests', { ...LANE, 'gemini_lanes.outcome': 'success' }),
      ).toBe(100); // 99 coalesced callers and the shared upstream call
    } finally {
      await slow.close();
    }
  });

  it("treats a config.abortSignal as the caller's own, not the shared call's", async () => {
    const slow = await startEmulator({
      seed: 5,
      models: { [model]: { ttftMs: { median: 300, p95: 301 } } },
    });
    try {
      const { lane: l } = lane({}, { baseUrl: slow.url });
      const controller = new AbortController();
      const first = l
        .generateContent(ask('config signal', { abortSignal: controller.signal }))
        .catch((e: unknown) => e);
      const second = l.generateContent(ask('config signal'));
      await until(() => slow.stats().inFlight === 1);
      controller.abort(new Error('first left'));
      expect(await first).toEqual(new Error('first left'));
      expect((await second).candidates?.[0]?.finishReason).toBe('STOP');
      expect(slow.stats().requests).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('aborts the shared call when every caller has left', async () => {
    const slow = await startEmulator({
      seed: 4,
      models: { [model]: { ttftMs: { median: 2000, p95: 2001 } } },
    });
    try {
      const { lane: l } = lane({}, { baseUrl: slow.url });
      const controllers = [new AbortController(), new AbortController()];
      const calls = controllers.map((c) =>
        l.generateContent(ask('everyone leaves'), { signal: c.signal }).catch((e: unknown) => e),
      );
      await until(() => slow.stats().inFlight === 1);
      controllers[0]?.abort(new Error('gone'));
      expect(await calls[0]).toEqual(new Error('gone'));
      expect(l.stats().running).toBe(1); // the other caller still waits for the shared call
      controllers[1]?.abort(new Error('gone'));
      expect(await calls[1]).toEqual(new Error('gone'));
      await until(() => l.stats().running === 0 && slow.stats().inFlight === 0);
    } finally {
      await slow.close();
    }
  });

  it('does not cache a request whose temperature is unset (Gemini defaults to 1.0)', async () => {
    const { lane: l, h } = lane();
    const before = upstream();
    const unset = { model, contents: 'no temperature', config: { maxOutputTokens: 4000 } };
    await l.generateContent(unset);
    await l.generateContent(unset);
    await l.generateContent(ask('warm', { temperature: 0.7 }));
    await l.generateContent(ask('warm', { temperature: 0.7 }));
    expect(upstream() - before).toBe(4);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('bypass'))).toBe(4);
    expect(await h.value('gemini_lanes.cache.size', LANE)).toBe(0);
  });

  it('caches an unset temperature when cache.nondeterministic is true', async () => {
    const { lane: l, h } = lane({ nondeterministic: true });
    const before = upstream();
    const unset = { model, contents: 'no temperature, cached', config: { maxOutputTokens: 4000 } };
    const first = await l.generateContent(unset);
    const second = await l.generateContent(unset);
    expect(upstream() - before).toBe(1);
    expect(second.responseId).toBe(first.responseId);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('hit'))).toBe(1);
  });

  it('never caches a truncated (MAX_TOKENS) answer', async () => {
    const { lane: l, h } = lane();
    const before = upstream();
    const first = await l.generateContent(ask('a long answer please', { maxOutputTokens: 1 }));
    expect(first.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    await l.generateContent(ask('a long answer please', { maxOutputTokens: 1 }));
    expect(upstream() - before).toBe(2);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('miss'))).toBe(2);
    expect(await h.value('gemini_lanes.cache.size', LANE)).toBe(0);
  });

  it('never caches an error', async () => {
    const { lane: l } = lane();
    const before = upstream();
    const bad = { model: 'no-such-model', contents: 'x', config: { temperature: 0 } };
    await expect(l.generateContent(bad)).rejects.toThrow();
    await expect(l.generateContent(bad)).rejects.toThrow();
    expect(upstream() - before).toBe(2);
  });

  it('serves a stream hit as a stream with the same chunks, and passes a miss through as it arrives', async () => {
    const { lane: l, h } = lane();
    const before = upstream();
    const firstChunks: string[] = [];
    for await (const chunk of l.generateContentStream(ask('stream me'))) {
      firstChunks.push(chunk.text ?? '');
    }
    expect(firstChunks.length).toBeGreaterThan(1);
    const stream = l.generateContentStream(ask('stream me'));
    expect(typeof stream[Symbol.asyncIterator]).toBe('function');
    const secondChunks: string[] = [];
    for await (const chunk of stream) secondChunks.push(chunk.text ?? '');
    expect(secondChunks).toEqual(firstChunks);
    expect(upstream() - before).toBe(1);
    // A unary call of the same request is a different entry.
    await l.generateContent(ask('stream me'));
    expect(upstream() - before).toBe(2);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('hit'))).toBe(1);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('miss'))).toBe(2);
  });

  it('does not store a stream the caller abandoned', async () => {
    const { lane: l } = lane();
    const before = upstream();
    for await (const _chunk of l.generateContentStream(ask('abandon me'))) {
      break;
    }
    const chunks: string[] = [];
    for await (const chunk of l.generateContentStream(ask('abandon me'))) {
      chunks.push(chunk.text ?? '');
    }
    expect(chunks.length).toBeGreaterThan(0);
    expect(upstream() - before).toBe(2);
  });

  it('shares one upstream stream between concurrent identical streams', async () => {
    const { lane: l, h } = lane();
    const before = upstream();
    const read = async () => {
      const texts: string[] = [];
      for await (const chunk of l.generateContentStream(ask('shared stream'))) {
        texts.push(chunk.text ?? '');
      }
      return texts;
    };
    const results = await Promise.all([read(), read(), read()]);
    expect(upstream() - before).toBe(1);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('coalesced'))).toBe(2);
  });

  it('evicts by bytes and counts evictions', async () => {
    const { lane: l, h } = lane({ maxBytes: 3000 });
    for (let i = 0; i < 10; i++) await l.generateContent(ask(`fill ${i}`));
    expect(await h.value('gemini_lanes.cache.evictions', LANE)).toBeGreaterThan(0);
    const size = await h.value('gemini_lanes.cache.size', LANE);
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(3000);
  });

  it('does nothing when cache.enabled is false', async () => {
    const { lane: l, h } = lane({ enabled: false });
    const before = upstream();
    await l.generateContent(ask('off'));
    await l.generateContent(ask('off'));
    expect(upstream() - before).toBe(2);
    expect(await h.value('gemini_lanes.cache.lookups', lookups('miss'))).toBe(0);
  });

  it('needs a Redis client when cache.store is redis', () => {
    expect(() => lane({ store: 'redis', redisUrl: 'redis://127.0.0.1:1' })).toThrow(
      MissingCacheStoreError,
    );
  });

  it('shares answers between replicas through a real Redis', async () => {
    const redis = await startRedis();
    try {
      const cache = { store: 'redis', redisUrl: redis.url };
      const { lane: one } = lane(cache, { cache: redis.client });
      const { lane: two } = lane(cache, { cache: redis.client });
      const before = upstream();
      const first = await one.generateContent(ask('across replicas'));
      // The write is not awaited by the caller: poll until it has landed.
      const deadline = Date.now() + 5000;
      while ((await redis.client.keys(`${REDIS_CACHE_PREFIX}*`)).length === 0) {
        if (Date.now() > deadline) throw new Error('no cache entry in Redis');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const second = await two.generateContent(ask('across replicas'));
      expect(second.responseId).toBe(first.responseId);
      expect(upstream() - before).toBe(1);
      const [key] = await redis.client.keys(`${REDIS_CACHE_PREFIX}*`);
      expect(await redis.client.pTTL(key ?? '')).toBeGreaterThan(0);
    } finally {
      await redis.stop();
    }
  });
});
