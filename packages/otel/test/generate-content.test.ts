import { SCHEMA_URL } from '@gemini-lanes/core';
import { instrumentGenAI } from '@gemini-lanes/otel';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator } from './support/emulator.js';
import { type Harness, harness, pointsOf, pointWith, sumOf } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h.shutdown();
});

describe('generateContent through the real SDK and the emulator', () => {
  it('records the span per the GenAI conventions, with the request parameters and usage', async () => {
    h = harness();
    const handle = await emulator();
    const ai = instrumentGenAI(client(handle), {
      lane: 'latency',
      telemetry: h.telemetry,
      roundTripSpans: 'always',
    });
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
      config: {
        temperature: 0.2,
        topP: 0.9,
        topK: 20,
        maxOutputTokens: 60000,
        stopSequences: ['END'],
        seed: 7,
        candidateCount: 1,
        responseMimeType: 'text/plain',
      },
    });
    const usage = response.usageMetadata;
    expect(usage?.promptTokenCount).toBeGreaterThan(0);
    expect(usage?.candidatesTokenCount).toBeGreaterThan(0);
    expect(usage?.thoughtsTokenCount).toBeGreaterThan(0);

    const spans = h.spans();
    const span = spans.find((s) => s.name === 'generate_content gemini-2.5-flash');
    expect(span).toBeDefined();
    if (span === undefined) return;
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.instrumentationScope).toMatchObject({
      name: '@gemini-lanes/otel',
      schemaUrl: SCHEMA_URL,
    });
    const port = Number(new URL(handle.url).port);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.request.stream': 'false',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 20,
      'gen_ai.request.max_tokens': 60000,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.seed': 7,
      'gen_ai.output.type': 'text',
      'server.address': '127.0.0.1',
      'server.port': port,
      'gemini_lanes.lane': 'latency',
      'gen_ai.response.id': response.responseId,
      'gen_ai.response.model': response.modelVersion,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': usage?.promptTokenCount,
      'gen_ai.usage.output_tokens':
        (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
      'gen_ai.usage.reasoning.output_tokens': usage?.thoughtsTokenCount,
    });

    // One HTTP round trip, a child of the call span (asked for with roundTripSpans: 'always').
    const http = spans.filter((s) => s.name === 'POST');
    expect(http).toHaveLength(1);
    expect(http[0]?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(http[0]?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'url.full': `${handle.url}/v1beta/models/gemini-2.5-flash:generateContent`,
      'gen_ai.usage.input_tokens': usage?.promptTokenCount,
    });
  });

  it('records duration, token usage, tokens and cost by kind, and the request, exactly', async () => {
    h = harness();
    const handle = await emulator();
    const ai = instrumentGenAI(client(handle), { lane: 'throughput', telemetry: h.telemetry });
    const response = await ai.models.generateContent({
      model: 'models/gemini-2.5-flash',
      contents: 'Tell me about Paris.',
    });
    const usage = response.usageMetadata ?? {};
    const prompt = usage.promptTokenCount ?? 0;
    const output = usage.candidatesTokenCount ?? 0;
    const thinking = usage.thoughtsTokenCount ?? 0;
    const m = await h.metrics();
    const port = Number(new URL(handle.url).port);
    const common = {
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gen_ai.response.model': 'gemini-2.5-flash',
      'server.address': '127.0.0.1',
      'server.port': port,
      'gemini_lanes.lane': 'throughput',
    };
    const duration = pointWith(m, 'gen_ai.client.operation.duration', {
      ...common,
      'gen_ai.request.stream': 'false',
    });
    expect(typeof duration.value === 'object' && duration.value.count).toBe(1);
    const input = pointWith(m, 'gen_ai.client.token.usage', {
      ...common,
      'gen_ai.token.type': 'input',
    });
    expect(sumOf(input)).toBe(prompt);
    const out = pointWith(m, 'gen_ai.client.token.usage', {
      ...common,
      'gen_ai.token.type': 'output',
    });
    expect(sumOf(out)).toBe(output + thinking);

    const kind = (k: string) =>
      pointWith(m, 'gemini_lanes.tokens', {
        'gemini_lanes.lane': 'throughput',
        'gen_ai.request.model': 'gemini-2.5-flash',
        'gemini_lanes.token.kind': k,
        'gemini_lanes.pricing.tier': 'standard',
      });
    expect(sumOf(kind('input'))).toBe(prompt);
    expect(sumOf(kind('output'))).toBe(output);
    expect(sumOf(kind('thinking'))).toBe(thinking);
    expect(
      pointsOf(m, 'gemini_lanes.tokens', { 'gemini_lanes.token.kind': 'cached_input' }),
    ).toEqual([]);
    // gemini-2.5-flash: $0.30 per 1M input tokens, $2.50 per 1M output (thinking included).
    const cost = (k: string) =>
      sumOf(
        pointWith(m, 'gemini_lanes.cost', {
          'gemini_lanes.lane': 'throughput',
          'gen_ai.request.model': 'gemini-2.5-flash',
          'gemini_lanes.token.kind': k,
          'gemini_lanes.pricing.tier': 'standard',
        }),
      );
    expect(cost('input')).toBeCloseTo((prompt * 0.3) / 1e6, 12);
    expect(cost('output')).toBeCloseTo((output * 2.5) / 1e6, 12);
    expect(cost('thinking')).toBeCloseTo((thinking * 2.5) / 1e6, 12);

    expect(
      sumOf(
        pointWith(m, 'gemini_lanes.requests', {
          'gemini_lanes.lane': 'throughput',
          'gen_ai.request.model': 'gemini-2.5-flash',
          'gen_ai.operation.name': 'generate_content',
          'gemini_lanes.outcome': 'success',
        }),
      ),
    ).toBe(1);
    // A call of one round trip has no child span by default: its span is that request.
    expect(h.spans().map((s) => s.name)).toEqual(['generate_content models/gemini-2.5-flash']);
  });
});
