import {
  instrumentGenAI,
  type RouteDecision,
  routeDecisionFrom,
  setRouteDecision,
  withRouteDecision,
} from '@gemini-lanes/otel';
import type { GoogleGenAI } from '@google/genai';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { client, emulator } from './support/emulator.js';
import { type Harness, harness } from './support/harness.js';

const MODEL = 'gemini-2.5-flash';
const REASON = 'gemini_lanes.route.reason';
const LANE = 'gemini_lanes.lane';
const params = {
  model: MODEL,
  contents: 'Hello',
  config: { thinkingConfig: { thinkingBudget: 0 } },
};

let h: Harness;
afterEach(async () => {
  await h?.shutdown();
});

/** The attributes of the one finished `generate_content` span (spans of a call's round trips aside). */
function callSpans() {
  return h.spans().filter((s) => s.name === `generate_content ${MODEL}`);
}

describe('route decision in the context', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('is read back from the context it was set in, and only there', () => {
    const decision: RouteDecision = { lane: 'throughput', reason: 'size' };
    const ctx = setRouteDecision(ROOT_CONTEXT, decision);
    expect(routeDecisionFrom(ctx)).toBe(decision);
    expect(routeDecisionFrom(ROOT_CONTEXT)).toBeUndefined();
    expect(
      withRouteDecision(decision, (a: number, b: number) => [routeDecisionFrom(), a + b], 1, 2),
    ).toEqual([decision, 3]);
    expect(routeDecisionFrom()).toBeUndefined();
  });

  it('ignores a value under the key that is not a decision (another copy of the package)', () => {
    const key = createContextKey('@gemini-lanes/otel route decision');
    for (const value of [
      'latency',
      { lane: 'latency' },
      { lane: 'fast', reason: 'explicit' },
      { lane: 'latency', reason: 'because' },
    ]) {
      expect(routeDecisionFrom(ROOT_CONTEXT.setValue(key, value))).toBeUndefined();
    }
    expect(
      routeDecisionFrom(ROOT_CONTEXT.setValue(key, { lane: 'latency', reason: 'stream' })),
    ).toEqual({ lane: 'latency', reason: 'stream' });
  });

  async function instrumented(lane: 'latency' | 'throughput'): Promise<GoogleGenAI> {
    return instrumentGenAI(client(await emulator()), { lane, telemetry: h.telemetry });
  }

  it('puts the reason on the span of a call started inside it, not on one outside', async () => {
    h = harness();
    const ai = await instrumented('throughput');
    await withRouteDecision({ lane: 'throughput', reason: 'size' }, () =>
      ai.models.generateContent(params),
    );
    await ai.models.generateContent(params);
    const [inside, outside] = callSpans();
    expect(inside?.attributes[REASON]).toBe('size');
    expect(inside?.attributes[LANE]).toBe('throughput');
    expect(outside?.attributes).not.toHaveProperty(REASON);
    expect(outside?.attributes[LANE]).toBe('throughput');
  });

  it('puts the reason on a stream started inside it, while chunks are read outside', async () => {
    h = harness();
    const ai = await instrumented('latency');
    const stream = await withRouteDecision({ lane: 'latency', reason: 'stream' }, () =>
      ai.models.generateContentStream(params),
    );
    let chunks = 0;
    for await (const _ of stream) chunks++;
    expect(chunks).toBeGreaterThan(0);
    const [span] = callSpans();
    expect(span?.attributes[REASON]).toBe('stream');
    expect(span?.attributes['gen_ai.request.stream']).toBe('true');
  });

  it('leaves a client of another lane alone: the decision is not about its call', async () => {
    h = harness();
    const ai = await instrumented('latency');
    await withRouteDecision({ lane: 'throughput', reason: 'default' }, () =>
      ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'x' }),
    );
    await withRouteDecision({ lane: 'throughput', reason: 'default' }, () =>
      ai.models.generateContent(params),
    );
    const spans = h.spans().filter((s) => s.attributes[LANE] === 'latency');
    expect(spans.map((s) => s.name).sort()).toEqual([
      'embeddings gemini-embedding-001',
      `generate_content ${MODEL}`,
    ]);
    for (const span of spans) expect(span.attributes).not.toHaveProperty(REASON);
  });

  it('carries over to embeddings and count_tokens of the decided lane', async () => {
    h = harness();
    const ai = await instrumented('throughput');
    await withRouteDecision({ lane: 'throughput', reason: 'default' }, async () => {
      await ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'x' });
      await ai.models.countTokens({ model: MODEL, contents: 'x' });
    });
    const reasons = Object.fromEntries(h.spans().map((s) => [s.name, s.attributes[REASON]]));
    expect(reasons).toEqual({
      'embeddings gemini-embedding-001': 'default',
      [`count_tokens ${MODEL}`]: 'default',
    });
  });
});

describe('route decision without a context manager', () => {
  it('runs the function, and the span carries no reason (nothing propagates)', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const response = await withRouteDecision({ lane: 'latency', reason: 'explicit' }, () =>
      ai.models.generateContent(params),
    );
    expect(response.text?.length).toBeGreaterThan(0);
    const [span] = callSpans();
    expect(span?.attributes[LANE]).toBe('latency');
    expect(span?.attributes).not.toHaveProperty(REASON);
  });
});
