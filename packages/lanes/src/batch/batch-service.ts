import { open, rm } from 'node:fs/promises';
import { describeUpstreamError } from '@gemini-lanes/core';
import type {
  BatchJob,
  GoogleGenAI,
  HttpOptions,
  InlinedRequest,
  InlinedResponse,
} from '@google/genai';
import { diag } from '@opentelemetry/api';
import { readLineBatches } from '../jobs/jsonl-lines.js';
import { retryDelayMs } from '../throughput/backoff.js';
import type { Sleep } from '../throughput/throughput-executor.js';
import type { BatchCodec } from './batch-codec.js';
import { batchStateOf } from './batch-state.js';

/** The Batch and Files APIs are v1beta only; the lane's client may default to v1. */
const API_VERSION = 'v1beta';
/** Results-file lines decoded through the SDK at a time. */
const DECODE_GROUP = 500;
const PAGE_SIZE = 100;

/** The lane's retry policy, applied to Batch and Files API calls. */
export interface BatchRetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface BatchServiceOptions {
  /** The lane's instrumented client: every `batches.*` call is traced and measured. */
  client: GoogleGenAI;
  codec: BatchCodec;
  retry: BatchRetryOptions;
  sleep: Sleep;
  random: () => number;
}

/** What one create sends. */
export interface CreateRequest {
  model: string;
  displayName: string;
  requests: InlinedRequest[];
  /** Inline up to this size of the create body; a JSONL file through the Files API beyond it. */
  inlineLimitBytes: number;
  /** Extra headers on the create call (test hooks). */
  headers?: Record<string, string> | undefined;
  /**
   * While other batches of the job are in the queue, a 429 on create (too many enqueued
   * tokens) waits for them without using up the retry policy's attempts: this long between tries.
   */
  patience?: (() => number | undefined) | undefined;
}

/** A created batch and the input file uploaded for it, if any. */
export interface Created {
  job: BatchJob;
  uploaded: string | undefined;
}

function statusOf(error: unknown): number | undefined {
  return describeUpstreamError(error).httpStatus;
}

/**
 * The Batch and Files API calls of a batch-api job, through the lane's client: retried on
 * 429, 5xx, timeouts and connection errors by the lane's retry policy (full-jitter backoff,
 * honouring `RetryInfo`); a create whose outcome is unknown (its response lost) is looked up by
 * display name before it is sent again, so it never makes a second batch.
 */
export class BatchService {
  readonly #ai: GoogleGenAI;
  readonly #codec: BatchCodec;
  readonly #retry: BatchRetryOptions;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #http: HttpOptions = { apiVersion: API_VERSION };

  constructor(options: BatchServiceOptions) {
    this.#ai = options.client;
    this.#codec = options.codec;
    this.#retry = options.retry;
    this.#sleep = options.sleep;
    this.#random = options.random;
  }

  /** Creates a batch (uploading its requests first when they are too large to send inline). */
  async create(request: CreateRequest, signal: AbortSignal): Promise<Created> {
    const { model, displayName } = request;
    const encoded = await this.#codec.encode(model, request.requests);
    let src: string | InlinedRequest[] = request.requests;
    let uploaded: string | undefined;
    if (encoded.bytes > request.inlineLimitBytes) {
      const text = encoded.requests
        .map((r) => JSON.stringify({ key: r.metadata?.key, request: r.request }))
        .join('\n');
      const file = await this.#retrying(
        'upload a batch input file',
        () =>
          this.#ai.files.upload({
            file: new Blob([`${text}\n`], { type: 'application/jsonl' }),
            config: {
              mimeType: 'application/jsonl',
              displayName: `${displayName} input`,
              httpOptions: this.#http,
              abortSignal: signal,
            },
          }),
        signal,
      );
      if (file.name === undefined) throw new Error('the Files API returned no file name');
      src = file.name;
      uploaded = file.name;
    }
    const httpOptions: HttpOptions =
      request.headers === undefined ? this.#http : { ...this.#http, headers: request.headers };
    const send = () =>
      this.#ai.batches.create({ model, src, config: { displayName, httpOptions } });
    for (let attempt = 1; ; attempt++) {
      try {
        return { job: await send(), uploaded };
      } catch (error) {
        const info = describeUpstreamError(error);
        if (info.retryReason === undefined || signal.aborted) throw error;
        // A 429 is a refusal; anything else may have created the batch before the answer was lost.
        if (info.retryReason !== 'rate_limited') {
          const found = (await this.find(new Set([displayName]), signal)).get(displayName);
          if (found !== undefined) return { job: found, uploaded };
        }
        const patience = info.retryReason === 'rate_limited' ? request.patience?.() : undefined;
        if (patience !== undefined) {
          attempt = 0;
          await this.#sleep(Math.max(patience, info.retryDelayMs ?? 0), signal);
          continue;
        }
        if (attempt >= this.#retry.maxAttempts) throw error;
        await this.#backoff(attempt, info.retryDelayMs, signal);
      }
    }
  }

  /** The batch now; undefined when the API no longer has it (deleted). */
  async get(name: string, signal: AbortSignal): Promise<BatchJob | undefined> {
    try {
      return await this.#retrying(
        'poll a batch',
        () =>
          this.#ai.batches.get({ name, config: { httpOptions: this.#http, abortSignal: signal } }),
        signal,
      );
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Cancels a batch (a finished one stays as it is); a batch the API no longer has is ignored. */
  async cancel(name: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#retrying(
        'cancel a batch',
        () =>
          this.#ai.batches.cancel({
            name,
            config: { httpOptions: this.#http, abortSignal: signal },
          }),
        signal,
      );
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /**
   * The project's batches with these display names, through every page of `batches.list`.
   * When two share a name (two runs raced), the one most worth keeping: succeeded, then still
   * running, then the newest.
   */
  async find(
    displayNames: ReadonlySet<string>,
    signal: AbortSignal,
  ): Promise<Map<string, BatchJob>> {
    const found = new Map<string, BatchJob>();
    if (displayNames.size === 0) return found;
    const pager = await this.#retrying(
      'list batches',
      () =>
        this.#ai.batches.list({
          config: { pageSize: PAGE_SIZE, httpOptions: this.#http, abortSignal: signal },
        }),
      signal,
    );
    for await (const job of pager) {
      const name = job.displayName;
      if (name === undefined || !displayNames.has(name)) continue;
      const other = found.get(name);
      if (other === undefined || rank(job) > rank(other)) found.set(name, job);
    }
    return found;
  }

  /**
   * The answers of a succeeded batch, inline or from its results file (downloaded to
   * `scratch`, read line by line, removed); undefined when the results file is gone (the Files
   * API keeps files 48 hours).
   */
  async answers(
    job: BatchJob,
    scratch: string,
    signal: AbortSignal,
  ): Promise<InlinedResponse[] | undefined> {
    const inline = job.dest?.inlinedResponses;
    if (inline !== undefined) return inline;
    const fileName = job.dest?.fileName;
    if (fileName === undefined) return [];
    try {
      await this.#retrying(
        'download batch results',
        () =>
          this.#ai.files.download({
            file: fileName,
            downloadPath: scratch,
            config: { httpOptions: this.#http, abortSignal: signal },
          }),
        signal,
      );
    } catch (error) {
      const status = statusOf(error);
      if (status === 403 || status === 404) return undefined;
      throw error;
    }
    try {
      return await this.#readResults(scratch);
    } finally {
      await rm(scratch, { force: true });
    }
  }

  /** Deletes an uploaded file; a failure only costs storage until the file expires. */
  async deleteFile(name: string): Promise<void> {
    try {
      await this.#ai.files.delete({ name, config: { httpOptions: this.#http } });
    } catch (error) {
      diag.debug(`gemini-lanes batch: could not delete ${name}`, error);
    }
  }

  async #readResults(path: string): Promise<InlinedResponse[]> {
    const answers: InlinedResponse[] = [];
    const file = await open(path, 'r');
    try {
      let group: unknown[] = [];
      for await (const lines of readLineBatches(file, {
        from: { offset: 0, line: 0 },
        maxLineBytes: Number.MAX_SAFE_INTEGER,
      })) {
        for (const raw of lines) {
          const text = raw.text?.trim() ?? '';
          if (text === '') continue;
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            diag.warn(
              `gemini-lanes batch: results line ${raw.number} is not JSON; its request is sent again`,
            );
            continue;
          }
          const { key, ...rest } = (value ?? {}) as { key?: unknown };
          group.push(typeof key === 'string' ? { ...rest, metadata: { key } } : rest);
          if (group.length >= DECODE_GROUP) {
            answers.push(...(await this.#codec.decode(group)));
            group = [];
          }
        }
      }
      answers.push(...(await this.#codec.decode(group)));
      return answers;
    } finally {
      await file.close();
    }
  }

  async #retrying<T>(what: string, call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const info = describeUpstreamError(error);
        if (
          info.retryReason === undefined ||
          attempt >= this.#retry.maxAttempts ||
          signal.aborted
        ) {
          throw error;
        }
        diag.debug(`gemini-lanes batch: ${what} failed (${info.errorType}); retrying`);
        await this.#backoff(attempt, info.retryDelayMs, signal);
      }
    }
  }

  #backoff(attempt: number, serverDelayMs: number | undefined, signal: AbortSignal): Promise<void> {
    const delay = retryDelayMs(
      attempt,
      {
        baseDelayMs: this.#retry.baseDelayMs,
        maxDelayMs: this.#retry.maxDelayMs,
        random: this.#random,
      },
      serverDelayMs,
    );
    return this.#sleep(delay, signal);
  }
}

function rank(job: BatchJob): number {
  const state = batchStateOf(job.state);
  const order = state === 'succeeded' ? 3 : state === 'pending' || state === 'running' ? 2 : 1;
  // Same rank: the newer one (RFC 3339 times compare as text).
  return order * 1e15 + (Date.parse(job.createTime ?? '') || 0) / 1e3;
}
