import { setTimeout as sleep } from 'node:timers/promises';
import { LaneClosedError, RequestTimeoutError } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createQuotaLimiter,
  createThroughputLane,
  MissingApiKeyError,
  type QuotaLimiter,
  type ThroughputLane,
  type ThroughputLaneOptions,
} from '../src/index.js';
import { abortableSleep } from '../src/throughput/throughput-executor.js';
import { metricsHarness } from './support/metrics.js';

const model = 'gemini-2.5-flash-lite';
const embedModel = 'gemini-embedding-001';
const prompt = (text: string) => ({
  model,
  contents: text,
  config: { maxOutputTokens: 20, thinkingConfig: { thinkingBudget: 0 } },
});

type ThroughputInput = NonNullable<
  NonNullable<NonNullable<Parameters<typeof metricsHarness>[0]>['lanes']>['throughput']
>;

/** Resolves once `predicate` holds, polling between macrotasks, or fails after `ms`. */
async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('throughput lane against the emulator', () => {
  let fast: EmulatorHandle;
  let slow: EmulatorHandle;
  const lanes: ThroughputLane[] = [];
  const emulators: EmulatorHandle[] = [];
  beforeAll(async () => {
    fast = await startEmulator({ profile: 'zero', seed: 11 });
    // Every answer takes about 300 ms: long next to what these tests wait for.
    slow = await startEmulator({
      seed: 12,
      models: {
        [model]: {
          ttftMs: { median: 300, p95: 301 },
          decodeTokensPerSecond: { median: 1000, p95: 1001 },
        },
      },
    });
  });
  afterAll(async () => {
    await Promise.all([fast?.close(), slow?.close()]);
  });
  afterEach(async () => {
    await Promise.all(lanes.splice(0).map((lane) => lane.close()));
    await Promise.all(emulators.splice(0).map((emulator) => emulator.close()));
  });

  async function emulator(options: Parameters<typeof startEmulator>[0]) {
    const started = await startEmulator(options);
    emulators.push(started);
    return started;
  }

  /** A lane on `baseUrl` with its own telemetry; `quota` is the shared limiter's config (rpm etc.). */
  function lane(
    baseUrl: string,
    throughput: ThroughputInput = {},
    setup: {
      quota?: { rpm: number; inputTpm: number; rpd: number };
      latencyReservedShare?: number;
      limiter?: (config: ReturnType<typeof metricsHarness>['config']) => QuotaLimiter;
      options?: ThroughputLaneOptions;
    } = {},
  ) {
    const limits = setup.quota ?? { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 };
    const h = metricsHarness({
      lanes: {
        latency: { models: [model], pool: { prewarm: 0 } },
        throughput: { models: [model], ...throughput },
      },
      quota: {
        models: {
          [model]: limits,
          [embedModel]: { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 },
        },
        ...(setup.latencyReservedShare === undefined
          ? {}
          : { latencyReservedShare: setup.latencyReservedShare }),
      },
    });
    const quota = setup.limiter?.(h.config) ?? createQuotaLimiter(h.config.quota);
    const created = createThroughputLane(h.config.lanes.throughput, {
      apiKey: 'test-key',
      baseUrl,
      telemetry: h.telemetry,
      quota,
      ...setup.options,
    });
    lanes.push(created);
    return { lane: created, h, quota };
  }

  it('answers 200 requests through 5% 503s and 2% resets: every one succeeds, after retries', async () => {
    const faulty = await emulator({
      profile: 'zero',
      seed: 7,
      faults: { rates: { '503': 0.05, reset: 0.02 } },
    });
    const { lane: l, h } = lane(faulty.url, {
      concurrency: { min: 1, max: 32, initial: 8 },
      retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 50, budget: 0.5 },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => l.generateContent(prompt(`item ${i}`))),
    );
    const succeeded = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r) => r.status === 'rejected');
    expect(succeeded.length + failed.length).toBe(200);
    expect(failed.map((r) => String(r.reason))).toEqual([]);
    for (const r of succeeded) expect(r.value.text?.length).toBeGreaterThan(0);
    const faults = faulty.stats().faultsInjected;
    expect(faults['503']).toBeGreaterThan(0);
    expect(faults.reset).toBeGreaterThan(0);
    const retried = await h.value('gemini_lanes.retries', { 'gemini_lanes.lane': 'throughput' });
    expect(retried).toBe(faults['503'] + faults.reset);
    expect(
      await h.value('gemini_lanes.retries', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.retry.reason': 'connection_error',
      }),
    ).toBe(faults.reset);
    expect(l.stats()).toMatchObject({ inflight: 0, backlog: 0 });
    expect(await h.value('gemini_lanes.inflight', { 'gemini_lanes.lane': 'throughput' })).toBe(0);
    expect(await h.value('gemini_lanes.backlog', { 'gemini_lanes.lane': 'throughput' })).toBe(0);
  });

  it('waits for the shared quota instead of running into the upstream limit', async () => {
    // The emulator runs 100× fast: its minute is 600 ms. The lane's limiter runs on the same
    // scaled time, so both count the same quota over the same window.
    const speed = 100;
    const limits = { rpm: 40, inputTpm: 10_000_000, rpd: 100_000 };
    const upstream = await emulator({
      profile: 'zero',
      seed: 8,
      speed,
      quota: { [model]: limits },
    });
    const { lane: l, h } = lane(
      upstream.url,
      { concurrency: { min: 1, max: 16, initial: 8 } },
      {
        quota: limits,
        // Half for the latency lane: the throughput lane may burst 20, then waits for refills.
        latencyReservedShare: 0.5,
        limiter: (config) =>
          createQuotaLimiter(config.quota, {
            clock: { now: () => performance.now() * speed },
            sleep: (ms, signal) => sleep(ms / speed, undefined, signal ? { signal } : {}),
          }),
      },
    );
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => l.generateContent(prompt(`q ${i}`))),
    );
    const elapsed = performance.now() - started;
    expect(results).toHaveLength(40);
    // 20 requests had to wait for 20 refills of 1.5 emulated seconds: 300 ms of real time.
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(upstream.stats().rateLimited).toBeLessThanOrEqual(2);
    expect(
      await h.value('gemini_lanes.quota.utilization', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.quota.dimension': 'rpm',
      }),
    ).toBeGreaterThan(0);
  });

  it('in a 429 storm cuts its concurrency, waits as RetryInfo says, and still answers everything', async () => {
    // The upstream allows 20 requests per 600 ms; the lane believes in a far larger quota.
    const storm = await emulator({
      profile: 'zero',
      seed: 9,
      speed: 100,
      quota: { [model]: { rpm: 20, inputTpm: 10_000_000, rpd: 100_000 } },
    });
    const sleeps: number[] = [];
    const { lane: l, h } = lane(
      storm.url,
      {
        concurrency: { min: 1, max: 16, initial: 8 },
        retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 20, budget: 1 },
      },
      {
        options: {
          // No jitter of the lane's own: a retry's whole delay is what RetryInfo said.
          random: () => 0,
          sleep: (ms, signal) => {
            sleeps.push(ms);
            return abortableSleep(ms, signal);
          },
        },
      },
    );
    let lowest = l.stats().limit;
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        l.generateContent(prompt(`s ${i}`), {
          onAttempt: () => {
            lowest = Math.min(lowest, l.stats().limit);
          },
        }),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.map((r) => String(r.reason))).toEqual([]);
    expect(storm.stats().rateLimited).toBeGreaterThan(0);
    expect(lowest).toBeLessThan(8);
    expect(
      await h.value('gemini_lanes.retries', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.retry.reason': 'rate_limited',
      }),
    ).toBe(sleeps.length);
    // With no jitter of its own the lane's backoff would be 0: every wait came from RetryInfo,
    // and the first ones waited for most of the emulated minute.
    expect(sleeps.every((ms) => ms >= 1)).toBe(true);
    expect(Math.max(...sleeps)).toBeGreaterThan(100);
  });

  it('merges 50 concurrent embedContent calls into a few batch requests, each caller getting its own vectors', async () => {
    const before = fast.stats().requestsByRoute.batchEmbedContents ?? 0;
    const { lane: l } = lane(fast.url, { embedding: { maxBatchSize: 16, maxDelayMs: 20 } });
    const inputs = Array.from({ length: 50 }, (_, i) =>
      i % 3 === 0 ? [`doc ${i} a`, `doc ${i} b`, `doc ${i} c`] : `doc ${i}`,
    );
    const config = { outputDimensionality: 8 };
    const responses = await Promise.all(
      inputs.map((contents) => l.embedContent({ model: embedModel, contents, config })),
    );
    const total = inputs.reduce((n, c) => n + (Array.isArray(c) ? c.length : 1), 0);
    const requests = (fast.stats().requestsByRoute.batchEmbedContents ?? 0) - before;
    expect(requests).toBeGreaterThanOrEqual(Math.ceil(total / 16));
    expect(requests).toBeLessThanOrEqual(10);
    responses.forEach((response, i) => {
      const input = inputs[i];
      expect(response.embeddings).toHaveLength(Array.isArray(input) ? input.length : 1);
      for (const e of response.embeddings ?? []) expect(e.values).toHaveLength(8);
    });
    // Each vector is the one its own text gets on its own (the emulator's are seeded by the text).
    const alone = await l.client.models.embedContent({
      model: embedModel,
      contents: ['doc 3 b', 'doc 4'],
      config,
    });
    expect(responses[3]?.embeddings?.[1]?.values).toEqual(alone.embeddings?.[0]?.values);
    expect(responses[4]?.embeddings?.[0]?.values).toEqual(alone.embeddings?.[1]?.values);
  });

  it('frees the place of a waiting call its caller aborts, rejecting with the reason', async () => {
    const before = slow.stats().requestsByRoute.generateContent ?? 0;
    const { lane: l, h } = lane(slow.url, { concurrency: { min: 1, max: 1, initial: 1 } });
    const first = l.generateContent(prompt('first'));
    const controller = new AbortController();
    const second = l
      .generateContent(prompt('second'), { signal: controller.signal })
      .catch((e: unknown) => e);
    const third = l.generateContent(prompt('third'));
    await until(() => l.stats().backlog === 2);
    const reason = new Error('not needed any more');
    controller.abort(reason);
    expect(await second).toBe(reason);
    expect(l.stats()).toMatchObject({ inflight: 1, backlog: 1 });
    await Promise.all([first, third]);
    expect((slow.stats().requestsByRoute.generateContent ?? 0) - before).toBe(2);
    expect(
      await h.value('gemini_lanes.requests', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.outcome': 'cancelled',
      }),
    ).toBe(1);
  });

  it('close() rejects waiting calls with LaneClosedError and lets the running one finish', async () => {
    const { lane: l } = lane(slow.url, { concurrency: { min: 1, max: 1, initial: 1 } });
    const running = l.generateContent(prompt('running'));
    const waiting = l.generateContent(prompt('waiting')).catch((e: unknown) => e);
    const embedding = l.embedContent({ model: embedModel, contents: 'late' }).catch((e) => e);
    // The first is at the upstream, the second waits for its slot.
    await until(() => slow.stats().inFlight === 1 && l.stats().backlog >= 1);
    const closed = l.close();
    expect(await waiting).toBeInstanceOf(LaneClosedError);
    expect(await embedding).toBeInstanceOf(LaneClosedError);
    expect((await running).text?.length).toBeGreaterThan(0);
    await closed;
    await expect(l.generateContent(prompt('after'))).rejects.toBeInstanceOf(LaneClosedError);
  });

  it('streams chunks, retries a stream only before its first chunk, and frees its slot when abandoned', async () => {
    const { lane: l, h } = lane(fast.url, {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, budget: 1 },
    });
    const chunks: string[] = [];
    for await (const chunk of l.generateContentStream(prompt('stream please')))
      chunks.push(chunk.text ?? '');
    expect(chunks.join('').length).toBeGreaterThan(0);
    // Broken off after the first chunk: the slot comes back.
    for await (const _ of l.generateContentStream({
      ...prompt('a long one'),
      config: { maxOutputTokens: 200, thinkingConfig: { thinkingBudget: 0 } },
    })) {
      break;
    }
    expect(l.stats().inflight).toBe(0);
    // The header makes every attempt fail with 503 before a chunk: three attempts, then its error.
    const attempts: number[] = [];
    const error = await (async () => {
      for await (const _ of l.generateContentStream(
        {
          ...prompt('always 503'),
          config: {
            ...prompt('x').config,
            httpOptions: { headers: { 'x-emulator-fault': '503' } },
          },
        },
        { onAttempt: (n) => attempts.push(n) },
      )) {
        // never reached
      }
    })().catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(503);
    expect(attempts).toEqual([1, 2, 3]);
    expect(
      await h.value('gemini_lanes.retries', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.retry.reason': 'server_error',
      }),
    ).toBe(2);
    expect(l.stats()).toMatchObject({ inflight: 0, backlog: 0 });
  });

  it('surfaces a 404 at once with its status, and a per-attempt deadline as RequestTimeoutError', async () => {
    const { lane: l } = lane(slow.url, {
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, budget: 1 },
    });
    const attempts: number[] = [];
    // A model without a quota: the shared limiter refuses it before any attempt.
    const missing = await l
      .generateContent(
        { ...prompt('x'), model: 'models/gemini-2.5-flash-lite-nope' },
        { onAttempt: (n) => attempts.push(n) },
      )
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: 'UnknownQuotaModelError' });
    const timeout = await l
      .generateContent(prompt('slow'), { timeoutMs: 50, onAttempt: (n) => attempts.push(n) })
      .catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(RequestTimeoutError);
    expect((timeout as RequestTimeoutError).timeoutMs).toBe(50);
    expect(attempts).toEqual([1, 2]);
    await expect(l.generateContent(prompt('x'), { timeoutMs: -1 })).rejects.toThrow(
      'throughput lane: options.timeoutMs must be a finite number > 0 (got -1)',
    );
    await expect(
      l.embedContent({ model: embedModel, contents: 'x' }, { timeoutMs: Number.POSITIVE_INFINITY }),
    ).rejects.toThrow('options.timeoutMs must be a finite number > 0 (got Infinity)');
  });

  it('never retries a 404 from the upstream, and keeps the API key out of the error', async () => {
    const h = metricsHarness({
      lanes: {
        latency: { models: [model], pool: { prewarm: 0 } },
        throughput: { models: [model] },
      },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    // Without a quota limiter the lane does not refuse unknown models itself.
    const l = createThroughputLane(h.config.lanes.throughput, {
      apiKey: 'secret-test-key',
      baseUrl: fast.url,
      telemetry: h.telemetry,
    });
    lanes.push(l);
    const attempts: number[] = [];
    const error = await l
      .generateContent(
        { model: 'no-such-model', contents: 'x' },
        { onAttempt: (n) => attempts.push(n) },
      )
      .catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(404);
    expect(attempts).toEqual([1]);
    expect(String((error as Error).message)).not.toContain('secret-test-key');
  });

  it('reports its limit, pool and quota share as gauges, and refuses to start without an API key', async () => {
    const { lane: l, h } = lane(fast.url, { concurrency: { min: 2, max: 10, initial: 6 } });
    await l.generateContent(prompt('hello'));
    expect(
      await h.value('gemini_lanes.concurrency.limit', { 'gemini_lanes.lane': 'throughput' }),
    ).toBe(6);
    expect(
      await h.value('gemini_lanes.pool.connections', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.pool.state': 'connected',
      }),
    ).toBe(1);
    expect(
      await h.value('gemini_lanes.quota.utilization', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.quota.dimension': 'rpm',
      }),
    ).toBeGreaterThan(0);
    expect(
      await h.value('gemini_lanes.quota.utilization', { 'gemini_lanes.lane': 'latency' }),
    ).toBe(0);
    await l.close();

    const saved = { g: process.env.GEMINI_API_KEY, o: process.env.GOOGLE_API_KEY };
    delete process.env.GEMINI_API_KEY;
    delete process.env.GOOGLE_API_KEY;
    try {
      expect(() => createThroughputLane(h.config.lanes.throughput, {})).toThrow(MissingApiKeyError);
    } finally {
      if (saved.g !== undefined) process.env.GEMINI_API_KEY = saved.g;
      if (saved.o !== undefined) process.env.GOOGLE_API_KEY = saved.o;
    }
  });
});
