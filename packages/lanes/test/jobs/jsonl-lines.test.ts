import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RawLine, readLineBatches } from '../../src/jobs/jsonl-lines.js';
import { useTempDir } from './support/job-files.js';

const temp = useTempDir();

async function lines(
  content: string,
  options: { from?: { offset: number; line: number }; maxLineBytes?: number; chunkBytes?: number },
): Promise<RawLine[]> {
  const path = join(temp.dir, 'f.jsonl');
  await writeFile(path, content);
  const file = await open(path, 'r');
  try {
    const out: RawLine[] = [];
    for await (const batch of readLineBatches(file, {
      from: options.from ?? { offset: 0, line: 0 },
      maxLineBytes: options.maxLineBytes ?? 1000,
      ...(options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes }),
    })) {
      expect(batch.length).toBeGreaterThan(0);
      out.push(...batch);
    }
    return out;
  } finally {
    await file.close();
  }
}

describe('readLineBatches', () => {
  const content = 'héllo\r\n\nwörld, a longer line\nlast';

  it('gives each line its number, byte offsets and text, across chunk boundaries', async () => {
    for (const chunkBytes of [3, 7, 64 * 1024]) {
      const got = await lines(content, { chunkBytes });
      expect(got).toEqual([
        { number: 1, start: 0, end: 8, text: 'héllo', bytes: 7, terminated: true },
        { number: 2, start: 8, end: 9, text: '', bytes: 0, terminated: true },
        {
          number: 3,
          start: 9,
          end: 31,
          text: 'wörld, a longer line',
          bytes: 21,
          terminated: true,
        },
        { number: 4, start: 31, end: 35, text: 'last', bytes: 4, terminated: false },
      ]);
    }
  });

  it('starts at a recorded offset and line number', async () => {
    const got = await lines(content, { from: { offset: 9, line: 2 }, chunkBytes: 5 });
    expect(got.map((l) => [l.number, l.start, l.text])).toEqual([
      [3, 9, 'wörld, a longer line'],
      [4, 31, 'last'],
    ]);
  });

  it('yields a line over the limit without its text, and goes on after it', async () => {
    for (const chunkBytes of [4, 1024]) {
      const got = await lines(`ok\n${'x'.repeat(50)}\nnext\n${'y'.repeat(40)}`, {
        maxLineBytes: 10,
        chunkBytes,
      });
      expect(got.map((l) => [l.number, l.text, l.bytes, l.end, l.terminated])).toEqual([
        [1, 'ok', 2, 3, true],
        [2, undefined, 50, 54, true],
        [3, 'next', 4, 59, true],
        [4, undefined, 40, 99, false],
      ]);
    }
  });

  it('reads nothing from an empty file, and nothing extra after a final newline', async () => {
    expect(await lines('', {})).toEqual([]);
    expect((await lines('a\n', {})).map((l) => l.text)).toEqual(['a']);
  });
});
