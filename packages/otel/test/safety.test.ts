import { defineConfig } from '@gemini-lanes/core';
import { createTelemetry, instrumentGenAI } from '@gemini-lanes/otel';
import type { GenerateContentResponse, GoogleGenAI } from '@google/genai';
import type { Meter, MeterProvider, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY, client, emulator, failure } from './support/emulator.js';
import { captureDiag, type Harness, harness } from './support/harness.js';

let h: Harness | undefined;
let diagCapture: ReturnType<typeof captureDiag> | undefined;
afterEach(async () => {
  await h?.shutdown();
  h = undefined;
  diagCapture?.restore();
  diagCapture = undefined;
});

const MODEL = 'gemini-2.5-flash';
const fault = (kind: string) => ({ httpOptions: { headers: { 'x-emulator-fault': kind } } });

/** A meter whose every instrument throws when it records. */
function throwingMeterProvider(): MeterProvider {
  const boom = () => {
    throw new Error('meter exploded');
  };
  const instrument = { add: boom, record: boom };
  const meter = {
    createObservableCounter: () => ({ addCallback: () => {} }),
    createObservableGauge: () => ({ addCallback: () => {} }),
    createCounter: () => instrument,
    createUpDownCounter: () => instrument,
    createHistogram: () => instrument,
  } as unknown as Meter;
  return { getMeter: () => meter };
}

/** A tracer whose spans throw on every method. */
function throwingTracerProvider(): TracerProvider {
  const tracer = {
    startSpan: () => {
      throw new Error('tracer exploded');
    },
  } as unknown as Tracer;
  return { getTracer: () => tracer };
}

async function conversation(ai: GoogleGenAI) {
  const unary = await ai.models.generateContent({ model: MODEL, contents: 'Hello there' });
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of await ai.models.generateContentStream({
    model: MODEL,
    contents: 'More',
  })) {
    chunks.push(chunk);
  }
  const failed = await failure(() =>
    ai.models.generateContent({ model: MODEL, contents: 'x', config: fault('503') }),
  );
  return { unary, chunks, failed };
}

/** Drops what legitimately differs between two runs on equal seeds (timings in headers). */
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === 'sdkHttpResponse' ? undefined : v)));
}

describe('telemetry never changes the call', () => {
  it('gives the same results, chunks and errors as an uninstrumented client (same emulator seed)', async () => {
    h = harness();
    const bare = client(await emulator({ seed: 42 }));
    const ai = instrumentGenAI(client(await emulator({ seed: 42 })), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const expected = await conversation(bare);
    const actual = await conversation(ai);
    expect(comparable(actual.unary)).toEqual(comparable(expected.unary));
    expect(actual.chunks.length).toBe(expected.chunks.length);
    expect(comparable(actual.chunks)).toEqual(comparable(expected.chunks));
    expect((actual.failed as Error).constructor).toBe((expected.failed as Error).constructor);
    expect((actual.failed as Error).message).toBe((expected.failed as Error).message);
    expect(h.spans().filter((s) => s.name.startsWith('generate_content'))).toHaveLength(3);
  });

  it('rethrows the very error object the SDK threw', async () => {
    h = harness();
    const handle = await emulator();
    const thrown = new TypeError('network down');
    const ai = instrumentGenAI(
      client(handle, {
        fetch: async () => {
          throw thrown;
        },
      }),
      { lane: 'latency', telemetry: h.telemetry },
    );
    expect(await failure(() => ai.models.generateContent({ model: MODEL, contents: 'x' }))).toBe(
      thrown,
    );
    const stream = await failure(() =>
      ai.models.generateContentStream({ model: MODEL, contents: 'x' }),
    );
    expect(stream).toBe(thrown);
  });

  it('survives throwing hooks: the result is the SDK result, the hooks are reported through diag', async () => {
    h = harness();
    diagCapture = captureDiag();
    const seenResponses: unknown[] = [];
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
      requestHook: () => {
        throw new Error('request hook bug');
      },
      responseHook: (_span: Span, info) => {
        seenResponses.push(info.response);
        throw new Error('response hook bug');
      },
    });
    const res = await ai.models.generateContent({ model: MODEL, contents: 'x' });
    expect(res.text).toBeTruthy();
    expect(seenResponses).toEqual([res]);
    expect(seenResponses[0]).toBe(res);
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of await ai.models.generateContentStream({
      model: MODEL,
      contents: 'x',
    })) {
      chunks.push(chunk);
    }
    expect(seenResponses[1]).toBe(chunks.at(-1));
    const reported = diagCapture.seen.map((s) => [s.message, (s.args[0] as Error).message]);
    expect(reported).toEqual([
      [
        '@gemini-lanes/otel: requestHook failed; the observed call is unaffected',
        'request hook bug',
      ],
      [
        '@gemini-lanes/otel: responseHook failed; the observed call is unaffected',
        'response hook bug',
      ],
      [
        '@gemini-lanes/otel: requestHook failed; the observed call is unaffected',
        'request hook bug',
      ],
      [
        '@gemini-lanes/otel: responseHook failed; the observed call is unaffected',
        'response hook bug',
      ],
    ]);
    expect(h.spans().filter((s) => s.name.startsWith('generate_content'))).toHaveLength(2);
  });

  it('survives a meter that throws: calls succeed, fail and stream as they would, spans still end', async () => {
    h = harness();
    diagCapture = captureDiag();
    const telemetry = createTelemetry(defineConfig({}), {
      meterProvider: throwingMeterProvider(),
      tracerProvider: h.tracerProvider,
    });
    const ai = instrumentGenAI(client(await emulator()), { lane: 'latency', telemetry });
    const { unary, chunks, failed } = await conversation(ai);
    expect(unary.text).toBeTruthy();
    expect(chunks.length).toBeGreaterThan(0);
    expect((failed as { status?: number }).status).toBe(503);
    const spans = h.spans().filter((s) => s.name.startsWith('generate_content'));
    expect(spans).toHaveLength(3);
    expect(spans[2]?.attributes['error.type']).toBe('UNAVAILABLE');
    expect(diagCapture.seen.some((s) => (s.args[0] as Error)?.message === 'meter exploded')).toBe(
      true,
    );
  });

  it('survives a tracer that throws: the call runs uninstrumented', async () => {
    diagCapture = captureDiag();
    const telemetry = createTelemetry(defineConfig({}), {
      tracerProvider: throwingTracerProvider(),
    });
    const ai = instrumentGenAI(client(await emulator()), { lane: 'latency', telemetry });
    const { unary, chunks, failed } = await conversation(ai);
    expect(unary.text).toBeTruthy();
    expect(chunks.length).toBeGreaterThan(0);
    expect((failed as { status?: number }).status).toBe(503);
    expect(
      diagCapture.seen.filter((s) => (s.args[0] as Error)?.message === 'tracer exploded'),
    ).toHaveLength(3);
  });
});

describe('no API key anywhere', () => {
  it('records no key, x-goog-api-key header or key= parameter in spans, metrics or logs', async () => {
    h = harness();
    diagCapture = captureDiag();
    const handle = await emulator({ apiKeys: [API_KEY] });
    const ai = instrumentGenAI(client(handle), {
      lane: 'latency',
      telemetry: h.telemetry,
      captureContent: true,
      roundTripSpans: 'always',
    });
    await conversation(ai);
    await failure(() =>
      ai.models.generateContent({ model: MODEL, contents: 'x', config: fault('reset') }),
    );
    // A base URL carrying the key as a query parameter, as some proxies want it; retried, so
    // its round trips get spans with their URL.
    const viaQuery = instrumentGenAI(
      new (ai.constructor as typeof GoogleGenAI)({
        apiKey: API_KEY,
        httpOptions: {
          baseUrl: `${handle.url}/?key=${API_KEY}`,
          apiVersion: 'v1beta',
          retryOptions: { attempts: 2, initialDelay: 0.001, httpStatusCodes: [404] },
        },
      }),
      { lane: 'latency', telemetry: h.telemetry },
    );
    await failure(() => viaQuery.models.generateContent({ model: MODEL, contents: 'x' }));
    // A wrong key: the API's error must not echo anything of it either.
    const wrong = instrumentGenAI(
      new (ai.constructor as typeof GoogleGenAI)({
        apiKey: `${API_KEY}-wrong`,
        httpOptions: { baseUrl: handle.url, apiVersion: 'v1beta' },
      }),
      { lane: 'latency', telemetry: h.telemetry },
    );
    await failure(() => wrong.models.generateContent({ model: MODEL, contents: 'x' }));

    const spans = h.spans();
    const withQuery = spans.find((s) => String(s.attributes['url.full']).includes('key='));
    expect(withQuery?.attributes['url.full']).toContain('key=REDACTED');
    const recorded = JSON.stringify({
      spans: spans.map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        status: s.status,
        resource: s.resource.attributes,
      })),
      metrics: [...(await h.metrics()).entries()],
      logs: diagCapture.seen.map((s) => [s.message, String(s.args[0])]),
    });
    expect(spans.length).toBeGreaterThan(10);
    expect(recorded).toContain('exception');
    expect(recorded).not.toContain(API_KEY);
    expect(recorded.toLowerCase()).not.toContain('x-goog-api-key');
    expect(recorded).not.toMatch(/[?&]key=(?!REDACTED)/);
  });

  it('refuses a non-client without echoing it (it may hold a key)', () => {
    expect(() => instrumentGenAI({ apiKey: API_KEY } as object, { lane: 'latency' })).toThrow(
      TypeError,
    );
    try {
      instrumentGenAI({ apiKey: API_KEY } as object, { lane: 'latency' });
    } catch (error) {
      expect((error as Error).message).toBe(
        'instrumentGenAI(client): expected a GoogleGenAI client from @google/genai (an object whose models has generateContent and generateContentStream), got an object without models.generateContent',
      );
      expect((error as Error).message).not.toContain(API_KEY);
    }
    expect(() => instrumentGenAI(null as unknown as object, { lane: 'latency' })).toThrow(
      /got null/,
    );
  });

  it('instrumenting twice is a no-op: one span per call', async () => {
    h = harness();
    const ai = client(await emulator());
    expect(instrumentGenAI(ai, { lane: 'latency', telemetry: h.telemetry })).toBe(ai);
    const generate = ai.models.generateContent;
    expect(instrumentGenAI(ai, { lane: 'throughput', telemetry: h.telemetry })).toBe(ai);
    expect(ai.models.generateContent).toBe(generate);
    await ai.models.generateContent({ model: MODEL, contents: 'x' });
    const spans = h.spans().filter((s) => s.name.startsWith('generate_content'));
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes['gemini_lanes.lane']).toBe('latency');
  });
});
