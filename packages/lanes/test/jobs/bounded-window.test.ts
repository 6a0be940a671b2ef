import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JobExecutor, runJob } from '../../src/index.js';
import type { JobCheckpoint } from '../../src/jobs/job-checkpoint.js';
import {
  fakeResponse,
  prng,
  readResults,
  requestLines,
  useTempDir,
  writeInput,
} from './support/job-files.js';

const temp = useTempDir();

describe('runJob: bounded memory', () => {
  it('never holds more than maxWindow lines past the watermark over 20,000 lines', async () => {
    const n = 20_000;
    const maxWindow = 32;
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(n));
    const output = join(temp.dir, 'out.jsonl');
    const random = prng(42);
    // Lines finish out of order, and now and then one is much slower than the rest.
    const execute: JobExecutor = async (_request, { id }) => {
      const r = random();
      const hops = r < 0.01 ? 200 : Math.floor(r * 6);
      for (let i = 0; i < hops; i++) await new Promise((resolve) => setImmediate(resolve));
      return fakeResponse(id);
    };

    const done = new Set<number>();
    let watermark = 0;
    let widest = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    let checkpointsSeen = 0;
    let largestDoneAfter = 0;
    const job = runJob(
      input,
      async (request, context) => {
        // Lines watermark+1 .. context.line are all held by the runner now.
        widest = Math.max(widest, context.line - watermark);
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          return await execute(request, context);
        } finally {
          inFlight -= 1;
        }
      },
      { output, concurrency: 8, maxWindow, checkpointEvery: 50, fsync: false },
    );
    job.on('result', (result) => {
      done.add(result.line);
      while (done.delete(watermark + 1)) watermark += 1;
      if (result.line % 997 === 0) {
        const checkpoint = JSON.parse(readFileSync(`${output}.ckpt`, 'utf8')) as JobCheckpoint;
        checkpointsSeen += 1;
        largestDoneAfter = Math.max(largestDoneAfter, checkpoint.doneAfterWatermark.length);
      }
    });
    const summary = await job.done;

    expect(summary.done).toBe(n);
    expect(widest).toBeLessThanOrEqual(maxWindow);
    // The slow lines did fill the window at times: the bound was exercised, not idle.
    expect(widest).toBe(maxWindow);
    expect(mostInFlight).toBe(8);
    expect(checkpointsSeen).toBeGreaterThan(10);
    expect(largestDoneAfter).toBeLessThan(maxWindow);
    const lines = (await readResults(output)).map((r) => r.line);
    expect(new Set(lines).size).toBe(n);
  }, 60_000);
});
