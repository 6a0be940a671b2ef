import { describe, expect, it } from 'vitest';
import { client, emulator } from './helpers.js';

async function session(seed: number) {
  const ai = client(await emulator({ seed }));
  const out: unknown[] = [];
  for (const model of ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite']) {
    const res = await ai.models.generateContent({ model, contents: 'Same question every run.' });
    out.push({
      text: res.text,
      usage: res.usageMetadata,
      id: res.responseId,
      finish: res.candidates?.[0]?.finishReason,
    });
  }
  const chunks: unknown[] = [];
  for await (const chunk of await ai.models.generateContentStream({
    model: 'gemini-2.5-flash',
    contents: 'stream',
  })) {
    chunks.push({ text: chunk.text, usage: chunk.usageMetadata, id: chunk.responseId });
  }
  out.push(chunks);
  const call = await ai.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: 'call',
    config: {
      tools: [
        {
          functionDeclarations: [
            {
              name: 'f',
              parametersJsonSchema: { type: 'object', properties: { n: { type: 'integer' } } },
            },
          ],
        },
      ],
    },
  });
  out.push(call.functionCalls);
  const batch = await ai.batches.create({
    model: 'gemini-2.5-flash',
    src: [{ contents: [{ role: 'user', parts: [{ text: 'b' }] }] }],
  });
  out.push(batch.name);
  const file = await ai.files.upload({ file: new Blob(['x'], { type: 'text/plain' }) });
  out.push(file.name);
  return out;
}

describe('determinism by seed', () => {
  it('replays the same answers, ids, usage and chunks for the same seed, and differs for another', async () => {
    const first = await session(11);
    expect(await session(11)).toEqual(first);
    const other = await session(12);
    expect(other).not.toEqual(first);
    expect((other[0] as { text: string }).text).not.toBe((first[0] as { text: string }).text);
  });
});
