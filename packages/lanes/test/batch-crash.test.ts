import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EmulatorHandle, type EmulatorOptions, startEmulator } from '@gemini-lanes/emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThroughputLane } from '../src/index.js';
import {
  FAST_POLL,
  LANE_CONFIG,
  listBatches,
  readResults,
  requestLines,
  until,
} from './batch/batch-support.js';
import { spawnJobChild } from './jobs/support/job-child.js';
import { metricsHarness } from './support/metrics.js';

const CHILD = fileURLToPath(new URL('./batch/batch-child.mjs', import.meta.url));

let dir: string;
let upstream: EmulatorHandle | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-batch-crash-'));
});
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(batch: NonNullable<EmulatorOptions['batch']>): Promise<EmulatorHandle> {
  upstream = await startEmulator({ speed: 1000, profile: 'zero', quota: false, seed: 3, batch });
  return upstream;
}

/** Resumes the job in this process, through a lane of the package's sources. */
async function resume(emulator: EmulatorHandle, input: string, output: string) {
  const h = metricsHarness(LANE_CONFIG);
  const lane = createThroughputLane(h.config.lanes.throughput, {
    apiKey: 'test-key',
    baseUrl: emulator.url,
    telemetry: h.telemetry,
  });
  try {
    return await lane.run(input, {
      mode: 'batch-api',
      output,
      chunkSize: 3,
      fsync: false,
      ...FAST_POLL,
    }).done;
  } finally {
    await lane.close();
  }
}

async function expectComplete(output: string, ids: string[]): Promise<void> {
  const results = await readResults(output);
  expect(results.map((r) => r.id)).toEqual(ids);
  expect(results.map((r) => r.line)).toEqual(ids.map((_, i) => i + 1));
}

describe('batch-api: a run killed with SIGKILL and resumed pays for no batch twice', () => {
  it('killed right after a create returned, before the checkpoint named the batch: the resume finds it by display name', async () => {
    // Pending for 300 ms: the batches are still queued when the child dies.
    const emulator = await start({ pendingMs: 300_000 });
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, `${requestLines(9).join('\n')}\n`);
    const env = { JOB_INPUT: input, JOB_OUTPUT: output, EMULATOR_URL: emulator.url };

    const killed = await spawnJobChild(CHILD, { ...env, KILL_AFTER_CREATES: '3' }).done;
    expect(killed.signal).toBe('SIGKILL');
    expect(emulator.stats().batchesCreated).toBe(3);
    // The third batch exists at the API, but the checkpoint only has its intent (no name).
    const checkpoint = JSON.parse(await readFile(`${output}.ckpt`, 'utf8'));
    const generations = checkpoint.parts.flatMap(
      (p: { generations: Array<{ name?: string }> }) => p.generations,
    );
    expect(generations).toHaveLength(3);
    expect(
      generations.filter((g: { name?: string }) => g.name === undefined).length,
    ).toBeGreaterThan(0);

    const summary = await resume(emulator, input, output);
    expect(summary).toMatchObject({ done: 9, failed: 0, written: 9, resumed: true });
    expect(emulator.stats().batchesCreated).toBe(3);
    expect(emulator.stats().requestsByRoute['batches.list']).toBe(1);
    await expectComplete(
      output,
      requestLines(9).map((_, i) => `q${i + 1}`),
    );
    expect((await listBatches(emulator)).every((b) => b.displayName.includes(':g0:'))).toBe(true);

    // Done is done: run once more and nothing is sent.
    const again = await resume(emulator, input, output);
    expect(again).toMatchObject({ done: 9, written: 0, resumed: true });
    expect(emulator.stats().batchesCreated).toBe(3);
    await expectComplete(
      output,
      requestLines(9).map((_, i) => `q${i + 1}`),
    );
  });

  it('killed by the parent once every batch is submitted: the resume follows the same batches', async () => {
    const emulator = await start({ pendingMs: 300_000 });
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    await writeFile(input, `${requestLines(8).join('\n')}\n`);
    const env = { JOB_INPUT: input, JOB_OUTPUT: output, EMULATOR_URL: emulator.url };
    const { child, done } = spawnJobChild(CHILD, env);
    await until(() => emulator.stats().batchesCreated === 3);
    // Killed the hard way wherever it is: between a create and its checkpoint, or polling.
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.results).toBe(0);

    const summary = await resume(emulator, input, output);
    expect(summary).toMatchObject({ done: 8, written: 8, resumed: true });
    expect(emulator.stats().batchesCreated).toBe(3);
    await expectComplete(
      output,
      requestLines(8).map((_, i) => `q${i + 1}`),
    );
  });

  it('killed after the first chunk was written: exactly one result per line, still no new batch', async () => {
    // 100 ms per request: chunk 0 has one request (two lines are malformed), the others three.
    const emulator = await start({ pendingMs: 0, minRunningMs: 0, msPerRequest: 100_000 });
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    const lines = requestLines(9);
    lines[1] = '{"id": "q2", "request": ';
    lines[2] = '{"id": "q3"}';
    await writeFile(input, `${lines.join('\n')}\n`);
    const env = { JOB_INPUT: input, JOB_OUTPUT: output, EMULATOR_URL: emulator.url };
    const killed = await spawnJobChild(CHILD, env, (run) => run.results >= 3).done;
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.results).toBeGreaterThanOrEqual(3);
    expect(killed.results).toBeLessThan(9);
    expect(emulator.stats().batchesCreated).toBe(3);

    const summary = await resume(emulator, input, output);
    expect(summary).toMatchObject({ done: 9, failed: 2, resumed: true });
    expect(summary.written).toBe(9 - killed.results);
    expect(emulator.stats().batchesCreated).toBe(3);
    await expectComplete(output, ['q1', 'line:2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9']);
  });
});
