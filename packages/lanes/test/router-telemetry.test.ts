import { defineConfig } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import {
  createTelemetry,
  instrumentGenAI,
  routeDecisionFrom,
  type Telemetry,
} from '@gemini-lanes/otel';
import { type RegisteredTelemetry, register } from '@gemini-lanes/otel/register';
import { type GenerateContentParameters, GoogleGenAI } from '@google/genai';
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, type DataPoint, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLatencyLane,
  createRouter,
  type LatencyLane,
  type RouteDecision,
  type RouterLatencyLane,
  type RouterThroughputLane,
} from '../src/index.js';

// The real set-up a service has: `register()` installs the SDK's tracer provider and the
// AsyncLocalStorage context manager, through which the router's decision reaches the span the
// instrumentation starts inside the chosen lane.

const model = 'gemini-2.5-flash-lite';
const prompt = (contents: string, maxOutputTokens = 20): GenerateContentParameters => ({
  model,
  contents,
  config: { maxOutputTokens, thinkingConfig: { thinkingBudget: 0 } },
});

interface FinishedSpan {
  name: string;
  attributes: Attributes;
}

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('router with a real latency lane against the emulator, spans through register()', () => {
  let emulator: EmulatorHandle;
  let sdk: RegisteredTelemetry;
  let telemetry: Telemetry;
  let latency: LatencyLane;
  let throughputClient: GoogleGenAI;
  const spans: FinishedSpan[] = [];
  const reader = new CollectingReader();

  beforeAll(async () => {
    emulator = await startEmulator({ profile: 'zero', seed: 1, quota: false });
    sdk = await register({
      prometheus: false,
      otlp: { traces: false, metrics: false },
      // An in-memory span processor: what the SDK hands a span processor when a span ends.
      spanProcessors: [
        {
          onStart: () => {},
          onEnd: (span: FinishedSpan) => {
            spans.push({ name: span.name, attributes: span.attributes });
          },
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
      metricReaders: [reader],
    });
    const config = defineConfig({ lanes: { latency: { models: [model], pool: { prewarm: 0 } } } });
    telemetry = createTelemetry(config, sdk);
    latency = createLatencyLane(config.lanes.latency, {
      apiKey: 'test-key',
      baseUrl: emulator.url,
      telemetry,
    });
    throughputClient = instrumentGenAI(
      new GoogleGenAI({
        apiKey: 'test-key',
        httpOptions: { baseUrl: emulator.url, apiVersion: 'v1beta' },
      }),
      { lane: 'throughput', telemetry },
    );
  });
  afterAll(async () => {
    await latency?.close();
    await sdk?.shutdown();
    await emulator?.close();
  });
  beforeEach(() => {
    spans.length = 0;
  });

  /** A stand-in throughput lane: the same calls, on its own instrumented client. */
  const throughput: RouterThroughputLane = {
    generateContent: (params) => throughputClient.models.generateContent(params),
    async *generateContentStream(params) {
      yield* await throughputClient.models.generateContentStream(params);
    },
    embedContent: (params) => throughputClient.models.embedContent(params),
  };

  /** lane and route reason of each finished `generate_content` span, in the order they ended. */
  const generateSpans = () =>
    spans
      .filter((s) => s.name === `generate_content ${model}`)
      .map((s) => [
        s.attributes['gemini_lanes.lane'],
        s.attributes['gemini_lanes.route.reason'],
        s.attributes['gen_ai.request.stream'],
      ]);

  it('puts the decision and its reason on the span of a unary call, in each lane', async () => {
    const router = createRouter({ latency, throughput, telemetry });
    expect((await router.generateContent(prompt('hello'))).text?.length).toBeGreaterThan(0);
    expect(
      (await router.generateContent(prompt('long report', 4096))).text?.length,
    ).toBeGreaterThan(0);
    await router.generateContent(prompt('mine'), { lane: 'throughput' });
    await router.generateContent(prompt('fast please', 4096), { hint: 'interactive' });
    // Called directly, not through the router: no decision, no reason.
    await latency.generateContent(prompt('direct'));
    expect(generateSpans()).toEqual([
      ['latency', 'default', 'false'],
      ['throughput', 'size', 'false'],
      ['throughput', 'explicit', 'false'],
      ['latency', 'explicit', 'false'],
      ['latency', undefined, 'false'],
    ]);
  });

  it('puts the reason on the span of a stream, started on the first chunk, in each lane', async () => {
    const router = createRouter({
      latency,
      throughput,
      telemetry,
      classify: (request) => (request.params.contents === 'bulk' ? 'throughput' : undefined),
    });
    let chunks = 0;
    for await (const _ of router.generateContentStream(prompt('stream please'))) chunks++;
    for await (const _ of router.generateContentStream(prompt('bulk'))) chunks++;
    expect(chunks).toBeGreaterThan(1);
    // Stopped after one chunk: the span still ends (cancelled) and carries the reason.
    for await (const _ of router.generateContentStream(prompt('stop early', 200))) break;
    expect(generateSpans()).toEqual([
      ['latency', 'stream', 'true'],
      ['throughput', 'classifier', 'true'],
      ['latency', 'stream', 'true'],
    ]);
    const abandoned = spans.filter((s) => s.name === `generate_content ${model}`).at(-1);
    expect(abandoned?.attributes['error.type']).toBe('cancelled');
    expect(latency.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('routes embeddings to the throughput lane and counts every decision', async () => {
    const router = createRouter({ latency, throughput, telemetry });
    const embedded = await router.embedContent({ model: 'gemini-embedding-001', contents: 'x' });
    expect(embedded.embeddings?.[0]?.values?.length).toBeGreaterThan(0);
    const embedSpan = spans.find((s) => s.name === 'embeddings gemini-embedding-001');
    expect(embedSpan?.attributes['gemini_lanes.route.reason']).toBe('default');
    expect(embedSpan?.attributes['gemini_lanes.lane']).toBe('throughput');

    // The metric, read as an exporter would: every decision of this file, zeros included.
    const { resourceMetrics } = await reader.collect();
    const points = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === 'gemini_lanes.router.decisions')
      .flatMap((m) => m.dataPoints as Array<DataPoint<number>>);
    const count = (lane: string, reason: string) =>
      points.find(
        (p) =>
          p.attributes['gemini_lanes.lane'] === lane &&
          p.attributes['gemini_lanes.route.reason'] === reason,
      )?.value;
    expect(points).toHaveLength(10);
    expect({
      latencyDefault: count('latency', 'default'),
      throughputSize: count('throughput', 'size'),
      throughputExplicit: count('throughput', 'explicit'),
      latencyExplicit: count('latency', 'explicit'),
      latencyStream: count('latency', 'stream'),
      throughputClassifier: count('throughput', 'classifier'),
      throughputDefault: count('throughput', 'default'),
      latencySize: count('latency', 'size'),
    }).toEqual({
      latencyDefault: 1,
      throughputSize: 1,
      throughputExplicit: 1,
      latencyExplicit: 1,
      latencyStream: 2,
      throughputClassifier: 1,
      throughputDefault: 1,
      latencySize: 0,
    });
  });

  it("runs every step of the lane's stream inside the decision", async () => {
    const seen: Array<RouteDecision | undefined> = [];
    const probe: RouterLatencyLane = {
      generateContent: async () => {
        throw new Error('not used');
      },
      async *generateContentStream() {
        seen.push(routeDecisionFrom());
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(routeDecisionFrom());
        yield { text: 'a' } as never;
        seen.push(routeDecisionFrom());
        yield { text: 'b' } as never;
        seen.push(routeDecisionFrom());
      },
      countTokens: latency.countTokens.bind(latency),
    };
    const router = createRouter({ latency: probe, throughput });
    const stream = router.generateContentStream(prompt('x'));
    // The caller reads each chunk from its own context, outside the router's.
    for (let step = await stream.next(); !step.done; step = await stream.next()) {
      expect(routeDecisionFrom()).toBeUndefined();
    }
    expect(seen).toEqual(Array(4).fill({ lane: 'latency', reason: 'stream' }));
  });
});
