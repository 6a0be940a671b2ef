import type { CallableTool, FunctionCall, Part } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { textTokens } from '../src/tokens.js';
import { apiError, client, emulator, raw } from './helpers.js';

const fixedFlash = {
  'gemini-2.5-flash': {
    ttftMs: { median: 400, p95: 400 },
    decodeTokensPerSecond: { median: 100, p95: 100 },
    outputTokens: { median: 160, p95: 160 },
  },
};

describe('generateContent', () => {
  it.each(['v1', 'v1beta'])('answers in the API shape on %s', async (version) => {
    const handle = await emulator();
    const ai = client(handle, version);
    const res = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Why is the sky blue?',
    });
    const candidate = res.candidates?.[0];
    expect(candidate?.content?.role).toBe('model');
    expect(candidate?.content?.parts?.[0]?.text).toMatch(/^[A-Z][a-z]{2} .*\.$/);
    expect(candidate?.finishReason).toBe('STOP');
    expect(candidate?.index).toBe(0);
    expect(res.modelVersion).toBe('gemini-2.5-flash');
    expect(res.responseId).toMatch(/^[A-Za-z0-9_-]{23}$/);
    const usage = res.usageMetadata;
    expect(usage?.promptTokenCount).toBe(textTokens('Why is the sky blue?'));
    expect(usage?.promptTokensDetails).toEqual([{ modality: 'TEXT', tokenCount: 5 }]);
    expect(usage?.candidatesTokenCount).toBe(textTokens(res.text ?? ''));
    expect(usage?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(usage?.totalTokenCount).toBe(
      (usage?.promptTokenCount ?? 0) +
        (usage?.candidatesTokenCount ?? 0) +
        (usage?.thoughtsTokenCount ?? 0),
    );
    expect(res.sdkHttpResponse?.headers?.['server-timing']).toMatch(/^gfet4t7; dur=\d+$/);
  });

  it('accepts the model as models/{id}', async () => {
    const ai = client(await emulator());
    const res = await ai.models.generateContent({
      model: 'models/gemini-2.5-flash-lite',
      contents: 'hi',
    });
    expect(res.modelVersion).toBe('gemini-2.5-flash-lite');
  });

  it('bounds output by maxOutputTokens, which thinking counts against as on Gemini 2.5', async () => {
    const ai = client(await emulator());
    const short = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Write an essay.',
      config: { maxOutputTokens: 10, thinkingConfig: { thinkingBudget: 0 } },
    });
    expect(short.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(short.usageMetadata?.candidatesTokenCount).toBe(10);
    expect(short.usageMetadata?.thoughtsTokenCount).toBeUndefined();
    expect(textTokens(short.text ?? '')).toBe(10);

    const thinking = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Write an essay.',
      config: { maxOutputTokens: 5 },
    });
    expect(thinking.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(thinking.usageMetadata?.thoughtsTokenCount).toBe(5);
    expect(thinking.usageMetadata?.candidatesTokenCount).toBeUndefined();
    expect(thinking.text).toBeUndefined();
  });

  it('thinks per model: budgets cap it, 0 turns it off, Pro refuses 0, Flash-Lite thinks only when asked', async () => {
    const ai = client(await emulator());
    const capped = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'x',
      config: { thinkingConfig: { thinkingBudget: 64, includeThoughts: true } },
    });
    expect(capped.usageMetadata?.thoughtsTokenCount).toBeLessThanOrEqual(64);
    const parts = capped.candidates?.[0]?.content?.parts ?? [];
    expect(parts[0]?.thought).toBe(true);
    expect(textTokens(parts[0]?.text ?? '')).toBeLessThanOrEqual(
      capped.usageMetadata?.thoughtsTokenCount ?? 0,
    );
    expect(parts[1]?.thought).toBeUndefined();

    const off = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'x',
      config: { thinkingConfig: { thinkingBudget: 0 } },
    });
    expect(off.usageMetadata?.thoughtsTokenCount).toBeUndefined();

    const pro = await apiError(() =>
      ai.models.generateContent({
        model: 'gemini-2.5-pro',
        contents: 'x',
        config: { thinkingConfig: { thinkingBudget: 0 } },
      }),
    );
    expect(pro.status).toBe(400);
    expect(pro.body.error).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: 'Budget 0 is invalid. This model only works in thinking mode.',
    });

    const lite = await ai.models.generateContent({ model: 'gemini-2.5-flash-lite', contents: 'x' });
    expect(lite.usageMetadata?.thoughtsTokenCount).toBeUndefined();
    const liteThinking = await ai.models.generateContent({
      model: 'gemini-2.5-flash-lite',
      contents: 'x',
      config: { thinkingConfig: { thinkingBudget: 200 } },
    });
    expect(liteThinking.usageMetadata?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(liteThinking.usageMetadata?.thoughtsTokenCount).toBeLessThanOrEqual(200);
  });

  it('answers JSON that follows the response schema', async () => {
    const ai = client(await emulator());
    const res = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'List a recipe.',
      config: {
        responseMimeType: 'application/json',
        responseSchema: {
          type: 'OBJECT',
          properties: {
            name: { type: 'STRING' },
            servings: { type: 'INTEGER' },
            vegan: { type: 'BOOLEAN' },
            course: { type: 'STRING', enum: ['starter', 'main'] },
            steps: { type: 'ARRAY', items: { type: 'STRING' } },
          },
        },
      },
    });
    const value = JSON.parse(res.text ?? '') as Record<string, unknown>;
    expect(typeof value.name).toBe('string');
    expect(Number.isInteger(value.servings)).toBe(true);
    expect(typeof value.vegan).toBe('boolean');
    expect(['starter', 'main']).toContain(value.course);
    expect(Array.isArray(value.steps)).toBe(true);
    expect(res.usageMetadata?.candidatesTokenCount).toBe(textTokens(res.text ?? ''));
  });

  it('reports cached content and tool-use prompt tokens', async () => {
    const ai = client(await emulator());
    const cached = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'abcdabcd',
      config: { cachedContent: 'cachedContents/doc-1', thinkingConfig: { thinkingBudget: 0 } },
    });
    expect(cached.usageMetadata?.cachedContentTokenCount).toBe(4096);
    expect(cached.usageMetadata?.promptTokenCount).toBe(4096 + 2);

    const grounded = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'news?',
      config: { tools: [{ googleSearch: {} }], thinkingConfig: { thinkingBudget: 0 } },
    });
    const u = grounded.usageMetadata;
    expect(u?.toolUsePromptTokenCount).toBeGreaterThan(0);
    expect(u?.totalTokenCount).toBe(
      (u?.promptTokenCount ?? 0) +
        (u?.candidatesTokenCount ?? 0) +
        (u?.toolUsePromptTokenCount ?? 0),
    );
  });
});

describe('streamGenerateContent', () => {
  it('sends SSE chunks over time at the decode rate, with cumulative usage and a final finishReason', async () => {
    // Speed 10 with fixed latency: 160 tokens in 10 chunks of 16, 1.44 s of decoding = 144 ms real.
    const handle = await emulator({ speed: 10, models: fixedFlash });
    const ai = client(handle);
    const started = performance.now();
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Tell me a story.',
      config: { thinkingConfig: { thinkingBudget: 0 } },
    });
    const arrivals: number[] = [];
    const chunks = [];
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      chunks.push(chunk);
    }
    expect(chunks).toHaveLength(10);
    expect(chunks[0]?.sdkHttpResponse?.headers?.['content-type']).toBe('text/event-stream');
    // The latency this stream was drawn with, for benchmarks that separate it from their own.
    expect(chunks[0]?.sdkHttpResponse?.headers?.['x-emulator-timing']).toBe(
      'ttft=400.0, thinking=0.0, decode=100.0',
    );
    expect(new Set(chunks.map((c) => c.responseId)).size).toBe(1);
    let text = '';
    chunks.forEach((chunk, i) => {
      text += chunk.text ?? '';
      expect(chunk.usageMetadata?.candidatesTokenCount).toBe(16 * (i + 1));
      expect(chunk.usageMetadata?.promptTokenCount).toBe(4);
      expect(chunk.candidates?.[0]?.finishReason).toBe(i === 9 ? 'STOP' : undefined);
    });
    expect(textTokens(text)).toBe(160);
    // The server sends no chunk before its time (timers never fire early), so from the start of
    // the call the first chunk takes at least TTFT (40 ms) and the last TTFT plus 1.44 s of
    // decoding (184 ms) at speed 10.
    expect((arrivals[0] ?? 0) - started).toBeGreaterThanOrEqual(39);
    expect((arrivals.at(-1) ?? 0) - started).toBeGreaterThanOrEqual(183);
  });

  it('puts a thought summary first when asked, and streams JSON arrays without alt=sse', async () => {
    const handle = await emulator({ models: fixedFlash });
    const ai = client(handle);
    const stream = await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'x',
      config: { thinkingConfig: { thinkingBudget: 100, includeThoughts: true } },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.candidates?.[0]?.content?.parts?.[0]?.thought).toBe(true);
    expect(chunks[0]?.usageMetadata?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(chunks[0]?.usageMetadata?.candidatesTokenCount).toBeUndefined();
    expect(chunks).toHaveLength(11);

    const res = await raw(handle, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', {
      body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(200);
    const array = JSON.parse(res.text) as Array<{ candidates: Array<{ finishReason?: string }> }>;
    expect(array.length).toBeGreaterThan(1);
    expect(array.at(-1)?.candidates[0]?.finishReason).toBe('STOP');
  });
});

describe('function calling', () => {
  const declaration = {
    name: 'get_weather',
    description: 'Weather for a city',
    parametersJsonSchema: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['C', 'F'] },
        days: { type: 'integer' },
      },
      required: ['city'],
    },
  };

  it('answers a functionCall, then a final text once the function responded', async () => {
    const ai = client(await emulator());
    const first = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: { tools: [{ functionDeclarations: [declaration] }] },
    });
    const call = first.functionCalls?.[0];
    expect(call?.name).toBe('get_weather');
    expect(typeof call?.args?.city).toBe('string');
    expect(['C', 'F']).toContain(call?.args?.unit);
    expect(Number.isInteger(call?.args?.days)).toBe(true);
    expect(first.candidates?.[0]?.finishReason).toBe('STOP');

    const second = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: call ?? {} }] },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }],
        },
      ],
      config: { tools: [{ functionDeclarations: [declaration] }] },
    });
    expect(second.functionCalls).toBeUndefined();
    expect(second.text).toBeTruthy();

    const none = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: {
        tools: [{ functionDeclarations: [declaration] }],
        toolConfig: { functionCallingConfig: { mode: 'NONE' as never } },
      },
    });
    expect(none.functionCalls).toBeUndefined();
  });

  it('drives the SDK automatic function calling for the configured number of rounds', async () => {
    const handle = await emulator({ functionCalling: { rounds: 3 } });
    const ai = client(handle);
    const seen: FunctionCall[] = [];
    const tool: CallableTool = {
      tool: async () => ({ functionDeclarations: [declaration] }),
      callTool: async (calls: FunctionCall[]): Promise<Part[]> => {
        seen.push(...calls);
        return calls.map((c) => ({
          functionResponse: { name: c.name ?? '', response: { temperature: 20 } },
        }));
      },
    };
    const res = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather?',
      config: { tools: [tool] },
    });
    expect(seen).toHaveLength(3);
    expect(res.text).toBeTruthy();
    expect(res.automaticFunctionCallingHistory).toHaveLength(1 + 2 * 3);

    handle.control({ functionCalling: { rounds: 1 } });
    seen.length = 0;
    await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather?',
      config: { tools: [tool] },
    });
    expect(seen).toHaveLength(1);

    seen.length = 0;
    const chunks = [];
    for await (const chunk of await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Weather?',
      config: { tools: [tool] },
    })) {
      chunks.push(chunk);
    }
    expect(seen).toHaveLength(1);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
  });
});

describe('countTokens, embeddings and models', () => {
  it('counts tokens as the usage does', async () => {
    const ai = client(await emulator());
    const res = await ai.models.countTokens({
      model: 'gemini-2.5-pro',
      contents: ['12345678', '123'],
    });
    expect(res.totalTokens).toBe(3);
    const generated = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: ['12345678', '123'],
    });
    expect(generated.usageMetadata?.promptTokenCount).toBe(3);
  });

  it('embeds through batchEmbedContents: unit vectors, stable per text', async () => {
    const ai = client(await emulator());
    const res = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['alpha', 'beta', 'alpha'],
      config: { outputDimensionality: 8 },
    });
    const [a, b, a2] = res.embeddings ?? [];
    expect(a?.values).toHaveLength(8);
    expect(a?.values).toEqual(a2?.values);
    expect(a?.values).not.toEqual(b?.values);
    expect(Math.sqrt((a?.values ?? []).reduce((s, v) => s + v * v, 0))).toBeCloseTo(1, 6);
    const full = await ai.models.embedContent({ model: 'text-embedding-004', contents: 'x' });
    expect(full.embeddings?.[0]?.values).toHaveLength(768);

    const wrongKind = await apiError(() =>
      ai.models.embedContent({ model: 'gemini-2.5-flash', contents: 'x' }),
    );
    expect(wrongKind.status).toBe(404);
    const wrongKind2 = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-embedding-001', contents: 'x' }),
    );
    expect(wrongKind2.body.error.message).toContain('is not supported for generateContent');
  });

  it('gets and lists models', async () => {
    const ai = client(
      await emulator({
        models: { 'my-model': { base: 'gemini-2.5-flash-lite', displayName: 'Mine' } },
      }),
    );
    const model = await ai.models.get({ model: 'gemini-2.5-flash' });
    expect(model).toMatchObject({
      name: 'models/gemini-2.5-flash',
      inputTokenLimit: 1_048_576,
      outputTokenLimit: 65_536,
    });
    const names: string[] = [];
    for await (const m of await ai.models.list()) names.push(m.name ?? '');
    expect(names).toEqual(
      expect.arrayContaining([
        'models/gemini-2.5-pro',
        'models/gemini-2.5-flash-lite',
        'models/gemini-embedding-001',
        'models/my-model',
      ]),
    );
    const mine = await ai.models.generateContent({ model: 'my-model', contents: 'x' });
    expect(mine.modelVersion).toBe('my-model');
  });
});
