import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, type GenerateContentResponse } from '@google/genai';
import { describe, expect, it } from 'vitest';
import {
  JobCancelledError,
  JobInputChangedError,
  JobNotResumableError,
  JobOutputExistsError,
  type JobProgress,
  type JobResult,
  type ReplayableJobSource,
  readJsonl,
  runJob,
} from '../../src/index.js';
import {
  echoExecutor,
  fakeResponse,
  MODEL,
  readResults,
  requestLine,
  requestLines,
  turns,
  useTempDir,
  writeInput,
} from './support/job-files.js';

const temp = useTempDir();

const byLine = (results: JobResult[]) => [...results].sort((a, b) => a.line - b.line);

describe('runJob: results', () => {
  it('writes one line per input line: id, line, response, usage, costUsd, attempts', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(5));
    const output = join(temp.dir, 'out.jsonl');
    const seen: JobResult[] = [];
    const job = runJob(
      input,
      async (request, { id, onAttempt }) => {
        onAttempt(1);
        expect(request).toEqual({ model: MODEL, contents: `prompt ${id}` });
        // The SDK's HTTP metadata (headers) rides on the response; it must not reach the output.
        return Object.assign(fakeResponse(id), {
          sdkHttpResponse: { headers: { 'x-secret': 'not for the output' } },
        }) as unknown as GenerateContentResponse;
      },
      { output, cost: (response) => (response.usageMetadata?.promptTokenCount ?? 0) / 1000 },
    ).on('result', (r) => seen.push(r));
    const summary = await job.done;

    const results = await readResults(output);
    expect(byLine(results).map((r) => [r.id, r.line])).toEqual([
      ['r1', 1],
      ['r2', 2],
      ['r3', 3],
      ['r4', 4],
      ['r5', 5],
    ]);
    const first = results.find((r) => r.id === 'r1');
    expect(first).toEqual({
      id: 'r1',
      line: 1,
      response: {
        candidates: [{ content: { role: 'model', parts: [{ text: 'answer r1' }] } }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
        modelVersion: MODEL,
      },
      usage: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
      costUsd: 0.01,
      attempts: 1,
    });
    expect(await readFile(output, 'utf8')).not.toContain('x-secret');
    expect(seen).toHaveLength(5);
    expect(summary).toMatchObject({ done: 5, failed: 0, written: 5, tokens: 75, resumed: false });
    expect(summary.costUsd).toBeCloseTo(0.05, 10);
  });

  it('prices results with the built-in table by default, null for an unknown model', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), [
      requestLine('known'),
      JSON.stringify({ id: 'unknown', request: { model: 'no-such-model', contents: 'x' } }),
    ]);
    const output = join(temp.dir, 'out.jsonl');
    await runJob(input, echoExecutor(), { output }).done;
    const results = byLine(await readResults(output));
    expect(results[0]?.costUsd).toBeGreaterThan(0);
    expect(results[1]?.costUsd).toBeNull();
  });

  it('turns malformed lines into invalid_input results with their line numbers', async () => {
    const input = join(temp.dir, 'in.jsonl');
    await writeFile(
      input,
      [
        requestLine('a'),
        '{"id": "broken", "request": ',
        '',
        '   ',
        JSON.stringify({ request: { model: MODEL, contents: 'no id' } }),
        JSON.stringify({ id: 'no-request' }),
        JSON.stringify({ id: 'no-model', request: { contents: 'x' } }),
        JSON.stringify({ id: 'no-contents', request: { model: MODEL } }),
        '[1, 2]',
        JSON.stringify({ id: 42, request: { model: MODEL, contents: 'numeric id' } }),
        `${requestLine('crlf')}\r`,
        requestLine('last-without-newline'),
      ].join('\n'),
    );
    const output = join(temp.dir, 'out.jsonl');
    const calls: string[] = [];
    const summary = await runJob(input, echoExecutor(calls), { output }).done;

    const results = byLine(await readResults(output));
    expect(results.map((r) => [r.line, r.id, r.error?.type ?? 'ok'])).toEqual([
      [1, 'a', 'ok'],
      [2, 'line:2', 'invalid_input'],
      [5, 'line:5', 'invalid_input'],
      [6, 'no-request', 'invalid_input'],
      [7, 'no-model', 'invalid_input'],
      [8, 'no-contents', 'invalid_input'],
      [9, 'line:9', 'invalid_input'],
      [10, '42', 'ok'],
      [11, 'crlf', 'ok'],
      [12, 'last-without-newline', 'ok'],
    ]);
    const message = (line: number) => results.find((r) => r.line === line)?.error?.message;
    expect(message(2)).toMatch(/^line 2 is not valid JSON/);
    expect(message(5)).toBe('line 5: "id" must be a non-empty string or a number (got none)');
    expect(message(6)).toBe('line 6: "request" must be an object (got none)');
    expect(message(7)).toBe('line 7: "request.model" must be a non-empty string');
    expect(message(8)).toBe('line 8: "request.contents" is missing');
    expect(message(9)).toBe('line 9 is an array, not an object');
    expect(results.find((r) => r.line === 2)).toMatchObject({
      attempts: 0,
      usage: null,
      costUsd: null,
    });
    expect(calls.sort()).toEqual(['42', 'a', 'crlf', 'last-without-newline']);
    expect(summary).toMatchObject({ done: 10, failed: 6 });
  });

  it('cuts a line longer than maxLineBytes into an invalid_input result without buffering it', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), [
      requestLine('short'),
      requestLine('long', 'x'.repeat(5000)),
      requestLine('after'),
    ]);
    const output = join(temp.dir, 'out.jsonl');
    await runJob(input, echoExecutor(), { output, maxLineBytes: 1000 }).done;
    const results = byLine(await readResults(output));
    expect(results.map((r) => [r.id, r.error?.type ?? 'ok'])).toEqual([
      ['short', 'ok'],
      ['line:2', 'invalid_input'],
      ['after', 'ok'],
    ]);
    expect(results[1]?.error?.message).toMatch(
      /^line 2 is \d+ bytes, more than maxLineBytes 1000$/,
    );
  });

  it('gives a repeated id a duplicate_id error keyed line:<n>, never a second result under the id', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), [
      requestLine('a'),
      requestLine('b'),
      requestLine('a', 'again'),
      JSON.stringify({ id: 'c', request: 'not an object' }),
      requestLine('c'),
      requestLine('d'),
    ]);
    const output = join(temp.dir, 'out.jsonl');
    const calls: string[] = [];
    await runJob(input, echoExecutor(calls), { output }).done;
    const results = byLine(await readResults(output));
    expect(results.map((r) => [r.line, r.id, r.error?.type ?? 'ok'])).toEqual([
      [1, 'a', 'ok'],
      [2, 'b', 'ok'],
      [3, 'line:3', 'duplicate_id'],
      [4, 'c', 'invalid_input'],
      [5, 'line:5', 'duplicate_id'],
      [6, 'd', 'ok'],
    ]);
    expect(results[2]?.error?.message).toBe('line 3 repeats the id "a" of line 1');
    expect(calls.sort()).toEqual(['a', 'b', 'd']);
  });

  it('records executor failures with the upstream error type and HTTP status', async () => {
    const quotaBody = JSON.stringify({
      error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' },
    });
    const failures: Record<string, unknown> = {
      quota: new ApiError({ message: quotaBody, status: 429 }),
      unavailable: new ApiError({ message: 'Service Unavailable', status: 503 }),
      reset: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }),
      bug: new Error('executor bug'),
      thrown: 'a string',
    };
    const input = await writeInput(
      join(temp.dir, 'in.jsonl'),
      Object.keys(failures).map((id) => requestLine(id)),
    );
    const output = join(temp.dir, 'out.jsonl');
    const summary = await runJob(
      input,
      async (_request, { id }) => {
        throw failures[id];
      },
      { output },
    ).done;
    const errors = Object.fromEntries((await readResults(output)).map((r) => [r.id, r.error]));
    expect(errors).toEqual({
      quota: { type: 'RESOURCE_EXHAUSTED', message: quotaBody, status: 429 },
      unavailable: { type: '503', message: 'Service Unavailable', status: 503 },
      reset: { type: 'connection_error', message: 'fetch failed' },
      bug: { type: '_OTHER', message: 'executor bug' },
      thrown: { type: '_OTHER', message: 'a string' },
    });
    expect(summary).toMatchObject({ done: 5, failed: 5, costUsd: 0 });
  });

  it('counts attempts from onAttempt, or from an attempts field on the error', async () => {
    const input = await writeInput(
      join(temp.dir, 'in.jsonl'),
      ['three', 'silent', 'fails-after-two', 'error-says-five'].map((id) => requestLine(id)),
    );
    const output = join(temp.dir, 'out.jsonl');
    await runJob(
      input,
      async (_request, { id, onAttempt }) => {
        if (id === 'three') {
          for (const n of [1, 2, 3]) onAttempt(n);
          return fakeResponse(id);
        }
        if (id === 'silent') return fakeResponse(id);
        if (id === 'fails-after-two') {
          onAttempt(1);
          onAttempt(2);
          throw new ApiError({ message: 'overloaded', status: 503 });
        }
        throw Object.assign(new Error('gave up'), { attempts: 5 });
      },
      { output },
    ).done;
    const attempts = Object.fromEntries((await readResults(output)).map((r) => [r.id, r.attempts]));
    expect(attempts).toEqual({ three: 3, silent: 1, 'fails-after-two': 2, 'error-says-five': 5 });
  });
});

describe('runJob: concurrency', () => {
  /** An executor that holds each call for a few event-loop turns and records calls in flight. */
  function tracking(phase: () => 'low' | 'high' = () => 'low') {
    const seen = { current: 0, max: { low: 0, high: 0 } };
    const execute = async (_r: unknown, { id }: { id: string }) => {
      seen.current += 1;
      const p = phase();
      seen.max[p] = Math.max(seen.max[p], seen.current);
      await turns(1 + (Number(id.slice(1)) % 4));
      seen.current -= 1;
      return fakeResponse(id);
    };
    return { seen, execute };
  }

  it('keeps at most `concurrency` calls in flight', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(60));
    const { seen, execute } = tracking();
    await runJob(input, execute, { output: join(temp.dir, 'out.jsonl'), concurrency: 3 }).done;
    expect(seen.max.low).toBe(3);
  });

  it('reads a concurrency function before each start, capped by maxInFlight', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(200));
    let done = 0;
    const phase = () => (done < 60 ? 'low' : 'high');
    const { seen, execute } = tracking(phase);
    const job = runJob(input, execute, {
      output: join(temp.dir, 'out.jsonl'),
      concurrency: () => (phase() === 'low' ? 2 : 50),
      maxInFlight: 6,
    }).on('result', () => {
      done += 1;
    });
    await job.done;
    expect(seen.max.low).toBe(2);
    expect(seen.max.high).toBe(6);
  });
});

describe('runJob: progress', () => {
  it('reports done, failed, in flight, tokens per second, cost and ETA, and once more at the end', async () => {
    const lines = [...requestLines(30), '{not json'];
    const input = await writeInput(join(temp.dir, 'in.jsonl'), lines);
    const events: JobProgress[] = [];
    const execute = async (_r: unknown, { id }: { id: string }) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return fakeResponse(id);
    };
    const job = runJob(input, execute, {
      output: join(temp.dir, 'out.jsonl'),
      concurrency: 2,
      progressIntervalMs: 1,
      cost: () => 0.5,
    }).on('progress', (p) => events.push(p));
    await job.done;
    const size = (await stat(input)).size;
    const last = events.at(-1);
    expect(last).toEqual({
      done: 31,
      failed: 1,
      inFlight: 0,
      tokensPerSecond: expect.any(Number),
      costUsd: 15,
      etaMs: 0,
      bytesRead: size,
      totalBytes: size,
    });
    expect(last?.tokensPerSecond).toBeGreaterThan(0);
    expect(job.progress().done).toBe(31);
    // Several events along the way, counts never going back.
    expect(events.length).toBeGreaterThan(2);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.done).toBeGreaterThanOrEqual(events[i - 1]?.done ?? 0);
    }
    expect(events.some((p) => p.inFlight > 0 && p.etaMs !== undefined && p.etaMs > 0)).toBe(true);
  });
});

describe('runJob: sources', () => {
  it('runs an iterable, which cannot have a checkpoint', async () => {
    const items = [
      { id: 'x', request: { model: MODEL, contents: 'x' } },
      { id: 'y' },
      { id: 'z', request: { model: MODEL, contents: 'z' } },
    ];
    expect(() =>
      runJob(items, echoExecutor(), {
        output: join(temp.dir, 'out.jsonl'),
        checkpoint: join(temp.dir, 'c'),
      }),
    ).toThrow(JobNotResumableError);
    async function* generate() {
      yield* items;
    }
    const output = join(temp.dir, 'out.jsonl');
    const events: JobProgress[] = [];
    const summary = await runJob(generate(), echoExecutor(), { output }).on('progress', (p) =>
      events.push(p),
    ).done;
    expect(summary.checkpoint).toBeUndefined();
    expect(byLine(await readResults(output)).map((r) => [r.line, r.id, r.error?.type])).toEqual([
      [1, 'x', undefined],
      [2, 'y', 'invalid_input'],
      [3, 'z', undefined],
    ]);
    expect(events.at(-1)?.etaMs).toBeUndefined();
    await expect(stat(`${output}.ckpt`)).rejects.toThrow('ENOENT');
  });

  it('resumes a ReplayableJobSource from the item it stopped at', async () => {
    const all = requestLines(40).map((line) => JSON.parse(line) as unknown);
    const replays: number[] = [];
    const source: ReplayableJobSource = {
      identity: 'forty-items',
      replayFrom(position) {
        replays.push(position);
        return all.slice(position);
      },
    };
    const output = join(temp.dir, 'out.jsonl');
    const first = runJob(source, echoExecutor(), { output, concurrency: 1 });
    first.on('result', (r) => {
      if (r.line === 15) first.cancel();
    });
    const cancelled = await first.done.catch((e: unknown) => e);
    expect(cancelled).toBeInstanceOf(JobCancelledError);
    // Results already queued with the 15th are written too: in order, so the watermark is there.
    const { done } = (cancelled as JobCancelledError).summary;
    expect(done).toBeGreaterThanOrEqual(15);
    expect(done).toBeLessThan(40);
    const calls: string[] = [];
    const summary = await runJob(source, echoExecutor(calls), { output }).done;
    expect(replays).toEqual([0, done]);
    expect(calls).toHaveLength(40 - done);
    expect(summary).toMatchObject({ done: 40, resumed: true, written: 40 - done });
    const lines = (await readResults(output)).map((r) => r.line).sort((a, b) => a - b);
    expect(lines).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('readJsonl(path) is a resumable file source and iterates checked records', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), [requestLine('a'), 'nope']);
    const records = [];
    for await (const record of readJsonl(input)) records.push(record);
    expect(records).toEqual([
      { line: 1, id: 'a', request: { model: MODEL, contents: 'prompt a' } },
      { line: 2, id: undefined, invalid: expect.stringMatching(/^line 2 is not valid JSON/) },
    ]);
    const summary = await runJob(readJsonl(input), echoExecutor(), {
      output: join(temp.dir, 'out.jsonl'),
    }).done;
    expect(summary.checkpoint).toBe(join(temp.dir, 'out.jsonl.ckpt'));
  });
});

describe('runJob: starting and refusing', () => {
  it('refuses to clobber an output it has no checkpoint for; overwrite starts over', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(3));
    const output = join(temp.dir, 'out.jsonl');
    await writeFile(output, '{"something":"else"}\n');
    const refused = runJob(input, echoExecutor(), { output }).done;
    await expect(refused).rejects.toBeInstanceOf(JobOutputExistsError);
    await expect(refused).rejects.toMatchObject({ code: 'ERR_JOB_OUTPUT_EXISTS', output });
    expect(await readFile(output, 'utf8')).toBe('{"something":"else"}\n');

    await runJob(input, echoExecutor(), { output, overwrite: true }).done;
    expect((await readResults(output)).map((r) => r.id).sort()).toEqual(['r1', 'r2', 'r3']);
  });

  it('resume: false refuses an existing checkpoint; a completed job run again does nothing', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(3));
    const output = join(temp.dir, 'out.jsonl');
    await runJob(input, echoExecutor(), { output }).done;
    const before = await readFile(output, 'utf8');

    await expect(
      runJob(input, echoExecutor(), { output, resume: false }).done,
    ).rejects.toBeInstanceOf(JobOutputExistsError);

    const calls: string[] = [];
    const again = await runJob(input, echoExecutor(calls), { output }).done;
    expect(calls).toEqual([]);
    expect(again).toMatchObject({ done: 3, written: 0, resumed: true });
    expect(await readFile(output, 'utf8')).toBe(before);
  });

  it('refuses to resume against a changed input', async () => {
    const input = await writeInput(join(temp.dir, 'in.jsonl'), requestLines(3));
    const output = join(temp.dir, 'out.jsonl');
    await runJob(input, echoExecutor(), { output }).done;
    await writeInput(input, requestLines(4));
    const changed = runJob(input, echoExecutor(), { output }).done;
    await expect(changed).rejects.toBeInstanceOf(JobInputChangedError);
    await expect(changed).rejects.toThrow(/its size was \d+ bytes, now \d+/);
    // Same size, different content.
    await writeInput(input, requestLines(3, 'q'));
    await expect(runJob(input, echoExecutor(), { output }).done).rejects.toThrow(
      'its first or last 64 KiB changed',
    );
  });

  it('rejects invalid options at once, naming the field', () => {
    const output = join(temp.dir, 'out.jsonl');
    expect(() => runJob('in.jsonl', echoExecutor(), { output, concurrency: 0 })).toThrow(
      'runJob: options.concurrency must be an integer >= 1 (got 0)',
    );
    expect(() =>
      runJob('in.jsonl', echoExecutor(), { output, maxInFlight: 8, maxWindow: 4 }),
    ).toThrow('runJob: options.maxWindow must be >= maxInFlight 8 (got 4)');
    expect(() => runJob(42 as unknown as string, echoExecutor(), { output })).toThrow(TypeError);
  });
});
