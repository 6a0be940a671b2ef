import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import {
  createQuotaLimiter,
  createThroughputLane,
  JobCancelledError,
  type ThroughputLane,
} from '@gemini-lanes/lanes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summariseDocuments } from '../src/index.js';

const SAMPLE = fileURLToPath(new URL('../data/documents.jsonl', import.meta.url));

async function jsonLines(path: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('batch summariser', () => {
  let emulator: EmulatorHandle;
  let lane: ThroughputLane;
  let dir: string;

  beforeAll(async () => {
    // No latency model but a 10 ms first token: the job takes long enough to stop it midway.
    emulator = await startEmulator({
      profile: 'zero',
      seed: 3,
      models: { 'gemini-2.5-flash': { ttftMs: { median: 10, p95: 15 } } },
    });
    const config = defineConfig({
      quota: {
        models: { 'gemini-2.5-flash': { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 } },
      },
      lanes: { throughput: { concurrency: { initial: 8, max: 16 } } },
    });
    lane = createThroughputLane(config.lanes.throughput, {
      apiKey: 'test-key',
      baseUrl: emulator.url,
      quota: createQuotaLimiter(config.quota),
    });
    dir = await mkdtemp(join(tmpdir(), 'batch-summariser-'));
  });

  afterAll(async () => {
    await lane?.close();
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops midway on its signal, and the same run continues with exactly one result per document', async () => {
    const output = join(dir, 'out', 'summaries.jsonl');
    const stop = new AbortController();
    let seen = 0;
    const first = summariseDocuments({
      input: SAMPLE,
      output,
      lane,
      signal: stop.signal,
      onResult: () => {
        seen += 1;
        if (seen === 50) stop.abort(new Error('Ctrl-C'));
      },
    });
    const cancelled = await first.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(cancelled).toBeInstanceOf(JobCancelledError);
    const stoppedAt = (cancelled as JobCancelledError).summary.done;
    expect(stoppedAt).toBeGreaterThanOrEqual(50);
    expect(stoppedAt).toBeLessThan(200);
    expect(await jsonLines(output)).toHaveLength(stoppedAt);

    const progress: number[] = [];
    const second = await summariseDocuments({
      input: SAMPLE,
      output,
      lane,
      onProgress: (p) => progress.push(p.total),
    });
    expect(second.documents).toBe(200);
    expect(second.invalid).toBe(0);
    expect(second.summary).toMatchObject({ resumed: true, done: 200, failed: 0 });
    expect(second.summary.written).toBe(200 - stoppedAt);

    const documents = await jsonLines(SAMPLE);
    const results = await jsonLines(output);
    expect(results).toHaveLength(200);
    expect(results.map((r) => r.id).sort()).toEqual(documents.map((d) => d.id).sort());
    for (const result of results) {
      expect(result.error).toBeUndefined();
      const response = result.response as {
        candidates: Array<{ content: { parts: Array<{ text: string }> } }>;
      };
      expect(response.candidates[0]?.content.parts[0]?.text).toMatch(/\w/);
    }
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((total) => total === 200)).toBe(true);

    // A third run finds the job complete and sends nothing.
    const before = emulator.stats().requests;
    const third = await summariseDocuments({ input: SAMPLE, output, lane });
    expect(third.summary).toMatchObject({ resumed: true, done: 200, written: 0 });
    expect(emulator.stats().requests).toBe(before);
  });
});
