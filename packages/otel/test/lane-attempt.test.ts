import { instrumentGenAI, laneAttemptOf, markLaneAttempt } from '@gemini-lanes/otel';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator } from './support/emulator.js';
import { type Harness, harness } from './support/harness.js';

const MODEL = 'gemini-2.5-flash';
const ATTEMPT = 'gemini_lanes.attempt';
const FALLBACK_REASON = 'gemini_lanes.fallback.reason';
const params = () => ({
  model: MODEL,
  contents: 'Hello',
  config: { thinkingConfig: { thinkingBudget: 0 } },
});

let h: Harness;
afterEach(async () => {
  await h?.shutdown();
});

describe('lane attempts', () => {
  it('reads back a valid mark, never an invalid one, and the mark is not enumerable', () => {
    const marked = markLaneAttempt(params(), { lane: 'latency', kind: 'hedge', since: 12.5 });
    expect(laneAttemptOf(marked)).toEqual({ lane: 'latency', kind: 'hedge', since: 12.5 });
    // The SDK copies and serialises the request: the mark never travels with it.
    expect(JSON.stringify(marked)).toBe(JSON.stringify(params()));
    expect(laneAttemptOf({ ...marked })).toBeUndefined();
    expect(laneAttemptOf(params())).toBeUndefined();
    expect(laneAttemptOf(undefined)).toBeUndefined();
    const key = Symbol.for('@gemini-lanes/otel lane attempt');
    for (const value of [
      'hedge',
      { lane: 'fast', kind: 'first' },
      { lane: 'latency', kind: 'second' },
      { lane: 'latency', kind: 'fallback', fallbackReason: 'because' },
      { lane: 'latency', kind: 'hedge', since: Number.NaN },
    ]) {
      expect(laneAttemptOf({ [key]: value })).toBeUndefined();
    }
  });

  it('puts the attempt and the fallback reason on the span of the lane it belongs to', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    await ai.models.generateContent(
      markLaneAttempt(params(), {
        lane: 'latency',
        kind: 'fallback',
        fallbackReason: 'rate_limited',
      }),
    );
    // A mark for another lane says nothing about this client's call.
    await ai.models.generateContent(
      markLaneAttempt(params(), { lane: 'throughput', kind: 'retry' }),
    );
    const [fallback, other] = h.spans().filter((s) => s.name === `generate_content ${MODEL}`);
    expect(fallback?.attributes[ATTEMPT]).toBe('fallback');
    expect(fallback?.attributes[FALLBACK_REASON]).toBe('rate_limited');
    expect(other?.attributes).not.toHaveProperty(ATTEMPT);
  });

  it('times a hedge from the request it hedges: what the caller waited', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const since = performance.now() - 5_000;
    const stream = await ai.models.generateContentStream(
      markLaneAttempt(params(), { lane: 'latency', kind: 'hedge', since }),
    );
    for await (const _ of stream);
    const metrics = await h.metrics();
    const sumOf = (name: string) =>
      (metrics.get(name) ?? []).map((p) => (p.value as Histogram).sum ?? 0);
    // At least the 5 s before it was sent, though the call itself took milliseconds.
    const [ttfc, ...moreTtfc] = sumOf('gen_ai.client.operation.time_to_first_chunk');
    expect(moreTtfc).toEqual([]);
    expect(ttfc).toBeGreaterThanOrEqual(5);
    expect(sumOf('gen_ai.client.operation.duration')[0]).toBeGreaterThanOrEqual(5);
  });
});
