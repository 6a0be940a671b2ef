import { GeminiLanesError } from '@gemini-lanes/core';
import { guard } from '@gemini-lanes/otel';
import {
  type Content,
  type EmbedContentConfig,
  type EmbedContentParameters,
  EmbedContentResponse,
} from '@google/genai';
import { embedContentsOf } from './embed-contents.js';

/** Per-call options an embedding caller may give (the lane's `ThroughputCallOptions`). */
export interface EmbedCallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  onAttempt?: ((attempt: number) => void) | undefined;
}

/** Sends one `embedContent` request (a merged batch or a call on its own) through the lane. */
export type EmbedSender = (
  params: EmbedContentParameters,
  options: EmbedCallOptions,
) => Promise<EmbedContentResponse>;

/** The timer the batcher waits on; injectable so tests flush by hand. */
export interface BatchTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface EmbeddingBatcherOptions {
  /** Contents per merged request, at most. */
  maxBatchSize: number;
  /** How long the first call of a batch waits for others to join it. */
  maxDelayMs: number;
  send: EmbedSender;
  timers?: BatchTimers | undefined;
}

const defaultTimers: BatchTimers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Entry {
  contents: Content[];
  resolve(response: EmbedContentResponse): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onAttempt: ((attempt: number) => void) | undefined;
  settled: boolean;
}

interface Batch {
  key: string;
  model: string;
  config: EmbedContentConfig | undefined;
  timeoutMs: number | undefined;
  entries: Entry[];
  size: number;
  timer: unknown;
  flushed: boolean;
  /** Aborts the merged request once every caller in it has given up. */
  controller: AbortController;
}

/** The embedding count does not match the contents sent: results cannot be matched to callers. */
export class EmbeddingCountError extends GeminiLanesError {
  readonly expected: number;
  readonly received: number;

  constructor(expected: number, received: number) {
    super(
      'ERR_EMBEDDING_COUNT',
      `embedContent returned ${received} embeddings for ${expected} contents`,
    );
    this.expected = expected;
    this.received = received;
  }
}

/**
 * Micro-batching of `embedContent`: concurrent calls for the same model with the same config
 * (task type, title, output dimensionality, HTTP options, per-call timeout) are merged into one
 * request of at most `maxBatchSize` contents, sent when full or `maxDelayMs` after its first
 * call arrived. Each caller gets its own embeddings, in its own order. A caller that aborts
 * before the send leaves the batch; after it, only its own promise rejects (the request is
 * aborted only when every caller in it has left). A failed request rejects every caller in it
 * with that error. A call with more contents than `maxBatchSize` is sent on its own, split.
 */
export class EmbeddingBatcher {
  readonly #maxBatchSize: number;
  readonly #maxDelayMs: number;
  readonly #send: EmbedSender;
  readonly #timers: BatchTimers;
  readonly #pending = new Map<string, Batch>();
  readonly #functionIds = new WeakMap<object, number>();
  #lastFunctionId = 0;
  #closed: (() => unknown) | undefined;

  constructor(options: EmbeddingBatcherOptions) {
    if (!(Number.isInteger(options.maxBatchSize) && options.maxBatchSize >= 1)) {
      throw new RangeError(
        `EmbeddingBatcher: maxBatchSize must be an integer >= 1 (got ${options.maxBatchSize})`,
      );
    }
    if (!(options.maxDelayMs >= 0 && Number.isFinite(options.maxDelayMs))) {
      throw new RangeError(
        `EmbeddingBatcher: maxDelayMs must be a finite number >= 0 (got ${options.maxDelayMs})`,
      );
    }
    this.#maxBatchSize = options.maxBatchSize;
    this.#maxDelayMs = options.maxDelayMs;
    this.#send = options.send;
    this.#timers = options.timers ?? defaultTimers;
  }

  /** Calls waiting for their batch to be sent. */
  get waiting(): number {
    let count = 0;
    for (const batch of this.#pending.values()) count += batch.entries.length;
    return count;
  }

  /** Embeds `params.contents`, merged with concurrent calls that can share a request. */
  embed(
    params: EmbedContentParameters,
    options: EmbedCallOptions = {},
  ): Promise<EmbedContentResponse> {
    if (this.#closed) return Promise.reject(this.#closed());
    const { abortSignal, ...rest } = params.config ?? {};
    const signals = [options.signal, abortSignal].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    if (signal?.aborted) return Promise.reject(signal.reason);
    const config = params.config === undefined ? undefined : rest;
    const callOptions: EmbedCallOptions = {
      signal,
      timeoutMs: options.timeoutMs,
      onAttempt: options.onAttempt,
    };
    const contents = embedContentsOf(params.model, params.contents);
    if (contents === undefined) {
      return this.#send({ ...params, ...(config ? { config } : {}) }, callOptions);
    }
    if (contents.length > this.#maxBatchSize) {
      return this.#sendAlone(params.model, contents, config, callOptions);
    }
    const key = `${params.model}\u0000${options.timeoutMs ?? ''}\u0000${this.#canonical(config)}`;
    return new Promise((resolve, reject) => {
      let batch = this.#pending.get(key);
      if (batch && batch.size + contents.length > this.#maxBatchSize) {
        this.#flush(batch);
        batch = undefined;
      }
      if (batch === undefined) {
        const created: Batch = {
          key,
          model: params.model,
          config,
          timeoutMs: options.timeoutMs,
          entries: [],
          size: 0,
          timer: undefined,
          flushed: false,
          controller: new AbortController(),
        };
        created.timer = this.#timers.set(() => this.#flush(created), this.#maxDelayMs);
        this.#pending.set(key, created);
        batch = created;
      }
      const entry: Entry = {
        contents,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        onAttempt: options.onAttempt,
        settled: false,
      };
      if (signal) {
        const joined = batch;
        entry.onAbort = () => this.#leave(joined, entry, signal.reason);
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      batch.entries.push(entry);
      batch.size += contents.length;
      if (batch.size >= this.#maxBatchSize) this.#flush(batch);
    });
  }

  /** Rejects every call still waiting for its batch, and every later call, with `error()`. */
  close(error: () => unknown): void {
    this.#closed ??= error;
    for (const batch of [...this.#pending.values()]) {
      this.#timers.clear(batch.timer);
      this.#pending.delete(batch.key);
      for (const entry of batch.entries) this.#settle(entry, undefined, error());
    }
  }

  #flush(batch: Batch): void {
    if (batch.flushed) return;
    batch.flushed = true;
    this.#timers.clear(batch.timer);
    if (this.#pending.get(batch.key) === batch) this.#pending.delete(batch.key);
    if (batch.entries.length === 0) return;
    const entries = batch.entries;
    const contents = entries.flatMap((e) => e.contents);
    this.#send(
      { model: batch.model, contents, ...(batch.config ? { config: batch.config } : {}) },
      {
        signal: batch.controller.signal,
        timeoutMs: batch.timeoutMs,
        onAttempt: (attempt) => {
          for (const entry of entries) {
            const hook = entry.onAttempt;
            if (!entry.settled && hook) guard('onAttempt hook', () => hook(attempt));
          }
        },
      },
    ).then(
      (response) => {
        const embeddings = response.embeddings ?? [];
        if (embeddings.length !== contents.length) {
          const error = new EmbeddingCountError(contents.length, embeddings.length);
          for (const entry of entries) this.#settle(entry, undefined, error);
          return;
        }
        let offset = 0;
        for (const entry of entries) {
          const own = embeddings.slice(offset, offset + entry.contents.length);
          offset += entry.contents.length;
          this.#settle(entry, responseWith(response, own));
        }
      },
      (error: unknown) => {
        for (const entry of entries) this.#settle(entry, undefined, error);
      },
    );
  }

  /** A caller gave up: out of its batch if not yet sent; else only its promise rejects. */
  #leave(batch: Batch, entry: Entry, reason: unknown): void {
    if (entry.settled) return;
    this.#settle(entry, undefined, reason);
    if (!batch.flushed) {
      batch.entries.splice(batch.entries.indexOf(entry), 1);
      batch.size -= entry.contents.length;
      if (batch.entries.length === 0) {
        this.#timers.clear(batch.timer);
        if (this.#pending.get(batch.key) === batch) this.#pending.delete(batch.key);
      }
    } else if (batch.entries.every((e) => e.settled)) {
      batch.controller.abort(reason);
    }
  }

  #settle(entry: Entry, response: EmbedContentResponse | undefined, error?: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    if (response) entry.resolve(response);
    else entry.reject(error);
  }

  /** A call larger than a batch: its own requests of `maxBatchSize`, joined in order. */
  async #sendAlone(
    model: string,
    contents: Content[],
    config: EmbedContentConfig | undefined,
    options: EmbedCallOptions,
  ): Promise<EmbedContentResponse> {
    const siblings = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, siblings.signal])
      : siblings.signal;
    const chunks: Content[][] = [];
    for (let i = 0; i < contents.length; i += this.#maxBatchSize) {
      chunks.push(contents.slice(i, i + this.#maxBatchSize));
    }
    let responses: EmbedContentResponse[];
    try {
      responses = await Promise.all(
        chunks.map(async (chunk) => {
          try {
            const response = await this.#send(
              { model, contents: chunk, ...(config ? { config } : {}) },
              { ...options, signal },
            );
            if ((response.embeddings?.length ?? 0) !== chunk.length) {
              throw new EmbeddingCountError(chunk.length, response.embeddings?.length ?? 0);
            }
            return response;
          } catch (error) {
            // One part failed, so the call has: stop the others rather than pay for them.
            siblings.abort(error);
            throw error;
          }
        }),
      );
    } catch (error) {
      throw options.signal?.aborted ? options.signal.reason : error;
    }
    const first = responses[0] ?? new EmbedContentResponse();
    return responseWith(
      first,
      responses.flatMap((r) => r.embeddings ?? []),
    );
  }

  /** A stable text for a config: keys sorted, functions by identity, undefined fields dropped. */
  #canonical(value: unknown): string {
    if (value === undefined) return '';
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'function') {
        let id = this.#functionIds.get(v);
        if (id === undefined) {
          id = ++this.#lastFunctionId;
          this.#functionIds.set(v, id);
        }
        return `\u0000function#${id}`;
      }
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        return Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        );
      }
      return v;
    });
  }
}

/** One caller's share of a response: its embeddings, and the response's HTTP metadata. */
function responseWith(
  response: EmbedContentResponse,
  embeddings: NonNullable<EmbedContentResponse['embeddings']>,
): EmbedContentResponse {
  const own = new EmbedContentResponse();
  if (response.sdkHttpResponse) own.sdkHttpResponse = response.sdkHttpResponse;
  if (response.metadata) own.metadata = response.metadata;
  own.embeddings = embeddings;
  return own;
}
