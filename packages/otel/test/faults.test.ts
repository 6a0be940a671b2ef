import { RequestTimeoutError } from '@gemini-lanes/core';
import { instrumentGenAI } from '@gemini-lanes/otel';
import { ApiError } from '@google/genai';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator, failure } from './support/emulator.js';
import { countOf, type Harness, harness, pointsOf, sumOf } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h.shutdown();
});

const MODEL = 'gemini-2.5-flash';
const fault = (kind: string) => ({ httpOptions: { headers: { 'x-emulator-fault': kind } } });

async function expectFailure(errorType: string, outcome: 'error' | 'cancelled' = 'error') {
  const m = await h.metrics();
  const durations = pointsOf(m, 'gen_ai.client.operation.duration', {
    'gen_ai.request.model': MODEL,
  });
  expect(durations.map((p) => [p.attributes['error.type'], countOf(p)])).toEqual([[errorType, 1]]);
  expect(durations[0]?.attributes['gen_ai.request.stream']).toBe('false');
  const requests = pointsOf(m, 'gemini_lanes.requests', { 'gen_ai.request.model': MODEL });
  expect(requests.map((p) => [p.attributes['gemini_lanes.outcome'], sumOf(p)])).toEqual([
    [outcome, 1],
  ]);
  expect(pointsOf(m, 'gemini_lanes.tokens')).toEqual([]);
  expect(pointsOf(m, 'gen_ai.client.token.usage')).toEqual([]);
  const span = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
  expect(span?.attributes['error.type']).toBe(errorType);
  expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  return span;
}

describe('unary calls that fail', () => {
  it('429: error.type is the API status RESOURCE_EXHAUSTED, the ApiError is rethrown as is', async () => {
    h = harness();
    const handle = await emulator({ quota: { [MODEL]: { rpm: 1 } } });
    const ai = instrumentGenAI(client(handle), {
      lane: 'throughput',
      telemetry: h.telemetry,
      roundTripSpans: 'always',
    });
    await ai.models.generateContent({ model: MODEL, contents: 'first' });
    const error = await failure(() =>
      ai.models.generateContent({ model: MODEL, contents: 'second' }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect(JSON.parse((error as ApiError).message).error.status).toBe('RESOURCE_EXHAUSTED');

    const m = await h.metrics();
    const failed = pointsOf(m, 'gen_ai.client.operation.duration', {
      'error.type': 'RESOURCE_EXHAUSTED',
    });
    expect(failed.map(countOf)).toEqual([1]);
    const ok = pointsOf(m, 'gen_ai.client.operation.duration', {
      'gen_ai.request.model': MODEL,
    }).filter((p) => p.attributes['error.type'] === undefined);
    expect(ok.map(countOf)).toEqual([1]);
    const outcomes = pointsOf(m, 'gemini_lanes.requests', { 'gen_ai.request.model': MODEL })
      .map((p) => [p.attributes['gemini_lanes.outcome'], sumOf(p)])
      .sort();
    expect(outcomes).toEqual([
      ['error', 1],
      ['success', 1],
    ]);
    const span = h.spans().filter((s) => s.name === `generate_content ${MODEL}`)[1];
    expect(span?.attributes['error.type']).toBe('RESOURCE_EXHAUSTED');
    const http = h.spans().filter((s) => s.name === 'POST')[1];
    expect(http?.attributes['http.response.status_code']).toBe(429);
    expect(http?.attributes['error.type']).toBe('429');
  });

  it.each([
    ['500', 'INTERNAL'],
    ['503', 'UNAVAILABLE'],
  ])('%s: error.type %s from the error body', async (kind, status) => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const error = await failure(() =>
      ai.models.generateContent({ model: MODEL, contents: 'x', config: fault(kind) }),
    );
    expect((error as ApiError).status).toBe(Number(kind));
    const span = await expectFailure(status);
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('reset: the fetch failure is rethrown unchanged and recorded as connection_error', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
      roundTripSpans: 'always',
    });
    const error = await failure(() =>
      ai.models.generateContent({ model: MODEL, contents: 'x', config: fault('reset') }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('fetch failed');
    await expectFailure('connection_error');
    const http = h.spans().find((s) => s.name === 'POST');
    expect(http?.attributes['error.type']).toBe('connection_error');
    expect(http?.attributes['http.response.status_code']).toBeUndefined();
  });

  it('malformed body: the SDK parse error is rethrown unchanged and recorded as _OTHER', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const error = await failure(() =>
      ai.models.generateContent({ model: MODEL, contents: 'x', config: fault('malformed-chunk') }),
    );
    expect(error).toBeInstanceOf(SyntaxError);
    await expectFailure('_OTHER');
  });

  it('a stalled call ended by httpOptions.timeout is a timeout', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator(), { timeout: 200 }), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const error = await failure(() =>
      ai.models.generateContent({ model: MODEL, contents: 'x', config: fault('stall') }),
    );
    expect((error as Error).name).toMatch(/AbortError|TimeoutError/);
    await expectFailure('timeout');
  });

  it('a call its caller aborts is cancelled', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const controller = new AbortController();
    const pending = ai.models.generateContent({
      model: MODEL,
      contents: 'x',
      config: { ...fault('stall'), abortSignal: controller.signal },
    });
    controller.abort();
    const error = await failure(() => pending);
    expect((error as Error).name).toBe('AbortError');
    await expectFailure('cancelled', 'cancelled');
  });

  it('a call aborted for a deadline is a timeout: a lane RequestTimeoutError or AbortSignal.timeout', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const controller = new AbortController();
    const pending = ai.models.generateContent({
      model: MODEL,
      contents: 'x',
      config: { ...fault('stall'), abortSignal: controller.signal },
    });
    controller.abort(new RequestTimeoutError(50));
    await failure(() => pending);
    await failure(() =>
      ai.models.generateContent({
        model: MODEL,
        contents: 'x',
        config: { ...fault('stall'), abortSignal: AbortSignal.timeout(20) },
      }),
    );
    const m = await h.metrics();
    const durations = pointsOf(m, 'gen_ai.client.operation.duration', {
      'gen_ai.request.model': MODEL,
    });
    expect(durations.map((p) => [p.attributes['error.type'], countOf(p)])).toEqual([
      ['timeout', 2],
    ]);
    const requests = pointsOf(m, 'gemini_lanes.requests', { 'gen_ai.request.model': MODEL });
    expect(requests.map((p) => [p.attributes['gemini_lanes.outcome'], sumOf(p)])).toEqual([
      ['error', 2],
    ]);
  });
});
