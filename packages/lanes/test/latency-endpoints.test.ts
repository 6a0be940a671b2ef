import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { createLatencyLane, createQuotaLimiter, type LatencyLane } from '../src/index.js';
import { metricsHarness } from './support/metrics.js';

const model = 'gemini-2.5-flash-lite';
const fallback = 'gemini-2.5-flash';
const prompt = (text: string, m = model) => ({
  model: m,
  contents: text,
  config: { maxOutputTokens: 8, thinkingConfig: { thinkingBudget: 0 } },
});

/** A steady time to first chunk, so only what a test injects makes one endpoint slower. */
const steady = (ttftMs: number) => ({
  ttftMs: { median: ttftMs, p95: ttftMs + 1 },
  decodeTokensPerSecond: { median: 5000, p95: 5001 },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function drain(stream: AsyncGenerator<unknown>): Promise<number> {
  let chunks = 0;
  for await (const _ of stream) chunks++;
  return chunks;
}

/** Requests an emulator answered for `m` (any status; not those aborted before an answer). */
function served(emulator: EmulatorHandle, m?: string): number {
  const stats = emulator.stats();
  return m === undefined ? stats.requests : (stats.models[m]?.requests ?? 0);
}

describe('latency lane endpoints, fallback and hedging against the emulator', () => {
  const emulators: EmulatorHandle[] = [];
  const lanes: LatencyLane[] = [];
  afterEach(async () => {
    await Promise.all(lanes.splice(0).map((lane) => lane.close()));
    await Promise.all(emulators.splice(0).map((e) => e.close()));
  });

  async function emulator(options: Parameters<typeof startEmulator>[0] = {}) {
    const e = await startEmulator({ seed: emulators.length + 1, ...options });
    emulators.push(e);
    return e;
  }

  function lane(latency: Record<string, unknown>, quota?: Record<string, unknown>) {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const h = metricsHarness(
      {
        lanes: {
          latency: { models: [model], pool: { prewarm: 0 }, ...latency },
          throughput: { models: [model] },
        },
        quota: {
          models: {
            [model]: { rpm: 10_000, inputTpm: 10_000_000, rpd: 100_000 },
            [fallback]: { rpm: 10_000, inputTpm: 10_000_000, rpd: 100_000 },
            ...quota,
          },
        },
      },
      { tracerProvider },
    );
    const limiter = quota ? createQuotaLimiter(h.config.quota) : undefined;
    const created = createLatencyLane(h.config.lanes.latency, {
      apiKey: 'test-key',
      telemetry: h.telemetry,
      quota: limiter,
    });
    lanes.push(created);
    return { lane: created, h, exporter, limiter };
  }

  it('sends most requests to the endpoint with the lower time to first chunk, and follows a change', async () => {
    // 10 ms against 500 ms: far apart, so a slow machine's own hiccups do not blur the choice.
    const a = await emulator({ models: { [model]: steady(10) } });
    const b = await emulator({ models: { [model]: steady(10) } });
    b.control({ latencyMultiplier: 50 });
    const { lane: l } = lane({
      endpoints: [
        { url: a.url, name: 'a' },
        { url: b.url, name: 'b' },
      ],
      endpointHealth: { decayMs: 5_000 },
    });
    for (let i = 0; i < 30; i++) await drain(l.generateContentStream(prompt(`q${i}`)));
    const toA = served(a);
    const toB = served(b);
    expect(toA + toB).toBe(30);
    // b is tried (it is unobserved at first, and its estimate decays while idle) but loses.
    expect(toB).toBeGreaterThanOrEqual(1);
    expect(toA).toBeGreaterThanOrEqual(20);

    // Now a is the slow one: the traffic moves to b.
    a.control({ latencyMultiplier: 50 });
    b.control({ latencyMultiplier: 1 });
    const beforeA = served(a);
    const beforeB = served(b);
    for (let i = 0; i < 30; i++) await drain(l.generateContentStream(prompt(`r${i}`)));
    expect(served(b) - beforeB).toBeGreaterThanOrEqual(20);
    expect(served(a) - beforeA).toBeLessThanOrEqual(10);
    const names = l.stats().endpoints.map((e) => e.name);
    expect(names).toEqual(['a', 'b']);
  });

  it('ejects an endpoint after consecutive failures, counts it, and brings it back after the ejection time', async () => {
    const a = await emulator({ profile: 'zero', faults: { rates: { '500': 1 } } });
    const b = await emulator({ profile: 'zero' });
    const { lane: l, h } = lane({
      endpoints: [
        { url: a.url, name: 'a' },
        { url: b.url, name: 'b' },
      ],
      endpointHealth: { ejectAfterFailures: 3, ejectionMs: 400, maxEjectionMs: 5_000 },
    });
    // Every call answers: a's 500s are retried on b.
    for (let i = 0; i < 12; i++) {
      const response = await l.generateContent(prompt(`q${i}`));
      expect(response.text).toBeTruthy();
    }
    expect(served(a)).toBe(3);
    expect(l.stats().endpoints.find((e) => e.name === 'a')?.ejected).toBe(true);
    const port = Number(new URL(a.url).port);
    expect(
      await h.value('gemini_lanes.endpoint.ejections', {
        'gemini_lanes.lane': 'latency',
        'server.port': port,
      }),
    ).toBe(1);

    // a recovers; after the ejection time it is tried again and takes traffic.
    a.control({ faults: { rates: { '500': 0 } } });
    await sleep(600);
    for (let i = 0; i < 10; i++) await l.generateContent(prompt(`r${i}`));
    expect(served(a)).toBeGreaterThan(3);
    expect(l.stats().endpoints.find((e) => e.name === 'a')?.ejected).toBe(false);
  });

  it('never ejects the last endpoint standing', async () => {
    const a = await emulator({ profile: 'zero', faults: { rates: { '500': 1 } } });
    const { lane: l, h } = lane({ endpoints: [{ url: a.url, name: 'a' }] });
    for (let i = 0; i < 6; i++) {
      await expect(l.generateContent(prompt(`q${i}`))).rejects.toThrow();
    }
    expect(l.stats().endpoints[0]?.ejected).toBe(false);
    expect(await h.value('gemini_lanes.endpoint.ejections', {})).toBe(0);
  });

  it('falls back to the fallback model on a 429, on the span and in the metric', async () => {
    const e = await emulator({
      profile: 'zero',
      quota: { [model]: { rpm: 1, inputTpm: 1_000_000, rpd: 1_000 } },
    });
    const {
      lane: l,
      h,
      exporter,
    } = lane({
      endpoints: [{ url: e.url }],
      fallbackModel: fallback,
    });
    await l.generateContent(prompt('first'));
    const second = await l.generateContent(prompt('second'));
    expect(second.modelVersion).toBe(fallback);
    expect(served(e, fallback)).toBe(1);
    expect(
      await h.value('gemini_lanes.fallbacks', {
        'gemini_lanes.fallback.reason': 'rate_limited',
        'gen_ai.request.model': fallback,
      }),
    ).toBe(1);
    const spans = exporter.getFinishedSpans();
    const fallbackSpan = spans.find((s) => s.attributes['gemini_lanes.attempt'] === 'fallback');
    expect(fallbackSpan?.attributes['gemini_lanes.fallback.reason']).toBe('rate_limited');
    expect(fallbackSpan?.attributes['gen_ai.request.model']).toBe(fallback);
    expect(spans.filter((s) => s.attributes['gemini_lanes.attempt'] === 'first')).toHaveLength(2);
  });

  it('never caches what the fallback model answered under the primary request', async () => {
    const e = await emulator({
      profile: 'zero',
      quota: { [model]: { rpm: 1, inputTpm: 1_000_000, rpd: 1_000 } },
    });
    const { lane: l } = lane({ endpoints: [{ url: e.url }], fallbackModel: fallback });
    // Temperature 0 and room to finish (a truncated answer is never cached either).
    const deterministic = (text: string) => ({
      ...prompt(text),
      config: { ...prompt(text).config, temperature: 0, maxOutputTokens: 4_000 },
    });
    await l.generateContent(deterministic('warm'));
    expect((await l.generateContent(deterministic('same'))).modelVersion).toBe(fallback);
    // The primary has quota again: the same request goes to it, not to the cached fallback answer.
    e.control({ quota: { reset: true } });
    const third = await l.generateContent(deterministic('same'));
    expect(third.modelVersion).toBe(model);
    // And that answer is cached.
    const fourth = await l.generateContent(deterministic('same'));
    expect(fourth.modelVersion).toBe(model);
    expect(served(e, model)).toBe(3);
  });

  it('gives back the quota of an attempt the upstream refused with 429', async () => {
    const e = await emulator({
      profile: 'zero',
      quota: { [model]: { rpm: 1, inputTpm: 1_000_000, rpd: 1_000 } },
    });
    const { lane: l, limiter } = lane({ endpoints: [{ url: e.url }], fallbackModel: fallback }, {});
    await l.generateContent(prompt('first'));
    expect((await l.generateContent(prompt('second'))).modelVersion).toBe(fallback);
    const rpm = (m: string) =>
      limiter
        ?.utilization()
        .find((u) => u.lane === 'latency' && u.dimension === 'rpm' && u.model === m)?.value;
    // The primary's 429 is not counted against the local quota; its fallback is.
    expect(rpm(model)).toBeCloseTo(1 / 10_000, 8);
    expect(rpm(fallback)).toBeCloseTo(1 / 10_000, 8);
  });

  it('treats a hedge of a fallback attempt as a fallback: marked so, and never cached', async () => {
    const e = await emulator({
      quota: { [model]: { rpm: 1, inputTpm: 1_000_000, rpd: 1_000 } },
      models: { [model]: steady(5), [fallback]: { ...steady(300), thinking: 'default-off' } },
    });
    const { lane: l, exporter } = lane({
      endpoints: [{ url: e.url }],
      fallbackModel: fallback,
      hedging: { enabled: true, delayMs: 50, minDelayMs: 10, maxShare: 1 },
    });
    const deterministic = (text: string) => ({
      ...prompt(text),
      config: { ...prompt(text).config, temperature: 0, maxOutputTokens: 4_000 },
    });
    await drain(l.generateContentStream(deterministic('warm')));
    // The primary answers 429: the fallback's stream is slow to its first chunk and is hedged.
    await drain(l.generateContentStream(deterministic('same')));
    await expect
      .poll(() =>
        exporter
          .getFinishedSpans()
          .filter((s) => s.attributes['gemini_lanes.attempt'] === 'hedge')
          .map((s) => s.attributes['gemini_lanes.fallback.reason']),
      )
      .toEqual(['rate_limited']);
    // Whichever of the two answered, the fallback's answer was not cached for the primary.
    e.control({ quota: { reset: true } });
    const again: unknown[] = [];
    for await (const chunk of l.generateContentStream(deterministic('same'))) again.push(chunk);
    expect((again.at(-1) as { modelVersion?: string }).modelVersion).toBe(model);
  });

  it('falls back when the primary model is overloaded (503, its queue full)', async () => {
    const e = await emulator({
      models: { [model]: { ...steady(400), slots: 1, maxQueue: 0 } },
    });
    const { lane: l, h } = lane({ endpoints: [{ url: e.url }], fallbackModel: fallback });
    const results = await Promise.all([
      l.generateContent(prompt('one')),
      l.generateContent(prompt('two')),
    ]);
    expect(results.map((r) => r.modelVersion === fallback).sort()).toEqual([false, true]);
    expect(
      await h.value('gemini_lanes.fallbacks', { 'gemini_lanes.fallback.reason': 'overloaded' }),
    ).toBe(1);
  });

  it('falls back when the shared quota would hold the primary past the queue-wait budget, and sends the primary nothing', async () => {
    const e = await emulator({ profile: 'zero' });
    const { lane: l, h } = lane(
      { endpoints: [{ url: e.url }], fallbackModel: fallback },
      { [model]: { rpm: 1, inputTpm: 1_000_000, rpd: 1_000 } },
    );
    await l.generateContent(prompt('first'));
    const second = await l.generateContent(prompt('second'));
    expect(second.modelVersion).toBe(fallback);
    expect(served(e, model)).toBe(1);
    expect(served(e, fallback)).toBe(1);
    expect(
      await h.value('gemini_lanes.fallbacks', { 'gemini_lanes.fallback.reason': 'queue' }),
    ).toBe(1);
  });

  it('hedges a stream whose first chunk is late: the hedge on the other endpoint wins, the first is aborted', async () => {
    const a = await emulator({
      models: { [model]: steady(5) },
      faults: { rates: { 'slow-first-byte': 1 }, slowFirstByteMs: 30_000 },
    });
    const b = await emulator({ models: { [model]: steady(5) } });
    const {
      lane: l,
      h,
      exporter,
      limiter,
    } = lane(
      {
        endpoints: [
          { url: a.url, name: 'a' },
          { url: b.url, name: 'b' },
        ],
        hedging: { enabled: true, delayMs: 100, maxShare: 1 },
      },
      {},
    );
    // Unobserved, a is tried first; it stalls, and the hedge to b answers.
    const chunks = await drain(l.generateContentStream(prompt('hedge me')));
    expect(chunks).toBeGreaterThan(0);
    expect(await h.value('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'won' })).toBe(1);
    // a's attempt stalled and was aborted (a counts it only once it sees the close); b answered
    // the hedge.
    expect(a.stats().faultsInjected['slow-first-byte']).toBe(1);
    expect(served(b)).toBe(1);
    // The loser is recorded as cancelled (not an error) and the hedge is marked on its span.
    expect(
      await h.value('gemini_lanes.requests', {
        'gemini_lanes.outcome': 'cancelled',
        'gen_ai.operation.name': 'generate_content',
      }),
    ).toBe(1);
    await expect
      .poll(() => exporter.getFinishedSpans().map((s) => s.attributes['gemini_lanes.attempt']))
      .toEqual(expect.arrayContaining(['first', 'hedge']));
    // Both attempts took quota.
    const rpm = limiter?.utilization().find((u) => u.lane === 'latency' && u.dimension === 'rpm');
    expect(rpm?.value).toBeCloseTo(2 / 10_000, 8);
  });

  it('keeps hedges within maxShare of streams', async () => {
    const a = await emulator({
      models: { [model]: steady(150) },
    });
    const {
      lane: l,
      h,
      exporter,
    } = lane({
      endpoints: [{ url: a.url }],
      hedging: { enabled: true, delayMs: 20, minDelayMs: 10, maxShare: 0.2 },
    });
    for (let i = 0; i < 20; i++) await drain(l.generateContentStream(prompt(`q${i}`)));
    const hedges =
      (await h.value('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'won' })) +
      (await h.value('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'lost' }));
    // Every stream is late enough to hedge; the share allows one in five, the rest are refused.
    expect(hedges).toBeGreaterThanOrEqual(1);
    expect(hedges).toBeLessThanOrEqual(4);
    expect(await h.value('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'refused' })).toBe(
      20 - hedges,
    );
    const kinds = exporter.getFinishedSpans().map((s) => s.attributes['gemini_lanes.attempt']);
    expect(kinds.filter((k) => k === 'first')).toHaveLength(20);
    expect(kinds.filter((k) => k === 'hedge')).toHaveLength(hedges);
  });

  it('hedges at the observed percentile only once it has seen enough streams', async () => {
    const a = await emulator({ models: { [model]: steady(30) } });
    const {
      lane: l,
      h,
      exporter,
    } = lane({
      endpoints: [{ url: a.url }],
      hedging: { enabled: true, percentile: 0.95, minDelayMs: 10, maxShare: 1 },
    });
    const hedges = async () =>
      (await h.value('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'won' })) +
      (await h.value('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'lost' }));
    // Below 20 observed streams there is no percentile, and so no hedge, however slow.
    a.control({ latencyMultiplier: 10 });
    for (let i = 0; i < 5; i++) await drain(l.generateContentStream(prompt(`slow${i}`)));
    expect(await hedges()).toBe(0);
    a.control({ latencyMultiplier: 1 });
    for (let i = 0; i < 25; i++) await drain(l.generateContentStream(prompt(`q${i}`)));
    const steadyHedges = await hedges();
    // Now a stream far slower than the observed p95 is hedged.
    a.control({ latencyMultiplier: 20 });
    await drain(l.generateContentStream(prompt('slow')));
    expect(await hedges()).toBe(steadyHedges + 1);
    await expect
      .poll(
        () =>
          exporter
            .getFinishedSpans()
            .filter((s) => s.attributes['gemini_lanes.attempt'] === 'hedge').length,
      )
      .toBe(steadyHedges + 1);
  });
});
