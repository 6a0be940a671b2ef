import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchJob, GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { apiError, client, emulator, raw, waitFor } from './helpers.js';

// At speed 100: 20 ms pending, 200 ms running; long enough to watch each state go by.
const timing = {
  speed: 100,
  profile: 'zero' as const,
  batch: { pendingMs: 2000, minRunningMs: 20_000, msPerRequest: 0 },
};

async function until(
  ai: GoogleGenAI,
  name: string,
  done: (job: BatchJob) => boolean,
  states: string[] = [],
) {
  return waitFor(async () => {
    const job = await ai.batches.get({ name });
    if (states.at(-1) !== job.state) states.push(String(job.state));
    return done(job) ? job : undefined;
  });
}

const ended = (job: BatchJob) =>
  ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'].includes(
    String(job.state),
  );

describe('Batch API through the real client', () => {
  it('runs inline requests PENDING → RUNNING → SUCCEEDED with results inline, in order', async () => {
    const handle = await emulator(timing);
    const ai = client(handle);
    const src = ['first', 'second', 'third'].map((text) => ({
      contents: [{ role: 'user', parts: [{ text }] }],
      metadata: { key: text },
    }));
    const created = await ai.batches.create({
      model: 'gemini-2.5-flash',
      src,
      config: { displayName: 'inline-job' },
    });
    expect(created).toMatchObject({
      state: 'JOB_STATE_PENDING',
      displayName: 'inline-job',
      model: 'models/gemini-2.5-flash',
    });
    expect(created.name).toMatch(/^batches\/[a-z0-9]{22}$/);
    const states = ['JOB_STATE_PENDING'];
    const job = await until(ai, created.name ?? '', ended, states);
    expect(states).toEqual(['JOB_STATE_PENDING', 'JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED']);
    const responses = job.dest?.inlinedResponses ?? [];
    expect(responses.map((r) => r.metadata?.key)).toEqual(['first', 'second', 'third']);
    for (const r of responses) {
      // Inlined responses are plain objects in the SDK (no .text getter).
      expect(r.response?.candidates?.[0]?.content?.parts?.[0]?.text).toBeTruthy();
      expect(r.response?.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    }
    expect(job.endTime).toBeDefined();
    expect(handle.stats()).toMatchObject({
      batchesCreated: 1,
      batchesByState: { BATCH_STATE_SUCCEEDED: 1 },
    });

    // The raw operation carries batchStats (the SDK does not map them).
    const op = JSON.parse((await raw(handle, `/v1beta/${created.name}`, { method: 'GET' })).text);
    expect(op.done).toBe(true);
    expect(op.metadata.batchStats).toEqual({
      requestCount: '3',
      successfulRequestCount: '3',
      failedRequestCount: '0',
      pendingRequestCount: '0',
    });
    expect(op.response['@type']).toBe(
      'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput',
    );
  });

  it('reports per-request errors inside a succeeded batch when asked, and for invalid requests', async () => {
    const ai = client(await emulator(timing));
    const created = await ai.batches.create({
      model: 'gemini-2.5-flash',
      src: [
        { contents: [{ role: 'user', parts: [{ text: 'ok' }] }] },
        { contents: [{ role: 'user', parts: [{ text: 'asked to fail' }] }] },
        { contents: [{ role: 'system', parts: [{ text: 'bad role' }] }] },
      ],
      config: { httpOptions: { headers: { 'x-emulator-batch-errors': '1' } } },
    });
    const job = await until(ai, created.name ?? '', ended);
    expect(job.state).toBe('JOB_STATE_SUCCEEDED');
    const [ok, asked, invalid] = job.dest?.inlinedResponses ?? [];
    expect(ok?.response?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(asked?.error).toEqual({ code: 13, message: 'An internal error has occurred.' });
    expect(invalid?.error).toEqual({ code: 3, message: 'Please use a valid role: user, model.' });
  });

  it('cancels, fails and expires', async () => {
    const ai = client(await emulator({ ...timing, batch: { ...timing.batch, pendingMs: 1e9 } }));
    const src = [{ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }];
    const pending = await ai.batches.create({ model: 'gemini-2.5-flash', src });
    await ai.batches.cancel({ name: pending.name ?? '' });
    expect((await ai.batches.get({ name: pending.name ?? '' })).state).toBe('JOB_STATE_CANCELLED');
    await ai.batches.cancel({ name: pending.name ?? '' });
    expect((await ai.batches.get({ name: pending.name ?? '' })).dest).toBeUndefined();

    const quick = client(
      await emulator({
        ...timing,
        batch: { pendingMs: 0, minRunningMs: 1000, msPerRequest: 0, expireAfterMs: 500 },
      }),
    );
    const expiring = await quick.batches.create({ model: 'gemini-2.5-flash', src });
    expect((await until(quick, expiring.name ?? '', ended)).state).toBe('JOB_STATE_EXPIRED');
    for (const [outcome, state] of [
      ['failed', 'JOB_STATE_FAILED'],
      ['expired', 'JOB_STATE_EXPIRED'],
    ] as const) {
      const job = await quick.batches.create({
        model: 'gemini-2.5-flash',
        src,
        config: { httpOptions: { headers: { 'x-emulator-batch-outcome': outcome } } },
      });
      expect((await until(quick, job.name ?? '', ended)).state).toBe(state);
    }
  });

  it('lists with pages, deletes, and is a v1beta API', async () => {
    const handle = await emulator(timing);
    const ai = client(handle);
    const src = [{ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }];
    const names: string[] = [];
    for (let i = 0; i < 3; i++)
      names.push((await ai.batches.create({ model: 'gemini-2.5-flash', src })).name ?? '');
    const listed: string[] = [];
    for await (const job of await ai.batches.list({ config: { pageSize: 2 } }))
      listed.push(job.name ?? '');
    expect(listed).toEqual(names);
    await ai.batches.delete({ name: names[0] ?? '' });
    expect((await apiError(() => ai.batches.get({ name: names[0] ?? '' }))).status).toBe(404);
    expect(
      (
        await apiError(() =>
          client(handle, 'v1').batches.create({ model: 'gemini-2.5-flash', src }),
        )
      ).status,
    ).toBe(404);
    expect(
      (await apiError(() => ai.batches.create({ model: 'gemini-embedding-001', src }))).status,
    ).toBe(404);
  });

  it('runs a Files-API JSONL input and writes the results as a JSONL file, in input order', async () => {
    const handle = await emulator(timing);
    const ai = client(handle);
    const lines = [
      { key: 'k1', request: { contents: [{ role: 'user', parts: [{ text: 'one' }] }] } },
      {
        key: 'k2',
        request: {
          contents: [{ role: 'user', parts: [{ text: 'two' }] }],
          generationConfig: { maxOutputTokens: 3, thinkingConfig: { thinkingBudget: 0 } },
        },
      },
      { key: 'k3', request: { contents: [] } },
    ];
    const input = `${lines.map((l) => JSON.stringify(l)).join('\n')}\nnot json\n`;
    const file = await ai.files.upload({
      file: new Blob([input], { type: 'application/jsonl' }),
      config: { displayName: 'batch-input', mimeType: 'application/jsonl' },
    });
    const created = await ai.batches.create({ model: 'gemini-2.5-flash', src: file.name ?? '' });
    const job = await until(ai, created.name ?? '', ended);
    expect(job.state).toBe('JOB_STATE_SUCCEEDED');
    const resultName = job.dest?.fileName ?? '';
    expect(resultName).toMatch(/^files\/batch-[a-z0-9]{22}$/);
    expect((await ai.files.get({ name: resultName })).source).toBe('GENERATED');

    const dir = await mkdtemp(join(tmpdir(), 'emulator-batch-'));
    try {
      const out = join(dir, 'results.jsonl');
      await ai.files.download({ file: resultName, downloadPath: out });
      const results = (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(results.map((r) => r.key)).toEqual(['k1', 'k2', 'k3', undefined]);
      expect(results[0].response.candidates[0].content.parts[0].text).toBeTruthy();
      expect(results[1].response.candidates[0].finishReason).toBe('MAX_TOKENS');
      expect(results[1].response.usageMetadata.candidatesTokenCount).toBe(3);
      expect(results[2].error).toEqual({
        code: 3,
        message: '* GenerateContentRequest.contents: contents is not specified\n',
      });
      expect(results[3].error).toEqual({ code: 3, message: 'Line 4 is not valid JSON.' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const missing = await apiError(() =>
      ai.batches.create({ model: 'gemini-2.5-flash', src: 'files/nope' }),
    );
    expect(missing.status).toBe(403);
  });
});
