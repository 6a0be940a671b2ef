import { instrumentGenAI } from '@gemini-lanes/otel';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator, failure, waitFor } from './support/emulator.js';
import { countOf, type Harness, harness, pointsOf, pointWith, sumOf } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h.shutdown();
});

describe('the other instrumented methods', () => {
  it('embedContent: an embeddings span with the requested dimension count, and its duration', async () => {
    h = harness();
    const handle = await emulator();
    const ai = instrumentGenAI(client(handle), { lane: 'throughput', telemetry: h.telemetry });
    const res = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['alpha', 'beta'],
      config: { outputDimensionality: 8 },
    });
    expect(res.embeddings).toHaveLength(2);
    const span = h.spans().find((s) => s.name === 'embeddings gemini-embedding-001');
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.embeddings.dimension.count': 8,
      'gemini_lanes.lane': 'throughput',
    });
    expect(span?.attributes['gen_ai.request.stream']).toBeUndefined();
    const m = await h.metrics();
    const duration = pointsOf(m, 'gen_ai.client.operation.duration', {
      'gen_ai.operation.name': 'embeddings',
    });
    expect(duration.map(countOf)).toEqual([1]);
    expect(duration[0]?.attributes['gen_ai.request.stream']).toBeUndefined();
    expect(
      sumOf(
        pointWith(m, 'gemini_lanes.requests', {
          'gemini_lanes.lane': 'throughput',
          'gen_ai.request.model': 'gemini-embedding-001',
          'gen_ai.operation.name': 'embeddings',
          'gemini_lanes.outcome': 'success',
        }),
      ),
    ).toBe(1);
  });

  it('countTokens: a count_tokens span; counting tokens bills none', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const res = await ai.models.countTokens({ model: 'gemini-2.5-pro', contents: 'abcdabcd' });
    expect(res.totalTokens).toBe(2);
    expect(h.spans().map((s) => s.name)).toContain('count_tokens gemini-2.5-pro');
    const m = await h.metrics();
    expect(
      pointsOf(m, 'gen_ai.client.operation.duration', {
        'gen_ai.operation.name': 'count_tokens',
      }).map(countOf),
    ).toEqual([1]);
    expect(pointsOf(m, 'gemini_lanes.tokens')).toEqual([]);
  });

  it('computeTokens: the SDK serves it for Vertex clients only; its refusal is recorded and rethrown', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const error = await failure(() =>
      ai.models.computeTokens({ model: 'gemini-2.5-flash', contents: 'x' }),
    );
    expect((error as Error).message).toContain('only supported');
    const span = h.spans().find((s) => s.name === 'compute_tokens gemini-2.5-flash');
    expect(span?.attributes['error.type']).toBe('_OTHER');
  });

  it('chats go through models: one generate_content span per message, tokens counted', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const chat = ai.chats.create({ model: 'gemini-2.5-flash' });
    const first = await chat.sendMessage({ message: 'Hello' });
    let streamed = 0;
    for await (const chunk of await chat.sendMessageStream({ message: 'And then?' })) {
      streamed += chunk.text === undefined ? 0 : 1;
    }
    expect(streamed).toBeGreaterThan(0);
    const spans = h.spans().filter((s) => s.name === 'generate_content gemini-2.5-flash');
    expect(spans.map((s) => s.attributes['gen_ai.request.stream'])).toEqual(['false', 'true']);
    const m = await h.metrics();
    const requests = pointWith(m, 'gemini_lanes.requests', {
      'gemini_lanes.lane': 'latency',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.operation.name': 'generate_content',
      'gemini_lanes.outcome': 'success',
    });
    expect(sumOf(requests)).toBe(2);
    const input = pointWith(m, 'gemini_lanes.tokens', {
      'gemini_lanes.lane': 'latency',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gemini_lanes.token.kind': 'input',
      'gemini_lanes.pricing.tier': 'standard',
    });
    expect(sumOf(input)).toBeGreaterThan(first.usageMetadata?.promptTokenCount ?? 0);
  });

  it('batches.create, get, list and cancel: batch spans with the job state', async () => {
    h = harness();
    const handle = await emulator({
      speed: 100,
      batch: { pendingMs: 60_000, minRunningMs: 60_000 },
    });
    const ai = instrumentGenAI(client(handle), { lane: 'throughput', telemetry: h.telemetry });
    const job = await ai.batches.create({
      model: 'gemini-2.5-flash',
      src: [{ contents: [{ role: 'user', parts: [{ text: 'one' }] }] }],
    });
    const name = job.name ?? '';
    await ai.batches.get({ name });
    const listed: string[] = [];
    for await (const j of await ai.batches.list()) listed.push(j.name ?? '');
    expect(listed).toContain(name);
    await ai.batches.cancel({ name });
    const cancelled = await waitFor(async () => {
      const j = await ai.batches.get({ name });
      return j.state === 'JOB_STATE_CANCELLED' ? j : undefined;
    });
    expect(cancelled.state).toBe('JOB_STATE_CANCELLED');

    const spans = h.spans();
    const create = spans.find((s) => s.name === 'batch gemini-2.5-flash');
    expect(create?.attributes).toMatchObject({
      'gen_ai.operation.name': 'batch',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gemini_lanes.batch.state': 'pending',
    });
    expect(spans.filter((s) => s.name === 'batch list')).toHaveLength(1);
    expect(spans.filter((s) => s.name === 'batch cancel')).toHaveLength(1);
    const gets = spans.filter((s) => s.name === 'batch get');
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(gets.at(-1)?.attributes['gemini_lanes.batch.state']).toBe('cancelled');
    const m = await h.metrics();
    const batch = pointsOf(m, 'gemini_lanes.requests', {
      'gen_ai.operation.name': 'batch',
      'gemini_lanes.outcome': 'success',
    });
    expect(batch.map(sumOf).reduce((a, b) => a + b, 0)).toBe(3 + gets.length);
  });
});
