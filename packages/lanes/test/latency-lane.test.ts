import { inspect } from 'node:util';
import {
  LaneOverloadedError,
  QueueTimeoutError,
  QuotaExhaustedError,
  RequestTimeoutError,
} from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createLatencyLane,
  createQuotaLimiter,
  type LatencyLane,
  MissingApiKeyError,
} from '../src/index.js';
import { metricsHarness } from './support/metrics.js';

const model = 'gemini-2.5-flash-lite';
const prompt = (text: string) => ({
  model,
  contents: text,
  config: { maxOutputTokens: 20, thinkingConfig: { thinkingBudget: 0 } },
});

describe('latency lane against the emulator', () => {
  let fast: EmulatorHandle;
  let slow: EmulatorHandle;
  const lanes: LatencyLane[] = [];
  beforeAll(async () => {
    fast = await startEmulator({ profile: 'zero', seed: 1 });
    // Every answer takes about 800 ms: long next to the deadlines these tests set.
    slow = await startEmulator({
      seed: 2,
      models: {
        [model]: {
          ttftMs: { median: 800, p95: 801 },
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
  });

  function lane(
    baseUrl: string,
    input: Parameters<typeof metricsHarness>[0] = {},
    withQuota = false,
  ) {
    const h = metricsHarness({
      ...input,
      lanes: { ...input.lanes, throughput: { models: [model] } },
    });
    const quota = withQuota ? createQuotaLimiter(h.config.quota) : undefined;
    const created = createLatencyLane(h.config.lanes.latency, {
      apiKey: 'test-key',
      baseUrl,
      telemetry: h.telemetry,
      quota,
    });
    lanes.push(created);
    return { lane: created, h };
  }

  it('answers unary and streaming calls through its own pool, reusing one connection', async () => {
    const before = fast.stats().connectionsAccepted;
    const { lane: l, h } = lane(fast.url, {
      lanes: { latency: { models: [model], pool: { prewarm: 0 } } },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    for (let i = 0; i < 5; i++) {
      const response = await l.generateContent(prompt(`hello ${i}`));
      expect(response.text?.length).toBeGreaterThan(0);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const chunks: string[] = [];
    for await (const chunk of l.generateContentStream(prompt('stream please')))
      chunks.push(chunk.text ?? '');
    expect(chunks.length).toBeGreaterThan(0);
    expect(fast.stats().connectionsAccepted - before).toBe(1);
    expect(
      await h.value('gemini_lanes.requests', {
        'gemini_lanes.lane': 'latency',
        'gemini_lanes.outcome': 'success',
      }),
    ).toBe(6);
    expect(l.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(await h.value('gemini_lanes.inflight', { 'gemini_lanes.lane': 'latency' })).toBe(0);
  });

  it('refuses a call that cannot start within maxQueueWaitMs, and counts it as a rejected request', async () => {
    const { lane: l, h } = lane(slow.url, {
      lanes: {
        latency: {
          models: [model],
          concurrency: 1,
          sla: { maxQueueWaitMs: 100 },
          pool: { prewarm: 0 },
        },
      },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    const first = l.generateContent(prompt('takes a while'));
    const second = await l.generateContent(prompt('would wait')).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(QueueTimeoutError);
    // Timers may fire a fraction of a millisecond before performance.now() says the time is up.
    expect((second as QueueTimeoutError).waitMs).toBeGreaterThanOrEqual(95);
    expect((second as QueueTimeoutError).maxQueueWaitMs).toBe(100);
    await first;
    expect(
      await h.value('gemini_lanes.rejections', {
        'gemini_lanes.lane': 'latency',
        'gemini_lanes.rejection.reason': 'queue_timeout',
      }),
    ).toBe(1);
    expect(
      await h.value('gemini_lanes.requests', {
        'gemini_lanes.lane': 'latency',
        'gemini_lanes.outcome': 'rejected',
      }),
    ).toBe(1);
    expect(
      await h.value('gemini_lanes.queue.wait', {
        'gemini_lanes.lane': 'latency',
        'gemini_lanes.outcome': 'rejected',
      }),
    ).toBe(1);
  });

  it('refuses at once when its queue is full', async () => {
    const { lane: l } = lane(slow.url, {
      lanes: {
        latency: {
          models: [model],
          concurrency: 1,
          queue: { maxLength: 1 },
          sla: { maxQueueWaitMs: 5000 },
          pool: { prewarm: 0 },
        },
      },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    const running = l.generateContent(prompt('a'));
    const waiting = l.generateContent(prompt('b'));
    await expect(l.generateContent(prompt('c'))).rejects.toBeInstanceOf(LaneOverloadedError);
    await Promise.all([running, waiting]);
  });

  it('fails a call over its deadline with RequestTimeoutError, without waiting for the answer', async () => {
    const { lane: l, h } = lane(slow.url, {
      lanes: {
        latency: {
          models: [model],
          sla: { timeoutMs: 300, maxQueueWaitMs: 100, ttftMs: 200, durationMs: 250 },
          pool: { prewarm: 0 },
        },
      },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    const started = performance.now();
    const error = await l.generateContent(prompt('too slow')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).timeoutMs).toBe(300);
    // Upper bound only, and generous: it must not wait for the ~800 ms answer.
    expect(performance.now() - started).toBeLessThan(790);
    const stream = await (async () => {
      for await (const _ of l.generateContentStream(prompt('too slow too'))) {
        // no chunk arrives before the deadline
      }
    })().catch((e: unknown) => e);
    expect(stream).toBeInstanceOf(RequestTimeoutError);
    // The instrumentation reads why the call was aborted: the lane's deadline, not the caller.
    expect(
      await h.value('gen_ai.client.operation.duration', {
        'gemini_lanes.lane': 'latency',
        'error.type': 'timeout',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("lets a long but allowed unary call finish instead of hitting undici's timers", async () => {
    const { lane: l } = lane(slow.url, {
      lanes: { latency: { models: [model], sla: { timeoutMs: 5000 }, pool: { prewarm: 0 } } },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    expect((await l.generateContent(prompt('slow but fine'))).text?.length).toBeGreaterThan(0);
  });

  it('cancels a running call when the caller aborts', async () => {
    const { lane: l, h } = lane(slow.url, {
      lanes: { latency: { models: [model], pool: { prewarm: 0 } } },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    const controller = new AbortController();
    const pending = l
      .generateContent(prompt('never mind'), { signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('user left')), 50).unref();
    const error = await pending;
    expect(error).toBeInstanceOf(Error);
    expect(l.stats().running).toBe(0);
    expect(
      await h.value('gemini_lanes.requests', {
        'gemini_lanes.lane': 'latency',
        'gemini_lanes.outcome': 'cancelled',
      }),
    ).toBe(1);
  });

  it('refuses a call the shared quota cannot serve within the queue-wait budget', async () => {
    const { lane: l, h } = lane(
      fast.url,
      {
        lanes: { latency: { models: [model], pool: { prewarm: 0 } } },
        quota: { models: { [model]: { rpm: 2, inputTpm: 100_000, rpd: 1000 } } },
      },
      true,
    );
    await l.generateContent(prompt('one'));
    await l.generateContent(prompt('two'));
    const error = await l.generateContent(prompt('three')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect(error).toMatchObject({ dimension: 'rpm' });
    expect(
      await h.value('gemini_lanes.rejections', { 'gemini_lanes.rejection.reason': 'quota' }),
    ).toBe(1);
    expect(
      await h.value('gemini_lanes.quota.utilization', {
        'gemini_lanes.lane': 'latency',
        'gemini_lanes.quota.dimension': 'rpm',
      }),
    ).toBe(1);
  });

  it('retries one 503 when the deadline allows, and surfaces a second one unchanged', async () => {
    const { lane: l, h } = lane(fast.url, {
      lanes: { latency: { models: [model], pool: { prewarm: 0 } } },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    const faulty = {
      ...prompt('flaky'),
      config: {
        ...prompt('flaky').config,
        httpOptions: { headers: { 'x-emulator-fault': '503' } },
      },
    };
    const error = await l.generateContent(faulty).catch((e: unknown) => e);
    expect((error as { status?: number }).status).toBe(503);
    expect(
      await h.value('gemini_lanes.retries', {
        'gemini_lanes.lane': 'latency',
        'gemini_lanes.retry.reason': 'server_error',
      }),
    ).toBe(1);
  });

  it('tells the shared limiter when the upstream rate-limits it, so the throughput lane can back off', async () => {
    const tight = await startEmulator({
      profile: 'zero',
      seed: 3,
      quota: { [model]: { rpm: 1, inputTpm: 1_000_000, rpd: 1000 } },
    });
    try {
      const h = metricsHarness({
        lanes: {
          latency: { models: [model], pool: { prewarm: 0 } },
          throughput: { models: [model] },
        },
        // The lane's own quota is looser than the emulator's, so the upstream says 429.
        quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
      });
      const quota = createQuotaLimiter(h.config.quota);
      const heard: string[] = [];
      quota.onPressure((signal) => heard.push(`${signal.lane}:${signal.reason}:${signal.model}`));
      const withQuota = createLatencyLane(h.config.lanes.latency, {
        apiKey: 'test-key',
        baseUrl: tight.url,
        quota,
      });
      lanes.push(withQuota);
      await withQuota.generateContent(prompt('first fits'));
      const error = await withQuota
        .generateContent(prompt('second is over'))
        .catch((e: unknown) => e);
      expect((error as { status?: number }).status).toBe(429);
      expect(heard[0]).toBe(`latency:rate_limited:${model}`);
    } finally {
      await tight.close();
    }
  });

  it('tells the shared limiter when the upstream answers slower than most of its SLA', async () => {
    const h = metricsHarness({
      lanes: {
        // The slow emulator answers in about 800 ms: over 80 % of a 900 ms SLA, under 80 % of 2 s.
        latency: { models: [model], pool: { prewarm: 0 }, sla: { durationMs: 900 } },
        throughput: { models: [model] },
      },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    const quota = createQuotaLimiter(h.config.quota);
    const heard: string[] = [];
    quota.onPressure((signal) => heard.push(signal.reason));
    const slowLane = createLatencyLane(h.config.lanes.latency, {
      apiKey: 'test-key',
      baseUrl: slow.url,
      quota,
    });
    lanes.push(slowLane);
    await slowLane.generateContent(prompt('slow one'));
    expect(heard).toEqual(['latency']);
    const relaxed = createLatencyLane(
      { ...h.config.lanes.latency, sla: { ...h.config.lanes.latency.sla, durationMs: 2000 } },
      {
        apiKey: 'test-key',
        baseUrl: slow.url,
        quota,
      },
    );
    lanes.push(relaxed);
    await relaxed.generateContent(prompt('slow but within'));
    expect(heard).toEqual(['latency']);
  });

  it('tells the shared limiter when the quota refuses interactive work', async () => {
    const h = metricsHarness({
      lanes: {
        latency: { models: [model], pool: { prewarm: 0 } },
        throughput: { models: [model] },
      },
      quota: { models: { [model]: { rpm: 1, inputTpm: 100_000, rpd: 1000 } } },
    });
    const quota = createQuotaLimiter(h.config.quota);
    const heard: string[] = [];
    quota.onPressure((signal) => heard.push(signal.reason));
    const l = createLatencyLane(h.config.lanes.latency, {
      apiKey: 'test-key',
      baseUrl: fast.url,
      quota,
    });
    lanes.push(l);
    await l.generateContent(prompt('fits'));
    await expect(l.generateContent(prompt('over the quota'))).rejects.toBeInstanceOf(
      QuotaExhaustedError,
    );
    expect(heard).toEqual(['quota']);
  });

  it('refuses a per-call deadline that is not a positive number, naming it', async () => {
    const { lane: l } = lane(fast.url, {
      lanes: { latency: { models: [model], pool: { prewarm: 0 } } },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    await expect(l.generateContent(prompt('x'), { timeoutMs: Number.NaN })).rejects.toThrow(
      'latency lane: options.timeoutMs must be a finite number > 0 (got NaN)',
    );
    await expect(l.generateContent(prompt('x'), { maxQueueWaitMs: -5 })).rejects.toThrow(
      'options.maxQueueWaitMs must be a finite number > 0 (got -5)',
    );
    expect(l.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('pre-warms its connections when configured to', async () => {
    const before = fast.stats().connectionsAccepted;
    const { lane: l } = lane(fast.url, {
      lanes: { latency: { models: [model], pool: { prewarm: 3 } } },
      quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
    });
    await l.prewarm();
    expect(fast.stats().connectionsAccepted - before).toBeGreaterThanOrEqual(3);
    expect(l.stats().pool.connected).toBeGreaterThanOrEqual(3);
  });

  it('refuses to start without an API key', () => {
    const saved = { g: process.env.GEMINI_API_KEY, o: process.env.GOOGLE_API_KEY };
    delete process.env.GEMINI_API_KEY;
    delete process.env.GOOGLE_API_KEY;
    try {
      const h = metricsHarness();
      expect(() => createLatencyLane(h.config.lanes.latency, {})).toThrow(MissingApiKeyError);
    } finally {
      if (saved.g !== undefined) process.env.GEMINI_API_KEY = saved.g;
      if (saved.o !== undefined) process.env.GOOGLE_API_KEY = saved.o;
    }
  });

  it('never puts the API key in a span, a metric, a diag line or an error, whatever the call does', async () => {
    const secret = 'AIzaSy-gemini-lanes-test-secret-0123456789';
    const logged: string[] = [];
    const capture = (...args: unknown[]) => {
      logged.push(args.map((a) => inspect(a, { depth: 8 })).join(' '));
    };
    diag.setLogger(
      { error: capture, warn: capture, info: capture, debug: capture, verbose: capture },
      DiagLogLevel.ALL,
    );
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    // An endpoint that refuses connections: an emulator's port, once it has closed.
    const closed = await startEmulator({ profile: 'zero' });
    const refusing = closed.url;
    await closed.close();
    try {
      const h = metricsHarness(
        {
          lanes: {
            latency: {
              models: [model],
              pool: { prewarm: 0 },
              // Listed first, the refusing endpoint is tried first (an unobserved tie).
              endpoints: [{ url: refusing }, { url: fast.url }],
              endpointHealth: { ejectAfterFailures: 1 },
            },
            throughput: { models: [model] },
          },
          quota: { models: { [model]: { rpm: 100, inputTpm: 100_000, rpd: 1000 } } },
        },
        { tracerProvider },
      );
      const l = createLatencyLane(h.config.lanes.latency, {
        apiKey: secret,
        telemetry: h.telemetry,
      });
      lanes.push(l);
      // A 404, a refused connection (the second endpoint; ejected, logged through diag), a
      // success and a stream: every path that records something.
      const errors: unknown[] = [];
      errors.push(
        await l.generateContent({ model: 'no-such-model', contents: 'x' }).catch((e: unknown) => e),
      );
      for (let i = 0; i < 3; i++) {
        await l.generateContent(prompt(`ok ${i}`)).catch((e: unknown) => errors.push(e));
      }
      for await (const _ of l.generateContentStream(prompt('stream'))) {
        // drain
      }
      expect((errors[0] as { status?: number }).status).toBe(404);
      const spans = exporter.getFinishedSpans();
      expect(spans.length).toBeGreaterThanOrEqual(4);
      expect(logged.some((line) => line.includes('ejected endpoint'))).toBe(true);
      const recorded = [
        ...errors.map((e) => inspect(e, { depth: 8, showHidden: true })),
        ...spans.map((span) =>
          inspect(
            {
              name: span.name,
              attributes: span.attributes,
              events: span.events,
              status: span.status,
            },
            { depth: 8 },
          ),
        ),
        JSON.stringify(await h.collect()),
        ...logged,
      ].join('\n');
      expect(recorded.length).toBeGreaterThan(1000);
      expect(recorded).not.toContain(secret);
      expect(recorded).not.toContain(secret.slice(0, 20));
    } finally {
      diag.disable();
      await tracerProvider.shutdown();
    }
  });
});
