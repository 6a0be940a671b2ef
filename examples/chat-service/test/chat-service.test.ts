import { defineConfig } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatService, startChatService } from '../src/index.js';

const MODEL = 'gemini-2.5-flash';
/** A model that streams for about 20 s (2,000 tokens at 100 a second, 4 to a chunk): a call that holds its slot. */
const SLOW_MODEL = 'slow-flash';
const ROOMY = { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 };

interface SseEvent {
  event: string;
  data: unknown;
}

function parseEvents(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      return {
        event: fields.get('event') ?? 'message',
        data: JSON.parse(fields.get('data') ?? 'null'),
      };
    });
}

/** Reads an SSE body until the first whole event has arrived. */
async function firstEvent(body: ReadableStream<Uint8Array>): Promise<SseEvent | undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return parseEvents(text.slice(0, text.indexOf('\n\n') + 2))[0];
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of one metric in Prometheus text format. */
function samples(exposition: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)/.exec(line);
    if (match?.[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (key !== undefined) labels[key] = value ?? '';
    }
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

async function poll<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('chat service', () => {
  let emulator: EmulatorHandle;
  let service: ChatService;

  const post = (body: unknown, signal?: AbortSignal) =>
    fetch(`${service.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });

  const requestsOf = async (outcome: string, model = MODEL) => {
    const text = await (await fetch(service.metricsUrl ?? '')).text();
    return samples(text, 'gemini_lanes_requests_total')
      .filter(
        (s) =>
          s.labels.gemini_lanes_lane === 'latency' &&
          s.labels.gemini_lanes_outcome === outcome &&
          s.labels.gen_ai_request_model === model &&
          s.labels.gen_ai_operation_name === 'generate_content',
      )
      .reduce((sum, s) => sum + s.value, 0);
  };

  beforeAll(async () => {
    emulator = await startEmulator({
      profile: 'zero',
      seed: 7,
      models: {
        [SLOW_MODEL]: {
          base: MODEL,
          decodeTokensPerSecond: { median: 100, p95: 100 },
          outputTokens: { median: 2000, p95: 2000 },
          chunkTokens: 4,
        },
      },
    });
    service = await startChatService({
      apiKey: 'test-key',
      baseUrl: emulator.url,
      port: 0,
      metrics: { port: 0 },
      config: defineConfig({
        service: 'chat-service-test',
        quota: { models: { [MODEL]: ROOMY, [SLOW_MODEL]: ROOMY } },
        lanes: {
          latency: {
            models: [MODEL, SLOW_MODEL],
            // One slot: a second call while a slow stream holds it waits 50 ms, then is refused.
            concurrency: 1,
            pool: { prewarm: 0 },
            sla: { maxQueueWaitMs: 50 },
          },
        },
      }),
    });
  });

  afterAll(async () => {
    await service?.close();
    await emulator?.close();
  });

  it('streams the answer over SSE and counts the call in its Prometheus metrics', async () => {
    const res = await post({
      message: 'What is a latency lane?',
      history: [
        { role: 'user', text: 'Hi' },
        { role: 'model', text: 'Hello! How can I help?' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = parseEvents(await res.text());
    const chunks = events.filter((e) => e.event === 'chunk');
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((e) => (e.data as { text: string }).text).join('')).toMatch(/\w+/);
    const done = events.at(-1);
    expect(done?.event).toBe('done');
    const data = done?.data as {
      model: string;
      finishReason: string;
      usage: { promptTokens: number; outputTokens: number };
    };
    expect(data.model).toBe(MODEL);
    expect(data.finishReason).toBe('STOP');
    // The emulator counts a text part as ceil(characters / 4) tokens: 1 + 6 + 6.
    expect(data.usage.promptTokens).toBe(13);
    expect(data.usage.outputTokens).toBeGreaterThan(0);
    expect(events.filter((e) => e.event === 'done')).toHaveLength(1);

    expect(await requestsOf('success')).toBe(1);
    const text = await (await fetch(service.metricsUrl ?? '')).text();
    const firstChunk = samples(text, 'gen_ai_client_operation_time_to_first_chunk_count').filter(
      (s) => s.labels.gemini_lanes_lane === 'latency' && s.labels.gen_ai_request_model === MODEL,
    );
    expect(firstChunk.map((s) => s.value)).toEqual([1]);
  });

  it('refuses a body it cannot send with 400 naming the field', async () => {
    const res = await post({ message: '', model: MODEL });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'message must be a non-empty string',
      type: 'invalid_request',
    });
    const wrongModel = await post({ message: 'hi', model: 'gemini-1.0-pro' });
    expect(wrongModel.status).toBe(400);
    expect(await wrongModel.json()).toMatchObject({
      error: `model must be one of ${MODEL}, ${SLOW_MODEL}`,
    });
    expect((await fetch(`${service.url}/chat`)).status).toBe(405);
    expect((await fetch(`${service.url}/nowhere`)).status).toBe(404);
  });

  it('answers 503 with Retry-After, before any stream starts, when the lane sheds the call', async () => {
    const holder = new AbortController();
    const slow = await post({ message: 'Tell me a long story', model: SLOW_MODEL }, holder.signal);
    expect(slow.status).toBe(200);
    expect((await firstEvent(slow.body as ReadableStream<Uint8Array>))?.event).toBe('chunk');
    try {
      const refused = await post({ message: 'Me too', model: SLOW_MODEL });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('content-type')).toContain('application/json');
      expect(await refused.json()).toMatchObject({ type: 'queue_timeout' });
      expect(await requestsOf('rejected', SLOW_MODEL)).toBe(1);
    } finally {
      holder.abort();
    }
    await poll(
      async () => service.lane.stats().running,
      (n) => n === 0,
      'the slot to be released',
    );
  });

  it('aborts the upstream call when the client disconnects, and counts it cancelled', async () => {
    const cancelled = await requestsOf('cancelled', SLOW_MODEL);
    const client = new AbortController();
    const res = await post(
      { message: 'Another long story, please', model: SLOW_MODEL },
      client.signal,
    );
    expect((await firstEvent(res.body as ReadableStream<Uint8Array>))?.event).toBe('chunk');
    expect(service.lane.stats().running).toBe(1);
    expect(emulator.stats().inFlight).toBe(1);
    const started = Date.now();
    client.abort();
    // The stream had about 20 s to go: the emulator's generation and the lane's slot end at once.
    await poll(
      async () => emulator.stats().inFlight,
      (n) => n === 0,
      'the upstream call to end',
    );
    await poll(
      async () => service.lane.stats().running,
      (n) => n === 0,
      'the slot to be released',
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(
      await poll(
        () => requestsOf('cancelled', SLOW_MODEL),
        (n) => n > cancelled,
        'a cancelled call',
      ),
    ).toBe(cancelled + 1);
    // The lane is free again: the next chat streams.
    const next = await post({ message: 'Short one' });
    expect(next.status).toBe(200);
    expect(parseEvents(await next.text()).at(-1)?.event).toBe('done');
  });
});
