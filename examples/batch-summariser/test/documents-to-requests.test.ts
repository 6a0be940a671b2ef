import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { DocumentsToRequests, summaryRequest } from '../src/index.js';

/** Pipes `input` through the transform in chunks of `size` bytes (cutting lines and characters). */
async function transform(input: string, size: number, options = {}) {
  const bytes = Buffer.from(input, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const stream = new DocumentsToRequests(options);
  const output = await text(Readable.from(chunks).pipe(stream));
  return {
    stream,
    lines: output
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l)),
  };
}

describe('DocumentsToRequests', () => {
  const documents = [
    JSON.stringify({ id: 'a', text: 'Café prices rose 3% in May.' }),
    '',
    JSON.stringify({ id: 7, text: 'Second document.' }),
  ].join('\n');

  it('writes one { id, request } line per document, whatever the chunking', async () => {
    for (const size of [1, 3, 7, 64, 4096]) {
      const { lines, stream } = await transform(documents, size);
      expect(lines).toEqual([
        { id: 'a', request: summaryRequest('Café prices rose 3% in May.') },
        { id: 7, request: summaryRequest('Second document.') },
      ]);
      expect(stream.lines).toBe(2);
      expect(stream.invalid).toBe(0);
    }
    const request = summaryRequest('x', { model: 'gemini-2.5-flash-lite', maxOutputTokens: 64 });
    expect(request.model).toBe('gemini-2.5-flash-lite');
    expect(request.config).toMatchObject({
      maxOutputTokens: 64,
      thinkingConfig: { thinkingBudget: 0 },
    });
    expect(request.contents).toEqual([
      { role: 'user', parts: [{ text: 'Summarise this document in one or two sentences:\n\nx' }] },
    ]);
  });

  it('gives every line that is not a document a line without a request, and reports it', async () => {
    const invalid: Array<[number, string]> = [];
    const input = [
      '{"id":"ok","text":"fine"}\r',
      'not json',
      '{"id":"no-text"}',
      '[1,2]',
      `{"id":"big","text":"${'x'.repeat(200)}"}`,
      '{"id":"last","text":"no newline at the end"}',
    ].join('\n');
    const { lines, stream } = await transform(input, 16, {
      maxLineBytes: 100,
      onInvalid: (line: number, problem: string) => invalid.push([line, problem]),
    });
    expect(lines.map((l) => [l.id, l.request === undefined ? l.problem : 'request'])).toEqual([
      ['ok', 'request'],
      [undefined, 'not valid JSON'],
      ['no-text', '"text" must be a non-empty string'],
      [undefined, 'not a JSON object'],
      // Never held: the id inside it is not read either.
      [undefined, 'longer than maxLineBytes 100'],
      ['last', 'request'],
    ]);
    expect(invalid.map(([line]) => line)).toEqual([2, 3, 4, 5]);
    expect(stream.lines).toBe(6);
    expect(stream.invalid).toBe(4);
  });
});
