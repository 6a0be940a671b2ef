import { readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  JobCancelledError,
  JobCheckpointError,
  type JobExecutor,
  type RunJobOptions,
  runJob,
} from '../../src/index.js';
import {
  type JobCheckpoint,
  readCheckpoint,
  writeCheckpoint,
} from '../../src/jobs/job-checkpoint.js';
import { JOB_TEST_HOOKS } from '../../src/jobs/run-job.js';
import {
  deferred,
  echoExecutor,
  fakeResponse,
  readResults,
  requestLines,
  turns,
  until,
  useTempDir,
  writeInput,
} from './support/job-files.js';

const temp = useTempDir();

/** Exactly one result line per input line 1..n, every line whole JSON. */
async function expectExactlyOnce(output: string, n: number): Promise<void> {
  const text = await readFile(output, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = (await readResults(output)).map((r) => r.line).sort((a, b) => a - b);
  expect(lines).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

describe('runJob: cancel and resume', () => {
  it('cancel aborts calls in flight, writes no result for them, and a resume finishes the rest', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(50));
    const output = join(temp.dir, 'out.jsonl');
    const aborted: string[] = [];
    const execute: JobExecutor = (_request, { id, signal }) => {
      if (Number(id.slice(1)) <= 10) return Promise.resolve(fakeResponse(id));
      // The rest hang until aborted, as a real call would.
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted.push(id);
          reject(signal.reason);
        });
      });
    };
    const controller = new AbortController();
    const job = runJob(input, execute, { output, concurrency: 4, signal: controller.signal });
    await until(() => job.progress().done === 10 && job.progress().inFlight === 4);
    controller.abort(new Error('operator said stop'));
    const error = await job.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobCancelledError);
    expect(error).toMatchObject({
      code: 'ERR_JOB_CANCELLED',
      summary: { done: 10, written: 10 },
      cause: new Error('operator said stop'),
    });
    expect(aborted.sort()).toEqual(['r11', 'r12', 'r13', 'r14']);
    // No result for the aborted calls: they were not answered.
    expect((await readResults(output)).map((r) => r.id).sort()).toEqual([
      'r1',
      'r10',
      'r2',
      'r3',
      'r4',
      'r5',
      'r6',
      'r7',
      'r8',
      'r9',
    ]);
    const checkpoint = await readCheckpoint(`${output}.ckpt`);
    expect(checkpoint).toMatchObject({ state: 'running', watermark: { line: 10 } });

    const calls: string[] = [];
    const summary = await runJob(input, echoExecutor(calls), { output }).done;
    expect(calls).toHaveLength(40);
    expect(calls).not.toContain('r10');
    expect(summary).toMatchObject({ done: 50, written: 40, resumed: true });
    await expectExactlyOnce(output, 50);
  });

  it('finds results written after the last checkpoint by scanning the output, and does not run them again', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(60));
    const output = join(temp.dir, 'out.jsonl');
    const checkpointPath = `${output}.ckpt`;
    // Out-of-order completions, so some lines past the watermark are done at each checkpoint.
    const execute: JobExecutor = async (_request, { id }) => {
      await turns(Number(id.slice(1)) % 5);
      return fakeResponse(id);
    };
    let stale: string | undefined;
    const job = runJob(input, execute, { output, concurrency: 5, checkpointEvery: 1 });
    job.on('result', () => {
      // A checkpoint from the middle of the run, as a crash right after it would leave.
      if (job.progress().done === 17) stale = readFileSync(checkpointPath, 'utf8');
    });
    await job.done;
    const complete = await readFile(output, 'utf8');
    expect(stale).toBeDefined();
    const staleCheckpoint = JSON.parse(stale as string) as JobCheckpoint;
    expect(staleCheckpoint.outputBytes).toBeLessThan(complete.length);

    await writeFile(checkpointPath, stale as string);
    const calls: string[] = [];
    const summary = await runJob(input, echoExecutor(calls), { output }).done;
    expect(calls).toEqual([]);
    expect(summary).toMatchObject({ done: 60, written: 0, resumed: true });
    expect(await readFile(output, 'utf8')).toBe(complete);
  });

  it('keeps claiming lines an earlier run finished until it reads them again', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(60));
    const output = join(temp.dir, 'out.jsonl');
    const checkpointPath = `${output}.ckpt`;
    let stale: string | undefined;
    const first = runJob(input, echoExecutor(), { output, concurrency: 1, checkpointEvery: 1 });
    first.on('result', () => {
      if (first.progress().done === 5) stale = readFileSync(checkpointPath, 'utf8');
    });
    await first.done;
    // As if the first run had crashed after writing the results of lines 30 and up but not
    // those of the lines between its checkpoint and line 30.
    const { outputBytes } = JSON.parse(stale as string) as JobCheckpoint;
    const text = await readFile(output, 'utf8');
    const ahead = text
      .slice(outputBytes)
      .split('\n')
      .filter((line) => line !== '' && (JSON.parse(line) as { line: number }).line >= 30);
    await writeFile(output, `${text.slice(0, outputBytes)}${ahead.join('\n')}\n`);
    await writeFile(checkpointPath, stale as string);

    // A second run does a few of the missing lines and stops with a checkpoint, before it has
    // read as far as line 30.
    const second = runJob(input, echoExecutor(), { output, concurrency: 1, checkpointEvery: 1 });
    second.on('result', (r) => {
      if (r.line >= 8) second.cancel();
    });
    await expect(second.done).rejects.toBeInstanceOf(JobCancelledError);
    const checkpoint = await readCheckpoint(checkpointPath);
    expect(checkpoint?.doneAfterWatermark).toEqual(expect.arrayContaining([30, 45, 60]));

    const calls: string[] = [];
    await runJob(input, echoExecutor(calls), { output }).done;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((id) => Number(id.slice(1)) >= 30)).toEqual([]);
    await expectExactlyOnce(output, 60);
  });

  it('cuts a torn last line (the test hook dies halfway through a write) and runs that line again', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(20));
    const output = join(temp.dir, 'out.jsonl');
    let torn = false;
    const options = {
      output,
      concurrency: 1,
      [JOB_TEST_HOOKS]: { tearWrite: { at: 7, onTorn: () => (torn = true) } },
    } as RunJobOptions;
    await expect(runJob(input, echoExecutor(), options).done).rejects.toThrow(
      'test hook: the write of result line 7 was torn',
    );
    expect(torn).toBe(true);
    const text = await readFile(output, 'utf8');
    expect(text.endsWith('\n')).toBe(false);
    const size = text.length;

    const calls: string[] = [];
    const summary = await runJob(input, echoExecutor(calls), { output }).done;
    expect(calls).toContain('r7');
    expect(calls).toHaveLength(14);
    expect(summary).toMatchObject({ done: 20, written: 14 });
    await expectExactlyOnce(output, 20);
    expect((await stat(output)).size).toBeGreaterThan(size);
  });

  it('cuts a torn tail even when the checkpoint is older than the results before it', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(10));
    const output = join(temp.dir, 'out.jsonl');
    const first = runJob(input, echoExecutor(), { output, concurrency: 1 });
    first.on('result', (r) => {
      if (r.line === 4) first.cancel();
    });
    await expect(first.done).rejects.toBeInstanceOf(JobCancelledError);
    const done = (await readResults(output)).length;
    // A result written after the checkpoint, then half of another.
    await appendFile(
      output,
      `${JSON.stringify({ id: `r${done + 1}`, line: done + 1, response: {}, usage: null, costUsd: null, attempts: 1 })}\n{"id":"r${done + 2}","line":${done + 2},"respo`,
    );
    const calls: string[] = [];
    await runJob(input, echoExecutor(calls), { output }).done;
    expect(calls).not.toContain(`r${done + 1}`);
    expect(calls).toContain(`r${done + 2}`);
    await expectExactlyOnce(output, 10);
  });

  it('refuses an output shorter than its checkpoint records', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(10));
    const output = join(temp.dir, 'out.jsonl');
    const first = runJob(input, echoExecutor(), { output, concurrency: 1 });
    first.on('result', (r) => {
      if (r.line === 5) first.cancel();
    });
    await expect(first.done).rejects.toBeInstanceOf(JobCancelledError);
    const text = await readFile(output, 'utf8');
    await writeFile(output, text.slice(0, text.indexOf('\n') + 1));
    const refused = runJob(input, echoExecutor(), { output }).done;
    await expect(refused).rejects.toBeInstanceOf(JobCheckpointError);
    await expect(refused).rejects.toThrow(/has \d+ bytes, but the checkpoint records \d+ bytes/);
  });
});

describe('runJob: the window', () => {
  it('stops reading when the window is full behind one very slow line, and the checkpoint stays bounded', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(100));
    const output = join(temp.dir, 'out.jsonl');
    const slow = deferred();
    const started: number[] = [];
    const execute: JobExecutor = async (_request, { id, line }) => {
      started.push(line);
      if (id === 'r1') await slow.promise;
      return fakeResponse(id);
    };
    const job = runJob(input, execute, {
      output,
      maxInFlight: 4,
      maxWindow: 12,
      checkpointEvery: 1,
    });
    try {
      await until(() => started.length === 12 && job.progress().done === 11);
      // The checkpoint catches up with the 11 results (its writes are asynchronous).
      const doneAfter = async () =>
        ((await readCheckpoint(`${output}.ckpt`))?.doneAfterWatermark ?? []).length;
      await until(async () => (await doneAfter()) === 11);
      await turns(50);
      // Line 1 holds the watermark: lines 1..12 fill the window and nothing more is read.
      expect(started.length).toBe(12);
      expect(Math.max(...started)).toBe(12);
      const checkpoint = await readCheckpoint(`${output}.ckpt`);
      expect(checkpoint?.watermark).toEqual({ position: 0, line: 0 });
      expect(checkpoint?.doneAfterWatermark.sort((a, b) => a - b)).toEqual([
        2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
      ]);
    } finally {
      slow.resolve();
      await job.done;
    }
    expect(started).toHaveLength(100);
    await expectExactlyOnce(output, 100);
  });
});

describe('checkpoint file', () => {
  const checkpoint = (line: number): JobCheckpoint => ({
    kind: 'gemini-lanes/job-checkpoint',
    version: 1,
    state: 'running',
    source: { type: 'replayable', identity: 'x' },
    watermark: { position: line, line },
    doneAfterWatermark: [line + 2],
    outputBytes: line * 100,
    totals: { done: line + 1, failed: 0, costUsd: 0, tokens: 0 },
    updatedAt: new Date(0).toISOString(),
  });

  it('is replaced atomically: a write that fails leaves the previous checkpoint whole', async () => {
    const path = join(temp.dir, 'job.ckpt');
    await writeCheckpoint(path, checkpoint(5), { fsync: true });
    expect(await readCheckpoint(path)).toEqual(checkpoint(5));
    // The temporary file cannot be created: the write fails before the rename.
    await mkdir(`${path}.tmp`);
    await expect(writeCheckpoint(path, checkpoint(9), { fsync: true })).rejects.toThrow('EISDIR');
    expect(await readCheckpoint(path)).toEqual(checkpoint(5));
  });

  it('replaces a temporary file a crash left behind', async () => {
    const path = join(temp.dir, 'job.ckpt');
    await writeFile(`${path}.tmp`, '{"half": ');
    await writeCheckpoint(path, checkpoint(7), { fsync: false });
    expect(await readCheckpoint(path)).toEqual(checkpoint(7));
    await expect(stat(`${path}.tmp`)).rejects.toThrow('ENOENT');
  });

  it('refuses a file that is not a checkpoint, by its path', async () => {
    const path = join(temp.dir, 'job.ckpt');
    await writeFile(path, '{"kind":"something else"}');
    await expect(readCheckpoint(path)).rejects.toThrow(
      `job cannot resume from ${path}: it is not a gemini-lanes job checkpoint`,
    );
    await writeFile(path, '{"kind":"gemini-lanes/job-checkpoint","version":2}');
    await expect(readCheckpoint(path)).rejects.toThrow('unknown checkpoint version 2');
    expect(await readCheckpoint(join(temp.dir, 'absent.ckpt'))).toBeUndefined();
  });
});
