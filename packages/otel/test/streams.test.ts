import { instrumentGenAI } from '@gemini-lanes/otel';
import { ApiError, type GenerateContentResponse, type GoogleGenAI } from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator, failure } from './support/emulator.js';
import { countOf, type Harness, harness, pointsOf, pointWith, sumOf } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h.shutdown();
});

const MODEL = 'gemini-2.5-flash';
const fault = (kind: string) => ({ httpOptions: { headers: { 'x-emulator-fault': kind } } });
/** 160 output tokens in 10 chunks of 16; no thinking unless asked. */
const fixedFlash = {
  [MODEL]: {
    outputTokens: { median: 160, p95: 160 },
    chunkTokens: 16,
  },
};

function stream(ai: GoogleGenAI, config: Record<string, unknown> = {}) {
  return ai.models.generateContentStream({
    model: MODEL,
    contents: 'Tell me a story.',
    config: { thinkingConfig: { thinkingBudget: 0 }, ...config },
  });
}

function lane(m: Awaited<ReturnType<Harness['metrics']>>, name: string, match = {}) {
  return pointsOf(m, name, { 'gemini_lanes.lane': 'latency', ...match });
}

describe('generateContentStream', () => {
  it('counts the last cumulative usage once, though every chunk carries usage', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator({ models: fixedFlash })), {
      lane: 'latency',
      telemetry: h.telemetry,
      roundTripSpans: 'always',
    });
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of await stream(ai)) chunks.push(chunk);
    expect(chunks).toHaveLength(10);
    // Every chunk carries usage, cumulative: adding them up would count 16+32+…+160 = 880.
    expect(chunks.every((c) => c.usageMetadata?.candidatesTokenCount !== undefined)).toBe(true);
    const last = chunks.at(-1)?.usageMetadata;
    expect(last?.candidatesTokenCount).toBe(160);
    const prompt = last?.promptTokenCount ?? 0;

    const m = await h.metrics();
    const tokens = (kind: string) =>
      sumOf(
        pointWith(m, 'gemini_lanes.tokens', {
          'gemini_lanes.lane': 'latency',
          'gen_ai.request.model': MODEL,
          'gemini_lanes.token.kind': kind,
          'gemini_lanes.pricing.tier': 'standard',
        }),
      );
    expect(tokens('output')).toBe(160);
    expect(tokens('input')).toBe(prompt);
    const [output] = lane(m, 'gen_ai.client.token.usage', { 'gen_ai.token.type': 'output' });
    expect(output && sumOf(output)).toBe(160);
    expect(output && countOf(output)).toBe(1);

    const [ttfc] = lane(m, 'gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc && countOf(ttfc)).toBe(1);
    expect(ttfc?.attributes['error.type']).toBeUndefined();
    expect(ttfc?.attributes['gen_ai.response.model']).toBe(MODEL);
    const [perChunk] = lane(m, 'gen_ai.client.operation.time_per_output_chunk');
    expect(perChunk && countOf(perChunk)).toBe(9);
    const [duration] = lane(m, 'gen_ai.client.operation.duration');
    expect(duration?.attributes['gen_ai.request.stream']).toBe('true');
    expect(duration && countOf(duration)).toBe(1);

    const span = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
    expect(span?.attributes).toMatchObject({
      'gen_ai.request.stream': 'true',
      'gen_ai.usage.output_tokens': 160,
      'gen_ai.usage.input_tokens': prompt,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.response.id': chunks[0]?.responseId,
    });
    const http = h.spans().filter((s) => s.name === 'POST');
    expect(http).toHaveLength(1);
    expect(http[0]?.parentSpanContext?.spanId).toBe(span?.spanContext().spanId);
    expect(http[0]?.attributes['http.response.status_code']).toBe(200);
    expect(http[0]?.attributes['url.full']).toContain(':streamGenerateContent?alt=sse');
  });

  it('hands the first chunk over before the stream ends, and ends an abandoned stream as cancelled', async () => {
    h = harness();
    const handle = await emulator({ models: fixedFlash });
    const ai = instrumentGenAI(client(handle), { lane: 'latency', telemetry: h.telemetry });
    // `stall` sends the first chunk and then nothing, ever: a buffering wrapper would hang here.
    const chunks = await stream(ai, fault('stall'));
    let first: GenerateContentResponse | undefined;
    for await (const chunk of chunks) {
      first = chunk;
      expect(h.spans().some((s) => s.name.startsWith('generate_content'))).toBe(false);
      break;
    }
    expect(first?.usageMetadata?.candidatesTokenCount).toBe(16);

    const span = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('cancelled');
    expect(span?.attributes['gen_ai.usage.output_tokens']).toBe(16);
    const m = await h.metrics();
    expect(
      sumOf(
        pointWith(m, 'gemini_lanes.requests', {
          'gemini_lanes.lane': 'latency',
          'gen_ai.request.model': MODEL,
          'gen_ai.operation.name': 'generate_content',
          'gemini_lanes.outcome': 'cancelled',
        }),
      ),
    ).toBe(1);
    const [duration] = lane(m, 'gen_ai.client.operation.duration');
    expect(duration?.attributes['error.type']).toBe('cancelled');
    // The first chunk did arrive: its time is a good event for the SLI.
    const [ttfc] = lane(m, 'gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc?.attributes['error.type']).toBeUndefined();
    expect(
      sumOf(
        lane(m, 'gemini_lanes.tokens', { 'gemini_lanes.token.kind': 'output' })[0] ?? {
          attributes: {},
          value: Number.NaN,
        },
      ),
    ).toBe(16);
  });

  it('records an error mid-stream and rethrows it unchanged (reset after the first chunk)', async () => {
    h = harness();
    const handle = await emulator({ models: fixedFlash });
    const bare = client(handle);
    const ai = instrumentGenAI(client(handle), { lane: 'latency', telemetry: h.telemetry });
    const consume = async (c: GoogleGenAI, seen: string[]) => {
      for await (const chunk of await stream(c, fault('reset'))) seen.push(chunk.text ?? '');
    };
    const bareSeen: string[] = [];
    const seen: string[] = [];
    const bareError = await failure(() => consume(bare, bareSeen));
    const error = await failure(() => consume(ai, seen));
    expect(bareSeen).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf((bareError as object).constructor);
    expect((error as Error).message).toBe((bareError as Error).message);

    const span = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
    expect(span?.attributes['error.type']).toBe('connection_error');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    const m = await h.metrics();
    const [duration] = lane(m, 'gen_ai.client.operation.duration');
    expect(duration?.attributes['error.type']).toBe('connection_error');
    expect(
      lane(m, 'gemini_lanes.requests', {
        'gemini_lanes.outcome': 'error',
        'gen_ai.request.model': MODEL,
      }).map(sumOf),
    ).toEqual([1]);
  });

  it('a malformed chunk mid-stream is rethrown as the SDK throws it and recorded as _OTHER', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator({ models: fixedFlash })), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const seen: string[] = [];
    const error = await failure(async () => {
      for await (const chunk of await stream(ai, fault('malformed-chunk')))
        seen.push(chunk.text ?? '');
    });
    expect(error).toBeInstanceOf(SyntaxError);
    expect(seen).toHaveLength(1);
    const span = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
    expect(span?.attributes['error.type']).toBe('_OTHER');
    expect(span?.attributes['gen_ai.usage.output_tokens']).toBe(16);
  });

  it('a stream that fails before its first chunk records the time to the failure as its time to first chunk', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator({ models: fixedFlash })), {
      lane: 'latency',
      telemetry: h.telemetry,
      roundTripSpans: 'always',
    });
    const error = await failure(() => stream(ai, fault('503')));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    const m = await h.metrics();
    const ttfc = lane(m, 'gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc).toHaveLength(1);
    expect(ttfc[0]?.attributes['error.type']).toBe('UNAVAILABLE');
    expect(ttfc[0] && countOf(ttfc[0])).toBe(1);
    const [duration] = lane(m, 'gen_ai.client.operation.duration');
    expect(duration?.attributes).toMatchObject({
      'error.type': 'UNAVAILABLE',
      'gen_ai.request.stream': 'true',
    });
    expect(lane(m, 'gen_ai.client.operation.time_per_output_chunk')).toEqual([]);
    expect(lane(m, 'gemini_lanes.tokens')).toEqual([]);
    const span = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
    expect(span?.attributes['error.type']).toBe('UNAVAILABLE');
    const http = h.spans().find((s) => s.name === 'POST');
    expect(http?.attributes).toMatchObject({
      'http.response.status_code': 503,
      'error.type': '503',
    });
  });

  it('a stream abandoned before its first chunk counts as cancelled in the time to first chunk', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator({ models: fixedFlash })), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const chunks = await stream(ai);
    await chunks.return(undefined);
    const m = await h.metrics();
    const ttfc = lane(m, 'gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc.map((p) => p.attributes['error.type'])).toEqual(['cancelled']);
    expect(
      lane(m, 'gemini_lanes.requests', {
        'gemini_lanes.outcome': 'cancelled',
        'gen_ai.request.model': MODEL,
      }).map(sumOf),
    ).toEqual([1]);
  });
});
