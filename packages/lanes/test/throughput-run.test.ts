import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThroughputLane, type JobResult } from '../src/index.js';
import { metricsHarness } from './support/metrics.js';

const model = 'gemini-2.5-flash-lite';

describe('throughput lane run(): a JSONL job through the lane', () => {
  let upstream: EmulatorHandle;
  let dir: string;
  beforeAll(async () => {
    // 5% 503s and 2% resets: every line must still get exactly one result.
    upstream = await startEmulator({
      profile: 'zero',
      seed: 21,
      faults: { rates: { '503': 0.05, reset: 0.02 } },
    });
    dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-run-'));
  });
  afterAll(async () => {
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every line once through faults, prices it, counts attempts and job items', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    const lines = Array.from({ length: 150 }, (_, i) =>
      JSON.stringify({
        id: `doc-${i}`,
        request: {
          model,
          contents: `summarise document ${i}`,
          config: { maxOutputTokens: 16, thinkingConfig: { thinkingBudget: 0 } },
        },
      }),
    );
    // One malformed line in the middle becomes an error result with its line number.
    lines.splice(75, 0, '{"id": "broken", "request": ');
    await writeFile(input, `${lines.join('\n')}\n`);
    const h = metricsHarness({
      lanes: {
        latency: { models: [model] },
        throughput: {
          models: [model],
          concurrency: { min: 1, max: 16, initial: 8 },
          retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 10, budget: 1 },
        },
      },
      quota: { models: { [model]: { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 } } },
    });
    const lane = createThroughputLane(h.config.lanes.throughput, {
      apiKey: 'test-key',
      baseUrl: upstream.url,
      telemetry: h.telemetry,
    });
    try {
      const job = lane.run(input, { output, fsync: false });
      const summary = await job.done;
      expect(summary).toMatchObject({ done: 151, failed: 1, resumed: false });
      const results = (await readFile(output, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as JobResult);
      expect(results).toHaveLength(151);
      const ids = results.map((r) => r.id);
      expect(new Set(ids).size).toBe(151);
      for (let i = 0; i < 150; i++) expect(ids).toContain(`doc-${i}`);
      const broken = results.find((r) => r.error !== undefined);
      expect(broken).toMatchObject({ line: 76, error: { type: 'invalid_input' }, attempts: 0 });
      const answered = results.filter((r) => r.response !== undefined);
      expect(answered).toHaveLength(150);
      // The faults made some lines take more than one attempt, and each is priced.
      expect(answered.some((r) => r.attempts > 1)).toBe(true);
      for (const r of answered) expect(r.costUsd).toBeGreaterThan(0);
      expect(
        await h.value('gemini_lanes.job.items', {
          'gemini_lanes.lane': 'throughput',
          'gemini_lanes.item.state': 'completed',
        }),
      ).toBe(150);
      expect(
        await h.value('gemini_lanes.job.items', {
          'gemini_lanes.lane': 'throughput',
          'gemini_lanes.item.state': 'failed',
        }),
      ).toBe(1);
    } finally {
      await lane.close();
    }
  });
});
