import { instrumentGenAI } from '@gemini-lanes/otel';
import type { CallableTool, FunctionCall, Part } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator } from './support/emulator.js';
import { type Harness, harness, pointWith, sumOf } from './support/harness.js';

let h: Harness;
afterEach(async () => {
  await h.shutdown();
});

const MODEL = 'gemini-2.5-flash';

interface Usage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
}

/**
 * A `fetch` for `httpOptions.fetch` that reads every response's usage on a clone, on its own:
 * the test's independent account of what each round trip was billed.
 */
function usageRecordingFetch() {
  const pending: Array<Promise<Usage>> = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const copy = response.clone();
    const url = String(input instanceof Request ? input.url : input);
    pending.push(
      copy.text().then((text) => {
        if (!url.includes('alt=sse'))
          return (JSON.parse(text) as { usageMetadata: Usage }).usageMetadata;
        const events = text.split('\n').filter((line) => line.startsWith('data:'));
        const last = JSON.parse(events.at(-1)?.slice(5) ?? '{}') as { usageMetadata: Usage };
        return last.usageMetadata;
      }),
    );
    return response;
  };
  return { fetch: recording, usages: () => Promise.all(pending) };
}

function weatherTool(calls: FunctionCall[]): CallableTool {
  return {
    tool: async () => ({
      functionDeclarations: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          parametersJsonSchema: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          },
        },
      ],
    }),
    callTool: async (requested: FunctionCall[]): Promise<Part[]> => {
      calls.push(...requested);
      return requested.map((c) => ({
        functionResponse: { name: c.name ?? '', response: { temperature: 20 } },
      }));
    },
  };
}

const total = (usages: Usage[], key: keyof Usage) =>
  usages.reduce((sum, u) => sum + (u[key] ?? 0), 0);

function tokens(m: Awaited<ReturnType<Harness['metrics']>>, kind: string): number {
  return sumOf(
    pointWith(m, 'gemini_lanes.tokens', {
      'gemini_lanes.lane': 'throughput',
      'gen_ai.request.model': MODEL,
      'gemini_lanes.token.kind': kind,
      'gemini_lanes.pricing.tier': 'standard',
    }),
  );
}

describe('automatic function calling', () => {
  it('counts the tokens of every round trip of a tool called 3 times, not only the last', async () => {
    h = harness();
    const recorder = usageRecordingFetch();
    const ai = instrumentGenAI(
      client(await emulator({ functionCalling: { rounds: 3 } }), { fetch: recorder.fetch }),
      { lane: 'throughput', telemetry: h.telemetry },
    );
    const calls: FunctionCall[] = [];
    const response = await ai.models.generateContent({
      model: MODEL,
      contents: 'Weather in Paris?',
      config: { tools: [weatherTool(calls)] },
    });
    expect(calls).toHaveLength(3);
    const usages = await recorder.usages();
    expect(usages).toHaveLength(4);
    // The SDK hands back the last round's usage only.
    expect(response.usageMetadata?.promptTokenCount).toBe(usages[3]?.promptTokenCount);
    expect(total(usages, 'promptTokenCount')).toBeGreaterThan(
      response.usageMetadata?.promptTokenCount ?? 0,
    );

    const m = await h.metrics();
    expect(tokens(m, 'input')).toBe(total(usages, 'promptTokenCount'));
    expect(tokens(m, 'output')).toBe(total(usages, 'candidatesTokenCount'));
    expect(tokens(m, 'thinking')).toBe(total(usages, 'thoughtsTokenCount'));
    const cost = sumOf(
      pointWith(m, 'gemini_lanes.cost', {
        'gemini_lanes.lane': 'throughput',
        'gen_ai.request.model': MODEL,
        'gemini_lanes.token.kind': 'input',
        'gemini_lanes.pricing.tier': 'standard',
      }),
    );
    expect(cost).toBeCloseTo((total(usages, 'promptTokenCount') * 0.3) / 1e6, 12);

    const call = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
    expect(call?.attributes['gen_ai.usage.input_tokens']).toBe(total(usages, 'promptTokenCount'));
    const roundTrips = h.spans().filter((s) => s.name === 'POST');
    expect(roundTrips).toHaveLength(4);
    for (const [i, span] of roundTrips.entries()) {
      expect(span.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(usages[i]?.promptTokenCount);
    }
    // One call, one request, whatever the number of round trips.
    expect(
      sumOf(
        pointWith(m, 'gemini_lanes.requests', {
          'gemini_lanes.lane': 'throughput',
          'gen_ai.request.model': MODEL,
          'gen_ai.operation.name': 'generate_content',
          'gemini_lanes.outcome': 'success',
        }),
      ),
    ).toBe(1);
  });

  it('counts every round of a streamed call with automatic function calling', async () => {
    h = harness();
    const recorder = usageRecordingFetch();
    const ai = instrumentGenAI(
      client(await emulator({ functionCalling: { rounds: 3 } }), { fetch: recorder.fetch }),
      { lane: 'throughput', telemetry: h.telemetry },
    );
    const calls: FunctionCall[] = [];
    let chunks = 0;
    for await (const _ of await ai.models.generateContentStream({
      model: MODEL,
      contents: 'Weather in Paris?',
      config: { tools: [weatherTool(calls)] },
    })) {
      chunks++;
    }
    expect(calls).toHaveLength(3);
    expect(chunks).toBeGreaterThan(4);
    const usages = await recorder.usages();
    expect(usages).toHaveLength(4);
    const m = await h.metrics();
    expect(tokens(m, 'input')).toBe(total(usages, 'promptTokenCount'));
    expect(tokens(m, 'output')).toBe(total(usages, 'candidatesTokenCount'));
    expect(h.spans().filter((s) => s.name === 'POST')).toHaveLength(4);
  });
});
