import { LaneClosedError } from '@gemini-lanes/core';
import {
  type Content,
  type ContentListUnion,
  type EmbedContentParameters,
  EmbedContentResponse,
  type Part,
} from '@google/genai';
import { describe, expect, it } from 'vitest';
import { embedContentsOf } from '../src/throughput/embed-contents.js';
import {
  type EmbedCallOptions,
  EmbeddingBatcher,
  EmbeddingCountError,
} from '../src/throughput/embedding-batcher.js';

const model = 'gemini-embedding-001';

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  return {
    timers: {
      set: (callback: () => void, ms: number) => {
        pending.set(++next, { callback, ms });
        return next;
      },
      clear: (handle: unknown) => {
        pending.delete(handle as number);
      },
    },
    delays: () => [...pending.values()].map((t) => t.ms),
    fireAll() {
      const due = [...pending.values()];
      pending.clear();
      for (const t of due) t.callback();
    },
  };
}

interface Sent {
  params: EmbedContentParameters;
  options: EmbedCallOptions;
  resolve(response: EmbedContentResponse): void;
  reject(error: unknown): void;
}

/** A batcher whose requests the test answers by hand; each embedding is the text it embeds. */
function setup(maxBatchSize = 4, maxDelayMs = 10) {
  const t = manualTimers();
  const sent: Sent[] = [];
  const batcher = new EmbeddingBatcher({
    maxBatchSize,
    maxDelayMs,
    timers: t.timers,
    send: (params, options) =>
      new Promise((resolve, reject) => sent.push({ params, options, resolve, reject })),
  });
  /** Answers request `i` with one embedding per content, whose values spell the content's text. */
  const answer = (i: number) => {
    const request = sent[i];
    if (!request) throw new Error(`no request ${i}`);
    const response = new EmbedContentResponse();
    response.embeddings = (request.params.contents as Content[]).map((c) => ({
      values: [...(c.parts?.[0]?.text ?? '')].map((ch) => ch.charCodeAt(0)),
    }));
    request.resolve(response);
  };
  return { batcher, sent, answer, ...t };
}

/** The texts of the contents request `s` sent. */
const textsOf = (s: Sent | undefined) =>
  ((s?.params.contents ?? []) as Content[]).map((c) => c.parts?.[0]?.text);

const text = (response: EmbedContentResponse) =>
  (response.embeddings ?? []).map((e) => String.fromCharCode(...(e.values ?? [])));

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('EmbeddingBatcher', () => {
  it('merges concurrent calls into one request and gives each caller its own embeddings in order', async () => {
    const { batcher, sent, answer, fireAll, delays } = setup(10);
    const one = batcher.embed({ model, contents: 'a' });
    const list = batcher.embed({ model, contents: ['b', 'c'] });
    const content = batcher.embed({ model, contents: { role: 'user', parts: [{ text: 'd' }] } });
    const parts = batcher.embed({ model, contents: [{ text: 'e' }, { text: 'f' }] as Part[] });
    expect(sent).toHaveLength(0);
    expect(delays()).toEqual([10]);
    expect(batcher.waiting).toBe(4);
    fireAll();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.params.model).toBe(model);
    expect(textsOf(sent[0])).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    answer(0);
    expect((await Promise.all([one, list, content, parts])).map(text)).toEqual([
      ['a'],
      ['b', 'c'],
      ['d'],
      ['e', 'f'],
    ]);
    expect(await one).toBeInstanceOf(EmbedContentResponse);
  });

  it('sends a batch as soon as it is full, and starts the next when a call would overflow it', async () => {
    const { batcher, sent, answer, fireAll } = setup(4);
    const a = batcher.embed({ model, contents: ['a1', 'a2', 'a3'] });
    const b = batcher.embed({ model, contents: ['b1', 'b2'] }); // 3 + 2 > 4: a's batch goes now
    expect(sent).toHaveLength(1);
    const c = batcher.embed({ model, contents: ['c1', 'c2'] }); // 2 + 2 = 4: full, goes now
    expect(sent).toHaveLength(2);
    fireAll(); // nothing left to send
    expect(sent).toHaveLength(2);
    expect(sent.map((s) => (s.params.contents as Content[]).length)).toEqual([3, 4]);
    answer(0);
    answer(1);
    expect((await Promise.all([a, b, c])).map(text)).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2'],
      ['c1', 'c2'],
    ]);
  });

  it('sends a call larger than a batch on its own, split at maxBatchSize, joined in order', async () => {
    const { batcher, sent, answer, fireAll } = setup(2);
    const small = batcher.embed({ model, contents: 's' });
    const big = batcher.embed({ model, contents: ['x1', 'x2', 'x3', 'x4', 'x5'] });
    expect(sent.map((s) => (s.params.contents as Content[]).length)).toEqual([2, 2, 1]);
    for (let i = 0; i < 3; i++) answer(i);
    expect(text(await big)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
    expect(batcher.waiting).toBe(1);
    fireAll();
    answer(3);
    expect(text(await small)).toEqual(['s']);
  });

  it('keeps calls with different configs apart, and merges configs that differ only in key order or signal', async () => {
    const { batcher, sent, fireAll } = setup(10);
    const signal = new AbortController().signal;
    void batcher.embed({
      model,
      contents: 'a',
      config: { taskType: 'RETRIEVAL_DOCUMENT', title: 't' },
    });
    void batcher.embed({
      model,
      contents: 'b',
      config: { title: 't', taskType: 'RETRIEVAL_DOCUMENT', abortSignal: signal },
    });
    void batcher.embed({ model, contents: 'c', config: { taskType: 'RETRIEVAL_QUERY' } });
    void batcher.embed({ model, contents: 'd', config: { outputDimensionality: 8 } });
    void batcher.embed({ model: 'text-embedding-004', contents: 'e' });
    void batcher.embed({ model, contents: 'f' }, { timeoutMs: 5000 });
    fireAll();
    expect(sent.map(textsOf)).toEqual([['a', 'b'], ['c'], ['d'], ['e'], ['f']]);
    expect(sent[0]?.params.config).toEqual({ taskType: 'RETRIEVAL_DOCUMENT', title: 't' });
    expect(sent[4]?.options.timeoutMs).toBe(5000);
  });

  it('drops a caller that aborts before the batch is sent, and only that caller', async () => {
    const { batcher, sent, answer, fireAll } = setup(10);
    const controller = new AbortController();
    const stays = batcher.embed({ model, contents: 'stays' });
    const leaves = batcher
      .embed({ model, contents: ['leaves', 'too'] }, { signal: controller.signal })
      .catch((e: unknown) => e);
    const also = batcher.embed({ model, contents: 'also' });
    controller.abort('changed my mind');
    expect(await leaves).toBe('changed my mind');
    fireAll();
    expect(textsOf(sent[0])).toEqual(['stays', 'also']);
    answer(0);
    expect(text(await stays)).toEqual(['stays']);
    expect(text(await also)).toEqual(['also']);
  });

  it('after the send, an abort rejects only that caller; the request is aborted once all have left', async () => {
    const { batcher, sent, answer, fireAll } = setup(10);
    const first = new AbortController();
    const second = new AbortController();
    const a = batcher.embed({ model, contents: 'a' }, { signal: first.signal }).catch((e) => e);
    const b = batcher.embed({ model, contents: 'b' }, { signal: second.signal }).catch((e) => e);
    fireAll();
    first.abort('a left');
    expect(await a).toBe('a left');
    expect(sent[0]?.options.signal?.aborted).toBe(false);
    second.abort('b left');
    expect(await b).toBe('b left');
    expect(sent[0]?.options.signal?.aborted).toBe(true);
    answer(0); // too late for anyone: nothing happens
    await flush();
  });

  it('rejects every caller of a failed request with its error, and calls every hook per attempt', async () => {
    const { batcher, sent, fireAll } = setup(10);
    const attempts: string[] = [];
    const a = batcher
      .embed({ model, contents: 'a' }, { onAttempt: (n) => attempts.push(`a${n}`) })
      .catch((e: unknown) => e);
    const b = batcher
      .embed({ model, contents: 'b' }, { onAttempt: (n) => attempts.push(`b${n}`) })
      .catch((e: unknown) => e);
    fireAll();
    sent[0]?.options.onAttempt?.(1);
    sent[0]?.options.onAttempt?.(2);
    expect(attempts).toEqual(['a1', 'b1', 'a2', 'b2']);
    const failure = Object.assign(new Error('boom'), { status: 503 });
    sent[0]?.reject(failure);
    expect(await a).toBe(failure);
    expect(await b).toBe(failure);
  });

  it('refuses a response whose embedding count does not match what was sent', async () => {
    const { batcher, sent, fireAll } = setup(10);
    const a = batcher.embed({ model, contents: ['a', 'b'] }).catch((e: unknown) => e);
    fireAll();
    const short = new EmbedContentResponse();
    short.embeddings = [{ values: [1] }];
    sent[0]?.resolve(short);
    expect(await a).toBeInstanceOf(EmbeddingCountError);
  });

  it('sends input it cannot split exactly as the caller gave it, and rejects waiting calls on close', async () => {
    const { batcher, sent } = setup(10);
    void batcher.embed({ model, contents: [] });
    expect(sent[0]?.params.contents).toEqual([]);
    const waiting = batcher.embed({ model, contents: 'w' }).catch((e: unknown) => e);
    batcher.close(() => new LaneClosedError());
    expect(await waiting).toBeInstanceOf(LaneClosedError);
    await expect(batcher.embed({ model, contents: 'late' })).rejects.toBeInstanceOf(
      LaneClosedError,
    );
    expect(sent).toHaveLength(1);
  });
});

describe('embedContentsOf', () => {
  it('counts one content per string, part or Content, one per array item, as the SDK sends them', () => {
    expect(embedContentsOf(model, 'x')).toEqual([{ role: 'user', parts: [{ text: 'x' }] }]);
    expect(embedContentsOf(model, ['x', { text: 'y' }])).toEqual([
      { role: 'user', parts: [{ text: 'x' }] },
      { role: 'user', parts: [{ text: 'y' }] },
    ]);
    const content = { role: 'user', parts: [{ text: 'p' }, { text: 'q' }] };
    expect(embedContentsOf(model, [content, content])).toEqual([content, content]);
    expect(embedContentsOf(model, '')).toBeUndefined();
    expect(embedContentsOf(model, [])).toBeUndefined();
  });

  it('joins parts into one content for gemini-embedding-2, as the SDK does', () => {
    expect(embedContentsOf('gemini-embedding-2', ['x', 'y'])).toEqual([
      { role: 'user', parts: [{ text: 'x' }, { text: 'y' }] },
    ]);
    const content = { role: 'user', parts: [{ text: 'p' }] };
    expect(embedContentsOf('gemini-embedding-2', [content, content])).toHaveLength(2);
    // Types forbid mixing, JavaScript does not: the SDK refuses it, so the lane leaves it to the SDK.
    const mixed = [content, 'x'] as unknown as ContentListUnion;
    expect(embedContentsOf('gemini-embedding-2', mixed)).toBeUndefined();
  });
});
