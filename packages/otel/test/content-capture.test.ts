import { readFileSync } from 'node:fs';
import { CAPTURE_CONTENT_ENV, instrumentGenAI } from '@gemini-lanes/otel';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator } from './support/emulator.js';
import { type Harness, harness } from './support/harness.js';
import { type Schema, validate } from './support/json-schema.js';

const schema = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/${name}.schema.json`, import.meta.url), 'utf8'),
  ) as Schema;
const INPUT = schema('gen-ai-input-messages');
const OUTPUT = schema('gen-ai-output-messages');
const SYSTEM = schema('gen-ai-system-instructions');

let h: Harness;
const savedEnv = process.env[CAPTURE_CONTENT_ENV];
afterEach(async () => {
  await h.shutdown();
  if (savedEnv === undefined) delete process.env[CAPTURE_CONTENT_ENV];
  else process.env[CAPTURE_CONTENT_ENV] = savedEnv;
});

const MODEL = 'gemini-2.5-flash';
const declaration = {
  name: 'get_weather',
  description: 'Weather for a city',
  parametersJsonSchema: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

function captured(name: string) {
  const span = h.spans().find((s) => s.name === name);
  const attribute = (key: string) => {
    const raw = span?.attributes[key];
    return raw === undefined ? undefined : (JSON.parse(String(raw)) as unknown);
  };
  return {
    input: attribute('gen_ai.input.messages'),
    output: attribute('gen_ai.output.messages'),
    system: attribute('gen_ai.system_instructions'),
  };
}

describe('content capture', () => {
  it('is off by default: no prompt or answer on the span', async () => {
    delete process.env[CAPTURE_CONTENT_ENV];
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    const res = await ai.models.generateContent({
      model: MODEL,
      contents: 'A secret prompt',
      config: { systemInstruction: 'Be brief.' },
    });
    const span = h.spans().find((s) => s.name === `generate_content ${MODEL}`);
    expect(span).toBeDefined();
    expect(captured(`generate_content ${MODEL}`)).toEqual({
      input: undefined,
      output: undefined,
      system: undefined,
    });
    const everything = JSON.stringify(span?.attributes);
    expect(everything).not.toContain('A secret prompt');
    expect(everything).not.toContain(res.text?.slice(0, 20));
  });

  it('with the option, writes the conventions JSON: text, system instructions, tool calls and responses', async () => {
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
      captureContent: true,
    });
    const first = await ai.models.generateContent({
      model: MODEL,
      contents: 'Weather in Paris?',
      config: { tools: [{ functionDeclarations: [declaration] }], systemInstruction: 'Be brief.' },
    });
    const call = first.functionCalls?.[0];
    expect(call?.name).toBe('get_weather');
    let c = captured(`generate_content ${MODEL}`);
    expect(validate(INPUT, c.input)).toEqual([]);
    expect(validate(OUTPUT, c.output)).toEqual([]);
    expect(validate(SYSTEM, c.system)).toEqual([]);
    expect(c.input).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
    ]);
    expect(c.system).toEqual([{ type: 'text', content: 'Be brief.' }]);
    expect(c.output).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: call?.id ?? null, name: 'get_weather', arguments: call?.args },
        ],
        finish_reason: 'tool_call',
      },
    ]);

    await h.shutdown();
    h = harness();
    const ai2 = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
      captureContent: true,
    });
    const second = await ai2.models.generateContent({
      model: MODEL,
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: call ?? {} }] },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }],
        },
        {
          role: 'user',
          parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }],
        },
      ],
      config: { tools: [{ functionDeclarations: [declaration] }] },
    });
    c = captured(`generate_content ${MODEL}`);
    expect(validate(INPUT, c.input)).toEqual([]);
    expect(validate(OUTPUT, c.output)).toEqual([]);
    expect(c.input).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: call?.id ?? null, name: 'get_weather', arguments: call?.args },
        ],
      },
      {
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: null, response: { temperature: 21 } }],
      },
      {
        role: 'user',
        parts: [
          { type: 'blob', mime_type: 'image/png', modality: 'image', content: 'iVBORw0KGgo=' },
        ],
      },
    ]);
    expect(c.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: second.text }], finish_reason: 'stop' },
    ]);
  });

  it('with the environment variable, and for streams joins the chunks into one answer', async () => {
    process.env[CAPTURE_CONTENT_ENV] = 'TRUE';
    h = harness();
    const ai = instrumentGenAI(client(await emulator()), {
      lane: 'latency',
      telemetry: h.telemetry,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of await ai.models.generateContentStream({
      model: MODEL,
      contents: 'Tell me a story.',
      config: { thinkingConfig: { thinkingBudget: 64, includeThoughts: true } },
    })) {
      chunks++;
      text += chunk.text ?? '';
    }
    expect(chunks).toBeGreaterThan(1);
    const c = captured(`generate_content ${MODEL}`);
    expect(validate(OUTPUT, c.output)).toEqual([]);
    const output = c.output as Array<{ parts: Array<{ type: string; content: string }> }>;
    expect(output[0]?.parts.map((p) => p.type)).toEqual(['reasoning', 'text']);
    expect(output[0]?.parts[1]?.content).toBe(text);
  });

  it('the schema check fails for a misshapen message (so the checks above can fail)', () => {
    expect(validate(INPUT, [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }])).not.toEqual(
      [],
    );
    expect(validate(OUTPUT, [{ role: 'assistant', parts: [] }])).not.toEqual([]);
    expect(
      validate(INPUT, [{ role: 'user', parts: [{ type: 'tool_call_response', result: 1 }] }]),
    ).not.toEqual([]);
  });
});
