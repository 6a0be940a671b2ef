import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig, type GeminiLanesConfigInput } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { createTelemetry } from '@gemini-lanes/otel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobStatus, type MixedService, startMixedService } from '../src/index.js';
import { readSse } from './sse.js';
import { waitFor } from './wait-for.js';

const MODEL = 'gemini-2.5-flash-lite';
/** Takes seconds to its first token: a request that is still running when the test acts on it. */
const SLOW = 'slow-model';
/** About 300 ms a request: a job that is still running a moment after it starts. */
const MEDIUM = 'medium-model';
const quota = { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 };

function config(lanes: GeminiLanesConfigInput['lanes'] = {}) {
  return defineConfig({
    service: 'mixed-service-test',
    quota: {
      models: {
        [MODEL]: quota,
        [SLOW]: quota,
        [MEDIUM]: quota,
        'gemini-embedding-001': quota,
      },
    },
    lanes: {
      ...lanes,
      latency: { models: [MODEL], ...lanes?.latency },
      throughput: {
        models: [MODEL],
        // Concurrent embeddings arriving over HTTP within this window become one request.
        embedding: { maxDelayMs: 100 },
        ...lanes?.throughput,
      },
    },
  });
}

const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });

async function startService(
  emulator: EmulatorHandle,
  filesRoot: string,
  lanes?: GeminiLanesConfigInput['lanes'],
): Promise<MixedService> {
  const c = config(lanes);
  return startMixedService({
    config: c,
    telemetry: createTelemetry(c),
    apiKey: 'test-key',
    baseUrl: emulator.url,
    host: '127.0.0.1',
    port: 0,
    filesRoot,
  });
}

describe('the mixed service against the emulator', () => {
  let emulator: EmulatorHandle;
  let service: MixedService;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mixed-service-'));
    emulator = await startEmulator({
      profile: 'zero',
      seed: 7,
      models: {
        [SLOW]: { base: MODEL, ttftMs: { median: 5000, p95: 5000 } },
        [MEDIUM]: { base: MODEL, ttftMs: { median: 300, p95: 300 } },
      },
    });
    service = await startService(emulator, dir);
  });

  afterAll(async () => {
    await service?.close();
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams a chat answer as server-sent text deltas that end with done', async () => {
    const res = await post(`${service.url}/chat`, {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is a latency lane?' },
      ],
      maxOutputTokens: 60,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await readSse(res);
    const texts = events.filter((e) => e.event === 'message');
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.every((e) => typeof (e.data as { text: unknown }).text === 'string')).toBe(true);
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    expect(done?.data).toMatchObject({
      finishReason: expect.any(String),
      model: MODEL,
      usage: { outputTokens: expect.any(Number), inputTokens: expect.any(Number) },
    });
    const usage = (done?.data as { usage: { outputTokens: number } } | undefined)?.usage;
    expect(usage?.outputTokens).toBeGreaterThan(0);
    expect(usage?.outputTokens).toBeLessThanOrEqual(60);
  });

  it('answers a unary request as JSON and says which lane served it', async () => {
    const res = await post(`${service.url}/generate`, { prompt: 'Hello', maxOutputTokens: 20 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gemini-lanes-lane')).toBe('latency');
    const body = (await res.json()) as {
      text: string;
      lane: string;
      usage: { outputTokens: number };
    };
    expect(body.text.length).toBeGreaterThan(0);
    expect(body.lane).toBe('latency');
    expect(body.usage.outputTokens).toBeGreaterThan(0);

    const batch = await post(`${service.url}/generate`, { prompt: 'Later', hint: 'batch' });
    expect(batch.status).toBe(200);
    expect(((await batch.json()) as { lane: string }).lane).toBe('throughput');
  });

  it('embeds through the throughput lane, merging concurrent calls into one upstream request', async () => {
    const before = emulator.stats().requestsByRoute.batchEmbedContents ?? 0;
    const answers = await Promise.all(
      ['alpha', 'beta', 'gamma', 'delta'].map(async (text, i) => {
        const res = await post(`${service.url}/embed`, {
          texts: i === 0 ? [text, `${text} again`] : [text],
          dimensions: 8,
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { model: string; embeddings: number[][] };
      }),
    );
    expect(answers[0]?.embeddings).toHaveLength(2);
    for (const answer of answers) {
      expect(answer.model).toBe('gemini-embedding-001');
      for (const vector of answer.embeddings) expect(vector).toHaveLength(8);
    }
    const sent = (emulator.stats().requestsByRoute.batchEmbedContents ?? 0) - before;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThan(4);
  });

  it('runs an inline job to completion, reporting progress, with one result per request', async () => {
    const requests = Array.from({ length: 12 }, (_, i) => ({
      id: `doc-${i}`,
      request: {
        model: MODEL,
        contents: `Summarise document ${i}`,
        config: { maxOutputTokens: 30 },
      },
    }));
    const res = await post(`${service.url}/jobs`, { requests });
    expect(res.status).toBe(202);
    const started = (await res.json()) as JobStatus;
    expect(res.headers.get('location')).toBe(`/jobs/${started.id}`);
    expect(started).toMatchObject({ state: 'running', total: 12 });
    const finished = await waitFor(async () => {
      const status = (await (await fetch(`${service.url}/jobs/${started.id}`)).json()) as JobStatus;
      return status.state === 'running' ? undefined : status;
    });
    expect(finished.state).toBe('completed');
    expect(finished.progress).toMatchObject({ done: 12, failed: 0, inFlight: 0 });
    expect(finished.progress.costUsd).toBeGreaterThan(0);
    const results = await (await fetch(`${service.url}/jobs/${started.id}/results`)).text();
    const ids = results
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids.sort()).toEqual(requests.map((r) => r.id).sort());
  });

  it('cancels a file job on DELETE, keeping its checkpoint, and resumes it when started again', async () => {
    const input = join(dir, 'docs.jsonl');
    const lines = Array.from({ length: 16 }, (_, i) =>
      JSON.stringify({ id: `d${i}`, request: { model: MEDIUM, contents: `Document ${i}` } }),
    );
    await writeFile(input, `${lines.join('\n')}\n`);
    const started = (await (
      await post(`${service.url}/jobs`, { input: 'docs.jsonl' })
    ).json()) as JobStatus;
    expect(started.output).toBe(join(dir, 'docs.results.jsonl'));
    await waitFor(async () => {
      const status = (await (await fetch(`${service.url}/jobs/${started.id}`)).json()) as JobStatus;
      return status.progress.done > 0 ? status : undefined;
    });
    const cancelled = (await (
      await fetch(`${service.url}/jobs/${started.id}`, { method: 'DELETE' })
    ).json()) as JobStatus;
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.summary?.done).toBeGreaterThan(0);
    expect(cancelled.summary?.done).toBeLessThan(16);
    expect(cancelled.checkpoint).toBe(`${started.output}.ckpt`);

    const again = (await (
      await post(`${service.url}/jobs`, { input: 'docs.jsonl' })
    ).json()) as JobStatus;
    const finished = await waitFor(async () => {
      const status = (await (await fetch(`${service.url}/jobs/${again.id}`)).json()) as JobStatus;
      return status.state === 'running' ? undefined : status;
    });
    expect(finished.state).toBe('completed');
    expect(finished.summary).toMatchObject({ done: 16, resumed: true });
    const output = await readFile(started.output, 'utf8');
    const ids = output
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toHaveLength(16);
    expect(new Set(ids).size).toBe(16);
  });

  it('refuses job paths outside its files root', async () => {
    const res = await post(`${service.url}/jobs`, { input: '../../etc/passwd' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });

  it('cancels the lane call when the client goes away', async () => {
    const client = new AbortController();
    const pending = post(
      `${service.url}/chat`,
      { prompt: 'take your time', model: SLOW },
      client.signal,
    );
    pending.catch(() => {});
    await waitFor(() => (service.latency.stats().running === 1 ? true : undefined));
    await waitFor(() => (emulator.stats().inFlight === 1 ? true : undefined));
    client.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => (service.latency.stats().running === 0 ? true : undefined));
    await waitFor(() => (emulator.stats().inFlight === 0 ? true : undefined));
  });

  it('answers bad requests with 400 and a code, unknown routes with 404', async () => {
    const bad = await post(`${service.url}/chat`, { prompt: 3 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: { code: 'invalid_request', message: 'prompt must be a non-empty string' },
    });
    const unknownModel = await post(`${service.url}/generate`, { prompt: 'x', model: 'nope' });
    expect(unknownModel.status).toBe(400);
    expect(await unknownModel.json()).toMatchObject({ error: { code: 'ERR_QUOTA_UNKNOWN_MODEL' } });
    expect((await fetch(`${service.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${service.url}/chat`)).status).toBe(405);
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('refuses a chat with 503 and Retry-After when the latency lane is full', async () => {
    const small = await startService(emulator, dir, {
      latency: { concurrency: 1, queue: { maxLength: 1 }, sla: { maxQueueWaitMs: 200 } },
    });
    const client = new AbortController();
    try {
      const holding = post(`${small.url}/chat`, { prompt: 'hold', model: SLOW }, client.signal);
      holding.catch(() => {});
      await waitFor(() => (small.latency.stats().running === 1 ? true : undefined));
      // One waits in the queue until its deadline, the next finds the queue full.
      const [queued, refused] = await Promise.all([
        post(`${small.url}/chat`, { prompt: 'one', model: SLOW }),
        new Promise((r) => setTimeout(r, 50)).then(() =>
          post(`${small.url}/chat`, { prompt: 'two', model: SLOW }),
        ),
      ]);
      for (const res of [queued, refused]) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.headers.get('content-type')).toContain('application/json');
      }
      expect(await queued.json()).toMatchObject({ error: { code: 'ERR_QUEUE_TIMEOUT' } });
      expect(await refused.json()).toMatchObject({ error: { code: 'ERR_LANE_OVERLOADED' } });
    } finally {
      client.abort();
      await small.close();
    }
  });
});
