import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf, DEFAULT_PRICES } from '@gemini-lanes/core';
import { type EmulatorHandle, type EmulatorOptions, startEmulator } from '@gemini-lanes/emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BATCH_TEST_HOOKS, type BatchTestHooks } from '../src/batch/batch-settings.js';
import {
  createThroughputLane,
  JobCancelledError,
  type JobResult,
  type ThroughputLane,
  type ThroughputRunOptions,
} from '../src/index.js';
import {
  FAST_POLL,
  FLASH,
  LANE_CONFIG,
  LITE,
  listBatches,
  readResults,
  requestLine,
  requestLines,
  until,
} from './batch/batch-support.js';
import { metricsHarness } from './support/metrics.js';

// At speed 1000 a batch is pending 5 ms and runs 5 ms (the emulator's defaults, scaled).
const FAST: EmulatorOptions = { speed: 1000, profile: 'zero', quota: false, seed: 5 };
const DISPLAY_NAME = /^gemini-lanes:[0-9a-f]{12}:\d+\.\d+:g\d+:[0-9a-f]{12}$/;

let dir: string;
const emulators: EmulatorHandle[] = [];
const lanes: ThroughputLane[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-batch-'));
});
afterEach(async () => {
  await Promise.all(lanes.splice(0).map((lane) => lane.close()));
  await Promise.all(emulators.splice(0).map((e) => e.close()));
  await rm(dir, { recursive: true, force: true });
});

async function emulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const handle = await startEmulator({ ...FAST, ...options });
  emulators.push(handle);
  return handle;
}

function setup(upstream: EmulatorHandle) {
  const h = metricsHarness(LANE_CONFIG);
  const lane = createThroughputLane(h.config.lanes.throughput, {
    apiKey: 'test-key',
    baseUrl: upstream.url,
    telemetry: h.telemetry,
  });
  lanes.push(lane);
  return { h, lane };
}

async function input(lines: string[]): Promise<string> {
  const path = join(dir, 'in.jsonl');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

function withHooks(options: ThroughputRunOptions, hooks: BatchTestHooks): ThroughputRunOptions {
  return Object.assign(options, { [BATCH_TEST_HOOKS]: hooks });
}

const text = (r: JobResult) => r.response?.candidates?.[0]?.content?.parts?.[0]?.text;

describe("throughput.run(source, { mode: 'batch-api' }): a job through the Gemini Batch API", () => {
  it('sends inline batches (one per chunk and model) and writes every result in input order, at half price', async () => {
    const upstream = await emulator();
    const { h, lane } = setup(upstream);
    const lines = requestLines(23, true);
    lines.splice(3, 0, '{"id": "broken", "request": ');
    const output = join(dir, 'out.jsonl');
    const job = lane.run(await input(lines), {
      mode: 'batch-api',
      output,
      chunkSize: 10,
      fsync: false,
      ...FAST_POLL,
    });
    const seen: number[] = [];
    job.on('result', (r) => seen.push(r.line));
    const summary = await job.done;

    const results = await readResults(output);
    expect(results.map((r) => r.line)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(seen).toEqual(results.map((r) => r.line));
    expect(results[3]).toMatchObject({
      id: 'line:4',
      error: { type: 'invalid_input' },
      attempts: 0,
    });
    const answered = results.filter((r) => r.response !== undefined);
    expect(answered.map((r) => r.id)).toEqual(Array.from({ length: 23 }, (_, i) => `q${i + 1}`));
    let total = 0;
    for (const r of answered) {
      expect(text(r)).toBeTruthy();
      expect(r.attempts).toBe(1);
      const model = Number(r.id.slice(1)) % 4 === 0 ? FLASH : LITE;
      expect(r.response?.modelVersion).toContain(model);
      // The Batch API tier: exactly half of what the same usage costs through the parallel mode.
      const usage = r.usage ?? {};
      const batch = costOf(usage, model, 'batch', DEFAULT_PRICES);
      const standard = costOf(usage, model, 'standard', DEFAULT_PRICES);
      if (!batch.known || !standard.known) throw new Error(`no price for ${model}`);
      expect(r.costUsd).toBe(batch.usd.total);
      expect(r.costUsd).toBeCloseTo(standard.usd.total / 2, 12);
      total += batch.usd.total;
    }
    expect(summary).toMatchObject({ done: 24, failed: 1, written: 24, resumed: false });
    expect(summary.costUsd).toBeCloseTo(total, 12);

    // Three chunks, each with requests for both models: six inline batches, named by place.
    const batches = await listBatches(upstream);
    expect(batches).toHaveLength(6);
    expect(upstream.stats()).toMatchObject({ batchesCreated: 6, files: 0 });
    expect(upstream.stats().requestsByRoute['files.upload']).toBeUndefined();
    for (const b of batches) {
      expect(b.displayName).toMatch(DISPLAY_NAME);
      expect(b.state).toBe('BATCH_STATE_SUCCEEDED');
    }
    expect(batches.map((b) => b.requestCount).reduce((a, b) => a + b)).toBe(23);

    const batchState = (state: string) => ({ 'gemini_lanes.batch.state': state });
    expect(await h.value('gemini_lanes.batch.jobs', batchState('succeeded'))).toBe(6);
    expect(await h.value('gemini_lanes.batch.jobs', batchState('pending'))).toBe(0);
    expect(await h.value('gemini_lanes.batch.jobs', batchState('running'))).toBe(0);
    expect(await h.value('gemini_lanes.batch.requests', batchState('succeeded'))).toBe(23);
    expect(await h.value('gemini_lanes.batch.requests', batchState('failed'))).toBe(0);
    const tier = { 'gemini_lanes.lane': 'throughput', 'gemini_lanes.pricing.tier': 'batch' };
    expect(await h.value('gemini_lanes.cost', tier)).toBeCloseTo(total, 12);
    expect(await h.value('gemini_lanes.tokens', tier)).toBeGreaterThan(0);
    expect(await h.value('gemini_lanes.cost', { 'gemini_lanes.pricing.tier': 'standard' })).toBe(0);
    expect(
      await h.value('gemini_lanes.job.items', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.item.state': 'completed',
      }),
    ).toBe(23);
    // Batch calls go through the lane's instrumented client.
    expect(
      await h.value('gen_ai.client.operation.duration', {
        'gen_ai.operation.name': 'batch',
        'gemini_lanes.lane': 'throughput',
      }),
    ).toBeGreaterThanOrEqual(6 + 6);
  });

  it('sends requests beyond inlineLimitBytes as a JSONL file through the Files API, and reads the results file', async () => {
    const upstream = await emulator();
    const { h, lane } = setup(upstream);
    const lines = requestLines(12);
    const output = join(dir, 'out.jsonl');
    const summary = await lane.run(await input(lines), {
      mode: 'batch-api',
      output,
      chunkSize: 5,
      inlineLimitBytes: 1,
      fsync: false,
      ...FAST_POLL,
    }).done;
    expect(summary).toMatchObject({ done: 12, failed: 0 });
    const results = await readResults(output);
    expect(results.map((r) => r.id)).toEqual(Array.from({ length: 12 }, (_, i) => `q${i + 1}`));
    for (const r of results) {
      expect(text(r)).toBeTruthy();
      // Decoded by the SDK as an inline answer is: the same fields, nothing from the wire added.
      expect(Object.keys(r.response ?? {}).sort()).toEqual(
        ['candidates', 'modelVersion', 'responseId', 'usageMetadata'].sort(),
      );
      expect(r.costUsd).toBeGreaterThan(0);
    }
    const stats = upstream.stats();
    expect(stats.batchesCreated).toBe(3);
    // One upload per batch (start + upload/finalize), one results download each, then both deleted.
    expect(stats.requestsByRoute['files.upload']).toBe(6);
    expect(stats.requestsByRoute['files.download']).toBe(3);
    expect(stats.files).toBe(0);
    expect(
      await h.value('gemini_lanes.batch.requests', { 'gemini_lanes.batch.state': 'succeeded' }),
    ).toBe(12);
  });

  it('reports per-request failures inside a succeeded batch per id, without resubmitting them', async () => {
    const upstream = await emulator();
    const { h, lane } = setup(upstream);
    const lines = requestLines(6);
    // The API refuses this request alone (INVALID_ARGUMENT inside the batch)...
    lines[2] = JSON.stringify({
      id: 'bad-role',
      request: { model: LITE, contents: [{ role: 'system', parts: [{ text: 'x' }] }] },
    });
    // ... and the SDK will not even send this one: an invalid_input result, no batch request.
    lines[4] = JSON.stringify({ id: 'empty', request: { model: LITE, contents: [] } });
    const output = join(dir, 'out.jsonl');
    const job = lane.run(
      await input(lines),
      withHooks(
        { mode: 'batch-api', output, fsync: false, ...FAST_POLL },
        // The emulator fails the batch's request at index 1 (q2) with INTERNAL.
        { createHeaders: () => ({ 'x-emulator-batch-errors': '1' }) },
      ),
    );
    const summary = await job.done;
    expect(summary).toMatchObject({ done: 6, failed: 3 });
    const results = await readResults(output);
    expect(results.map((r) => r.id)).toEqual(['q1', 'q2', 'bad-role', 'q4', 'empty', 'q6']);
    expect(results[1]).toMatchObject({
      error: { type: 'INTERNAL', status: 500, message: 'An internal error has occurred.' },
      usage: null,
      costUsd: null,
      attempts: 1,
    });
    expect(results[2]).toMatchObject({
      error: { type: 'INVALID_ARGUMENT', status: 400 },
      attempts: 1,
    });
    expect(results[2]?.error?.message).toContain('role');
    expect(results[4]).toMatchObject({ error: { type: 'invalid_input' }, attempts: 0 });
    expect(results[4]?.error?.message).toContain('contents are required');
    for (const i of [0, 3, 5]) expect(text(results[i] as JobResult)).toBeTruthy();
    const [batch] = await listBatches(upstream);
    expect(upstream.stats().batchesCreated).toBe(1);
    expect(batch?.requestCount).toBe(5);
    const state = (s: string) => ({ 'gemini_lanes.batch.state': s });
    expect(await h.value('gemini_lanes.batch.requests', state('succeeded'))).toBe(3);
    expect(await h.value('gemini_lanes.batch.requests', state('failed'))).toBe(2);
  });

  it('cancel() cancels its running batches and rejects with JobCancelledError; a resume submits them again', async () => {
    // Batches stay pending far longer than the test: only a cancel ends them.
    const upstream = await emulator({ batch: { pendingMs: 1e11 } });
    const { h, lane } = setup(upstream);
    const path = await input(requestLines(7));
    const output = join(dir, 'out.jsonl');
    const options = {
      mode: 'batch-api',
      output,
      chunkSize: 3,
      fsync: false,
      ...FAST_POLL,
    } as const;
    const job = lane.run(path, options);
    await until(() => upstream.stats().batchesCreated === 3);
    await until(() => job.progress().inFlight === 7);
    job.cancel(new Error('operator stop'));
    const error = await job.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobCancelledError);
    expect((error as JobCancelledError).summary).toMatchObject({ done: 0, written: 0 });
    expect(upstream.stats().batchesByState).toMatchObject({
      BATCH_STATE_CANCELLED: 3,
      BATCH_STATE_PENDING: 0,
    });
    const state = (s: string) => ({ 'gemini_lanes.batch.state': s });
    expect(await h.value('gemini_lanes.batch.jobs', state('cancelled'))).toBe(3);
    expect(await h.value('gemini_lanes.batch.jobs', state('pending'))).toBe(0);
    expect(await h.value('gemini_lanes.batch.requests', state('cancelled'))).toBe(7);
    // The checkpoint names every batch, so a resume knows they were cancelled.
    const checkpoint = JSON.parse(await readFile(`${output}.ckpt`, 'utf8'));
    expect(checkpoint).toMatchObject({ state: 'running', watermark: { line: 0, chunk: 0 } });
    expect(checkpoint.parts).toHaveLength(3);
    const first = await listBatches(upstream);
    for (const part of checkpoint.parts) {
      expect(part.generations).toEqual([
        {
          generation: 0,
          displayName: expect.stringMatching(DISPLAY_NAME),
          name: expect.stringMatching(/^batches\//),
        },
      ]);
    }

    // Resumed (and stopped through its signal this time): each chunk goes again as generation 1.
    const controller = new AbortController();
    const resumed = lane.run(path, { ...options, signal: controller.signal });
    await until(() => upstream.stats().batchesCreated === 6);
    await until(() => resumed.progress().inFlight === 7);
    controller.abort();
    expect(await resumed.done.catch((e: unknown) => e)).toBeInstanceOf(JobCancelledError);
    const again = (await listBatches(upstream)).slice(3);
    expect(again.map((b) => b.displayName).sort()).toEqual(
      first.map((b) => b.displayName.replace(':g0:', ':g1:')).sort(),
    );
    expect(again.every((b) => b.state === 'BATCH_STATE_CANCELLED')).toBe(true);
  });

  it('resubmits an expired batch as a new generation holding only the lines without results', async () => {
    const upstream = await emulator();
    const { h, lane } = setup(upstream);
    const output = join(dir, 'out.jsonl');
    const job = lane.run(
      await input(requestLines(10)),
      withHooks(
        { mode: 'batch-api', output, chunkSize: 4, fsync: false, ...FAST_POLL },
        {
          createHeaders: ({ chunk, generation }) =>
            chunk === 1 && generation === 0 ? { 'x-emulator-batch-outcome': 'expired' } : undefined,
        },
      ),
    );
    const summary = await job.done;
    expect(summary).toMatchObject({ done: 10, failed: 0 });
    const results = await readResults(output);
    expect(results.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `q${i + 1}`));
    // Lines 5-8 (chunk 1) were answered by their second submission.
    expect(results.map((r) => r.attempts)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 1, 1]);
    const batches = await listBatches(upstream);
    expect(batches).toHaveLength(4);
    const expired = batches.filter((b) => b.state === 'BATCH_STATE_EXPIRED');
    expect(expired).toHaveLength(1);
    expect(expired[0]?.displayName).toMatch(/:1\.0:g0:/);
    const resubmitted = batches.find((b) => b.displayName.includes(':1.0:g1:'));
    expect(resubmitted).toMatchObject({ state: 'BATCH_STATE_SUCCEEDED', requestCount: 4 });
    expect(resubmitted?.displayName).toBe(expired[0]?.displayName.replace(':g0:', ':g1:'));
    const state = (s: string) => ({ 'gemini_lanes.batch.state': s });
    expect(await h.value('gemini_lanes.batch.jobs', state('expired'))).toBe(1);
    expect(await h.value('gemini_lanes.batch.jobs', state('succeeded'))).toBe(3);
    expect(await h.value('gemini_lanes.batch.requests', state('expired'))).toBe(4);
    expect(await h.value('gemini_lanes.batch.requests', state('succeeded'))).toBe(10);
  });

  it('gives up on lines whose batches keep expiring after maxSubmissions, resubmitting nothing else', async () => {
    // 100 ms of emulated running time per request, expiry after 250 ms: a batch of four
    // requests always expires, a batch of one never does.
    const upstream = await emulator({
      speed: 100,
      batch: { pendingMs: 0, minRunningMs: 0, msPerRequest: 100, expireAfterMs: 250 },
    });
    const { h, lane } = setup(upstream);
    const output = join(dir, 'out.jsonl');
    const summary = await lane.run(await input(requestLines(5)), {
      mode: 'batch-api',
      output,
      chunkSize: 4,
      maxSubmissions: 2,
      fsync: false,
      ...FAST_POLL,
    }).done;
    expect(summary).toMatchObject({ done: 5, failed: 4 });
    const results = await readResults(output);
    expect(results.map((r) => r.id)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    for (const r of results.slice(0, 4)) {
      expect(r).toMatchObject({ error: { type: 'batch_expired' }, attempts: 2, usage: null });
    }
    expect(text(results[4] as JobResult)).toBeTruthy();
    const batches = await listBatches(upstream);
    expect(
      batches.map((b) => [b.displayName.split(':').slice(2, 4).join(':'), b.state, b.requestCount]),
    ).toEqual(
      expect.arrayContaining([
        ['0.0:g0', 'BATCH_STATE_EXPIRED', 4],
        ['0.0:g1', 'BATCH_STATE_EXPIRED', 4],
        ['1.0:g0', 'BATCH_STATE_SUCCEEDED', 1],
      ]),
    );
    expect(batches).toHaveLength(3);
    expect(
      await h.value('gemini_lanes.batch.requests', { 'gemini_lanes.batch.state': 'expired' }),
    ).toBe(8);
  });

  it('takes an iterable (not resumable) and writes repeated ids under their line number, as the parallel mode does', async () => {
    const upstream = await emulator();
    const { lane } = setup(upstream);
    const items = requestLines(7).map((line) => JSON.parse(line) as { id: string });
    // q2 again within its chunk (line 3), q1 again in the next chunk (line 6).
    items[2] = { ...items[2], id: 'q2' } as { id: string };
    items[5] = { ...items[5], id: 'q1' } as { id: string };
    const output = join(dir, 'out.jsonl');
    const options = {
      mode: 'batch-api',
      output,
      chunkSize: 4,
      fsync: false,
      ...FAST_POLL,
    } as const;
    expect(() => lane.run(items, { ...options, checkpoint: join(dir, 'x.ckpt') })).toThrow(
      /cannot be resumed/,
    );
    const summary = await lane.run(items, options).done;
    expect(summary).toMatchObject({ done: 7, failed: 2, checkpoint: undefined });
    const results = await readResults(output);
    expect(results.map((r) => [r.id, r.error?.type ?? 'ok'])).toEqual([
      ['q1', 'ok'],
      ['q2', 'ok'],
      ['line:3', 'duplicate_id'],
      ['q4', 'ok'],
      ['q5', 'ok'],
      ['line:6', 'duplicate_id'],
      ['q7', 'ok'],
    ]);
    expect(results[5]?.error?.message).toBe('line 6 repeats the id "q1" of line 1');
    // Every line was sent: a chunk's batch depends on the input alone.
    expect((await listBatches(upstream)).map((b) => b.requestCount)).toEqual([4, 3]);
  });

  it('requests parallel mode by option over a batch-api configuration, and checks the mode', async () => {
    const upstream = await emulator();
    const h = metricsHarness({
      ...LANE_CONFIG,
      lanes: {
        ...LANE_CONFIG.lanes,
        throughput: { ...LANE_CONFIG.lanes.throughput, batch: { mode: 'batch-api' } },
      },
    });
    const lane = createThroughputLane(h.config.lanes.throughput, {
      apiKey: 'test-key',
      baseUrl: upstream.url,
      telemetry: h.telemetry,
    });
    lanes.push(lane);
    const path = await input([requestLine(1)]);
    await lane.run(path, { output: join(dir, 'batch.jsonl'), fsync: false, ...FAST_POLL }).done;
    expect(upstream.stats().batchesCreated).toBe(1);
    await lane.run(path, { mode: 'parallel', output: join(dir, 'parallel.jsonl'), fsync: false })
      .done;
    expect(upstream.stats().batchesCreated).toBe(1);
    const [parallel] = await readResults(join(dir, 'parallel.jsonl'));
    const [batch] = await readResults(join(dir, 'batch.jsonl'));
    // The same usage costs twice as much at the standard tier.
    if (parallel?.usage && batch?.usage) {
      const standard = costOf(batch.usage, LITE, 'standard', DEFAULT_PRICES);
      if (standard.known) expect(batch.costUsd).toBeCloseTo(standard.usd.total / 2, 12);
    }
    expect(parallel?.costUsd).toBeGreaterThan(0);
    expect(() =>
      lane.run(path, { mode: 'bulk' as 'parallel', output: join(dir, 'x.jsonl') }),
    ).toThrow(/options\.mode must be 'parallel' or 'batch-api'/);
  });
});
