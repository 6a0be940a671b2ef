import { basename } from 'node:path';
import {
  DEFAULT_PRICES,
  describeUpstreamError,
  type Lane,
  type PriceTable,
} from '@gemini-lanes/core';
import { guard, type Telemetry } from '@gemini-lanes/otel';
import type { BatchJob, GenerateContentParameters } from '@google/genai';
import { diag } from '@opentelemetry/api';
import { writeCheckpoint } from '../jobs/job-checkpoint.js';
import { JobInputChangedError } from '../jobs/job-errors.js';
import { JobLifecycle } from '../jobs/job-lifecycle.js';
import { errorOf, failure, usageTokens, writableResult } from '../jobs/job-result.js';
import { type JobInput, type SourceIdentity, sameSource } from '../jobs/job-source.js';
import type { Job, JobResult } from '../jobs/job-types.js';
import { RecentIds } from '../jobs/recent-ids.js';
import { abortableSleep, type Sleep } from '../throughput/throughput-executor.js';
import {
  BATCH_CHECKPOINT_KIND,
  BATCH_CHECKPOINT_VERSION,
  type BatchCheckpoint,
  type Chunking,
  type GenerationRecord,
  type PartRecord,
  readBatchCheckpoint,
} from './batch-checkpoint.js';
import {
  type Chunk,
  type ChunkLine,
  ChunkReader,
  inlinedRequest,
  planChunk,
} from './batch-chunks.js';
import { BatchCodec } from './batch-codec.js';
import { BatchMetrics } from './batch-metrics.js';
import { type BatchPlace, displayNameOf, jobKeyOf } from './batch-names.js';
import type { BatchJobContext, BatchJobOptions } from './batch-options.js';
import { batchResultOf, unansweredType } from './batch-results.js';
import { type BatchRetryOptions, BatchService } from './batch-service.js';
import { type Settings, settingsOf } from './batch-settings.js';
import { type BatchState, batchStateOf, isFinal } from './batch-state.js';

const DEFAULT_RETRY: BatchRetryOptions = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 60_000 };
const POLL_BACKOFF = 1.5;

/** Thrown inside a part's loop when the job stops; never reaches the caller. */
const STOPPED = Symbol('stopped');

/**
 * Runs every request of a JSONL file (or iterable) through the Gemini Batch API (half price),
 * writing one result line per input line to `options.output`, in input order, in the format of
 * `runJob`. The input is cut into chunks; each chunk's requests for one model form one batch,
 * sent inline or, beyond `inlineLimitBytes`, as a JSONL file through the Files API. Each batch
 * has a display name derived from the input and its place, recorded in the checkpoint before
 * it is created: a run killed at any moment and started again with the same arguments finds its
 * batches instead of paying for them twice. Invalid options throw at once; everything else is
 * reported through `done`.
 */
export function runBatchJob(
  input: JobInput,
  context: BatchJobContext,
  options: BatchJobOptions,
): Job {
  return new BatchJobRun(settingsOf(input, options), context);
}

/** A part of an open chunk: its plan, its submissions, and what its batches are doing. */
interface PartState {
  model: string;
  lines: number[];
  record: PartRecord;
  /** Succeeded submissions whose answers are not collected yet (with the batch, when kept). */
  succeeded: Array<{ name: string; generation: number; job: BatchJob | undefined }>;
  /** The batch pending or running now, and its requests. */
  active: { name: string; requests: number } | undefined;
  /** Submissions that failed (cancelled ones excepted), and how the last one ended. */
  failures: number;
  last: BatchState | 'lost' | 'missing';
  /** Every line has its result (its run returned, not stopped). */
  finished: boolean;
}

/** A chunk between its reading and the commit of its results. */
interface ChunkState {
  chunk: Chunk;
  byLine: Map<number, ChunkLine>;
  parts: PartState[];
  results: Map<number, JobResult>;
  /** Lines repeating an id of an earlier chunk: their answers are written as duplicate_id. */
  duplicates: Map<number, string>;
  /** Files to delete once the chunk's results are committed. */
  files: string[];
  settled: boolean;
  /** Resolves when every earlier chunk is committed: answers are collected only then. */
  head: Deferred;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface Written {
  result: JobResult;
  model: string | undefined;
}

class BatchJobRun extends JobLifecycle<BatchCheckpoint['watermark'], Written> {
  readonly #s: Settings;
  readonly #service: BatchService;
  readonly #codec = new BatchCodec();
  readonly #metrics: BatchMetrics;
  readonly #telemetry: Telemetry | undefined;
  readonly #prices: PriceTable;
  readonly #lane: Lane | undefined;
  readonly #sleep: Sleep;
  readonly #recentIds: RecentIds;
  readonly #abort = new AbortController();
  readonly #stopped = deferred();
  readonly #chunks: ChunkState[] = [];
  readonly #partRuns = new Set<Promise<void>>();
  #chunking: Chunking;
  #jobKey = '';
  #identity: SourceIdentity | undefined;
  /** Recorded submissions of chunks not read yet in this run, by `chunk.part`. */
  #recorded = new Map<string, PartRecord>();
  /** Batches found by display name for recorded submissions without a name. */
  #found = new Map<string, BatchJob>();
  #skip = new Set<number>();
  #committed = { watermark: { position: 0, line: 0, chunk: 0 }, outputBytes: 0 };
  #syncedBytes = 0;
  #checkpointing: Promise<void> = Promise.resolve();
  #committing: Promise<void> = Promise.resolve();

  constructor(settings: Settings, context: BatchJobContext) {
    super(settings, 'gemini-lanes batch job');
    this.#s = settings;
    this.#chunking = settings.chunking;
    this.#telemetry = context.telemetry;
    this.#prices = context.prices ?? context.telemetry?.prices ?? DEFAULT_PRICES;
    this.#lane = context.lane;
    this.#sleep = context.sleep ?? abortableSleep;
    this.#metrics = new BatchMetrics(context.telemetry?.instruments);
    this.#service = new BatchService({
      client: context.client,
      codec: this.#codec,
      retry: context.retry ?? DEFAULT_RETRY,
      sleep: this.#sleep,
      random: context.random ?? Math.random,
    });
    this.#recentIds = new RecentIds(settings.duplicateIdWindow);
    this.start();
  }

  protected inFlight(): number {
    let inFlight = 0;
    for (const chunk of this.#chunks) {
      for (const part of chunk.parts) inFlight += part.active?.requests ?? 0;
    }
    return inFlight;
  }

  /** Results arrive a chunk at a time, long after the chunk is read: the ETA follows what is written. */
  protected etaPosition(): number {
    return this.#committed.watermark.position;
  }

  /** Stops polling; `finish` then cancels this job's pending and running batches (a resume submits them again). */
  protected abortWork(): void {
    this.#abort.abort(this.cancelReason);
    this.#stopped.resolve();
  }

  /** An error that is only cancel() aborting a call. */
  protected override isStopError(error: unknown): boolean {
    return (
      this.cancelled &&
      this.#abort.signal.aborted &&
      (error === this.cancelReason || isAbort(error))
    );
  }

  /** Recovers the output and reads the checkpoint; returns where to read from. */
  protected async prepare(): Promise<BatchCheckpoint['watermark'] | 'complete'> {
    this.#identity = await this.#s.source.identity();
    const path = this.#s.checkpoint;
    const saved = await this.savedCheckpoint(readBatchCheckpoint);
    if (path !== undefined && saved !== undefined) {
      const changed =
        saved.source === null ? 'it had no identity' : sameSource(saved.source, this.#identity);
      this.adoptCheckpoint(path, changed, saved.totals);
      this.#jobKey = saved.jobKey;
      const { chunkSize, chunkBytes } = this.#s.chunking;
      if (saved.chunking.chunkSize !== chunkSize || saved.chunking.chunkBytes !== chunkBytes) {
        diag.warn(
          `gemini-lanes batch job: resuming with the checkpoint's chunking (chunkSize ${saved.chunking.chunkSize}, chunkBytes ${saved.chunking.chunkBytes}): its batches were cut that way`,
        );
      }
      this.#chunking = saved.chunking;
      if (saved.state === 'complete') return this.completeOutput(path, saved.outputBytes);
      const recovery = await this.recoverResults(path, {
        fromBytes: saved.outputBytes,
        watermarkLine: saved.watermark.line,
        claimed: new Set(),
      });
      this.#skip = recovery.doneLines;
      this.#committed = { watermark: { ...saved.watermark }, outputBytes: saved.outputBytes };
      this.#syncedBytes = saved.outputBytes;
      for (const record of saved.parts)
        this.#recorded.set(`${record.chunk}.${record.part}`, record);
      // Creates that may have happened after the checkpoint's intent and before its name:
      // one listing finds them all, so none is created (and paid for) again.
      const unnamed = new Set(
        saved.parts.flatMap((p) => p.generations.filter((g) => g.name === undefined)),
      );
      if (unnamed.size > 0) {
        this.#found = await this.#service.find(
          new Set([...unnamed].map((g) => g.displayName)),
          this.#abort.signal,
        );
      }
      await this.openOutput(recovery.size);
      return saved.watermark;
    }
    this.#jobKey = jobKeyOf(this.#identity);
    // The checkpoint is written before any batch is created: the job's batches are always
    // findable from here.
    await this.startOutput(() => this.#saveCheckpoint('running'));
    return { position: 0, line: 0, chunk: 0 };
  }

  /** The next chunk; undefined at the end of the input or when the job stopped while reading. */
  #read(reader: ChunkReader): Promise<Awaited<ReturnType<ChunkReader['read']>> | 'stopped'> {
    return this.readUntilStopped(() => reader.read(), 'stopped');
  }

  protected async pump(from: BatchCheckpoint['watermark']): Promise<void> {
    this.startPosition = from.position;
    this.bytesRead = from.position;
    const reader = new ChunkReader(
      this.#s.source.open({ position: from.position, line: from.line }),
      { position: from.position, line: from.line },
      from.chunk,
      this.#chunking,
    );
    let reading = false;
    try {
      while (!this.stopping) {
        if (this.#chunks.length >= this.#s.maxChunksInFlight) {
          await this.idle();
          continue;
        }
        reading = true;
        const draft = await this.#read(reader);
        this.abandonRead = undefined;
        if (draft === 'stopped' || this.stopping) break;
        reading = false;
        if (draft === undefined) {
          this.endOfInput = true;
          break;
        }
        if (this.#s.fileInput) this.bytesRead = draft.end.position;
        this.#open(await planChunk(draft, this.#codec));
      }
      while (!this.stopping && this.#chunks.length > 0) await this.idle();
    } finally {
      await this.closeInput(reader.close(), reading);
    }
  }

  /** Starts a chunk's parts: each submits (or finds) its batch and follows it. */
  #open(chunk: Chunk): void {
    const state: ChunkState = {
      chunk,
      byLine: new Map(chunk.lines.map((l) => [l.line, l])),
      parts: [],
      results: new Map(),
      duplicates: new Map(),
      files: [],
      settled: false,
      head: deferred(),
    };
    for (const line of chunk.lines) {
      // As in the parallel mode: an id is claimed by its first line within the window, valid or
      // not, and a later line with it is written under `line:<n>`. (It was sent all the same: a
      // chunk's batches depend on the input alone, not on what this run remembers.)
      if (!line.named) continue;
      const earlier = this.#recentIds.claim(line.id, line.line);
      if (earlier === undefined) continue;
      const id = `line:${line.line}`;
      if (line.result !== undefined) {
        line.result = { ...line.result, id };
      } else {
        state.duplicates.set(
          line.line,
          `line ${line.line} repeats the id ${JSON.stringify(line.id)} of line ${earlier}`,
        );
      }
      line.id = id;
    }
    for (const plan of chunk.parts) {
      const key = `${chunk.index}.${plan.index}`;
      const record = this.#recorded.get(key) ?? {
        chunk: chunk.index,
        part: plan.index,
        hash: plan.hash,
        generations: [],
      };
      this.#recorded.delete(key);
      if (record.hash !== plan.hash) {
        this.fail(
          new JobInputChangedError(
            this.#s.checkpoint ?? this.#s.output,
            `chunk ${chunk.index} is not the one its batches were made from`,
          ),
        );
        return;
      }
      state.parts.push({
        model: plan.model,
        lines: plan.lines,
        record,
        succeeded: [],
        active: undefined,
        failures: 0,
        last: 'missing',
        finished: false,
      });
    }
    if (this.#chunks.length === 0) state.head.resolve();
    this.#chunks.push(state);
    if (state.parts.length === 0) {
      state.settled = true;
      this.#commitReady();
      return;
    }
    const runs = state.parts.map((part) =>
      this.#track(
        this.#runPart(state, part).then(() => {
          part.finished = true;
        }),
      ),
    );
    void Promise.all(runs).then(() => {
      // A part stopped before its lines had results leaves the chunk to a resume.
      if (!state.parts.every((part) => part.finished)) return;
      state.settled = true;
      this.#commitReady();
    });
  }

  /** Keeps a part's run for `finish` to wait on; its failure stops the job. */
  #track(run: Promise<void>): Promise<void> {
    const tracked = run.catch((error: unknown) => {
      if (error !== STOPPED && !this.stopping) this.fail(error);
      else if (error !== STOPPED && !(this.#abort.signal.aborted && isAbort(error))) {
        diag.debug('gemini-lanes batch job: a part stopped with an error', error);
      }
    });
    this.#partRuns.add(tracked);
    void tracked.finally(() => this.#partRuns.delete(tracked));
    return tracked;
  }

  /**
   * A part's life: follow the batches recorded for it (found by name, or by display name when the
   * last run died between a create and the checkpoint that names it), then submit generation after
   * generation for the lines still unanswered, until every line has a result or the part has used
   * its submissions. Answers are collected only when the chunk is next to be written.
   */
  async #runPart(chunk: ChunkState, part: PartState): Promise<void> {
    const signal = this.#abort.signal;
    const generations = part.record.generations;
    for (const recorded of [...generations]) {
      const job = await this.#resolve(recorded, signal);
      if (job === undefined) {
        if (recorded.name === undefined) {
          // Never created (the run died before its create was sent): its number is free again.
          generations.splice(generations.indexOf(recorded), 1);
        } else {
          part.failures += 1;
          part.last = 'lost';
        }
        continue;
      }
      if (recorded.name === undefined && job.name !== undefined) recorded.name = job.name;
      const pending = part.lines.filter((line) => !this.#skip.has(line)).length;
      await this.#follow(chunk, part, recorded, job, pending, signal);
    }
    let next = (generations.at(-1)?.generation ?? -1) + 1;
    for (;;) {
      if (part.succeeded.length > 0) {
        await this.#whenHead(chunk);
        const before = this.#unanswered(chunk, part).length;
        await this.#collect(chunk, part, signal);
        if (this.#unanswered(chunk, part).length > 0 && before > 0) {
          // A batch that succeeded without answering some lines: those go again, as a failure.
          part.failures += 1;
          part.last = 'missing';
        }
      }
      const missing = this.#unanswered(chunk, part);
      if (missing.length === 0) return;
      if (part.failures >= this.#s.maxSubmissions) {
        const type = unansweredType(part.last);
        for (const line of missing) {
          const id = chunk.byLine.get(line)?.id ?? `line:${line}`;
          const message = `no answer after ${part.failures} batch submissions; the last one ended ${part.last}`;
          chunk.results.set(line, failure(id, line, type, message, next));
        }
        return;
      }
      const generation = next++;
      await this.#submit(chunk, part, generation, missing, signal);
    }
  }

  /** Creates generation `generation` of a part for `lines` and follows it to its end. */
  async #submit(
    chunk: ChunkState,
    part: PartState,
    generation: number,
    lines: number[],
    signal: AbortSignal,
  ): Promise<void> {
    const place: BatchPlace = {
      jobKey: this.#jobKey,
      chunk: chunk.chunk.index,
      part: part.record.part,
      generation,
      hash: part.record.hash,
    };
    const record: GenerationRecord = { generation, displayName: displayNameOf(place) };
    part.record.generations.push(record);
    // The intent is durable before the create is sent: a run that dies in between finds the
    // batch by this display name instead of creating another.
    await this.#saveCheckpoint('running');
    if (this.stopping) throw STOPPED;
    const requests = await this.#requestsOf(chunk, lines);
    const headers = this.#s.hooks?.createHeaders?.({ ...place, displayName: record.displayName });
    let created: Awaited<ReturnType<BatchService['create']>>;
    try {
      created = await this.#service.create(
        {
          model: part.model,
          displayName: record.displayName,
          requests: lines.map((line) =>
            inlinedRequest(requests.get(line) as GenerateContentParameters, line),
          ),
          inlineLimitBytes: this.#s.inlineLimitBytes,
          headers,
          patience: () =>
            this.#metrics.watching().length > 0 ? this.#s.pollIntervalMs : undefined,
        },
        signal,
      );
    } catch (error) {
      if (this.stopping) throw STOPPED;
      const info = describeUpstreamError(error);
      // The API refused these requests (400, 403, 404, ...): their results say why. Anything
      // else (retries spent, a local failure) stops the job; the checkpoint resumes it.
      if (info.httpStatus === undefined || info.retryReason !== undefined) throw error;
      const reason = errorOf(error);
      for (const line of lines) {
        const id = chunk.byLine.get(line)?.id ?? `line:${line}`;
        chunk.results.set(line, {
          id,
          line,
          error: reason,
          usage: null,
          costUsd: null,
          attempts: generation + 1,
        });
      }
      return;
    }
    if (created.uploaded !== undefined) chunk.files.push(created.uploaded);
    const name = created.job.name;
    if (name === undefined) throw new Error('the Batch API created a batch without a name');
    guard('afterCreate test hook', () =>
      this.#s.hooks?.afterCreate?.({ displayName: record.displayName, name }),
    );
    record.name = name;
    if (this.#everyPartSubmitted(chunk) && this.#s.source.resumable) {
      // Resubmissions re-read their requests from the input; nothing else needs them.
      chunk.chunk.requests = undefined;
    }
    await this.#saveCheckpoint('running');
    await this.#follow(chunk, part, record, created.job, lines.length, signal);
  }

  /**
   * Polls a batch (backing off from `pollIntervalMs`) until it ends, and records how it ended.
   * A batch that ends while this run watches it counts its requests in
   * `gemini_lanes.batch.requests`; one found already ended was counted by the run that saw it.
   */
  async #follow(
    chunk: ChunkState,
    part: PartState,
    record: GenerationRecord,
    first: BatchJob,
    requests: number,
    signal: AbortSignal,
  ): Promise<void> {
    const name = record.name ?? first.name ?? '';
    let job: BatchJob | undefined = first;
    let delay = this.#s.pollIntervalMs;
    let state = batchStateOf(job.state);
    const watched = !isFinal(state);
    this.#metrics.observe(name, state);
    while (!isFinal(state)) {
      part.active = { name, requests };
      await this.#sleep(delay, signal);
      delay = Math.min(delay * POLL_BACKOFF, this.#s.maxPollIntervalMs);
      job = await this.#service.get(name, signal);
      if (job === undefined) break;
      state = batchStateOf(job.state);
      this.#metrics.observe(name, state);
    }
    part.active = undefined;
    if (job === undefined) {
      // Deleted while it ran: nothing to collect.
      this.#metrics.forget(name);
      part.failures += 1;
      part.last = 'lost';
      return;
    }
    if (state === 'succeeded') {
      // Kept only when its answers are collected next: a chunk waiting for an earlier one holds
      // none in memory (they are fetched again when its turn comes).
      const keep = this.#chunks[0] === chunk ? job : undefined;
      part.succeeded.push({ name, generation: record.generation, job: keep });
      return;
    }
    if (watched) this.#metrics.requests(state, requests);
    // This job cancels its batches only when it stops: one that ends cancelled while it watches
    // was cancelled by someone else, and counts as a failed submission (a loop of those ends);
    // one found cancelled on resume was this job's own doing.
    if (state !== 'cancelled' || watched) part.failures += 1;
    part.last = state;
  }

  /** A recorded submission's batch: by name, or found by display name; undefined when it is not there. */
  async #resolve(record: GenerationRecord, signal: AbortSignal): Promise<BatchJob | undefined> {
    if (record.name !== undefined) return this.#service.get(record.name, signal);
    const found = this.#found.get(record.displayName);
    this.#found.delete(record.displayName);
    if (found !== undefined && found.name !== undefined) {
      record.name = found.name;
      await this.#saveCheckpoint('running');
    }
    return found;
  }

  /** Collects the answers of a part's succeeded batches into the chunk's results. */
  async #collect(chunk: ChunkState, part: PartState, signal: AbortSignal): Promise<void> {
    const lines = new Set(part.lines);
    for (const { name, generation, job: kept } of part.succeeded.splice(0)) {
      const job = kept ?? (await this.#service.get(name, signal));
      if (job === undefined || batchStateOf(job.state) !== 'succeeded') continue;
      if (job.dest?.fileName !== undefined) chunk.files.push(job.dest.fileName);
      const scratch = `${this.#s.output}.${basename(name)}.results`;
      const answers = await this.#service.answers(job, scratch, signal);
      if (answers === undefined) {
        diag.warn(
          `gemini-lanes batch job: the results of ${name} are gone; its lines are sent again`,
        );
        continue;
      }
      let answered = 0;
      let failed = 0;
      for (const answer of answers) {
        const key = answer.metadata?.key;
        const line = key === undefined ? Number.NaN : Number(key);
        if (!lines.has(line)) {
          diag.warn(
            `gemini-lanes batch job: ${name} answered an unknown key ${JSON.stringify(key)}`,
          );
          continue;
        }
        if (chunk.results.has(line) || this.#skip.has(line)) continue;
        const result = batchResultOf(answer, {
          id: chunk.byLine.get(line)?.id ?? `line:${line}`,
          line,
          model: part.model,
          attempts: generation + 1,
          prices: this.#prices,
        });
        chunk.results.set(line, result);
        if (result.error === undefined) answered += 1;
        else failed += 1;
      }
      this.#metrics.requests('succeeded', answered);
      this.#metrics.requests('failed', failed);
    }
  }

  /** A part's lines with no result yet, in this run or an earlier one. */
  #unanswered(chunk: ChunkState, part: PartState): number[] {
    return part.lines.filter((line) => !chunk.results.has(line) && !this.#skip.has(line));
  }

  #everyPartSubmitted(chunk: ChunkState): boolean {
    return chunk.parts.every((p) => p.record.generations.some((g) => g.name !== undefined));
  }

  /** Resolves when the chunk is next to be written; throws STOPPED when the job stops first. */
  async #whenHead(chunk: ChunkState): Promise<void> {
    await Promise.race([chunk.head.promise, this.#stopped.promise]);
    if (this.stopping) throw STOPPED;
  }

  /** The requests of some lines of a chunk: kept, or read again from the input. */
  async #requestsOf(
    chunk: ChunkState,
    lines: number[],
  ): Promise<Map<number, GenerateContentParameters>> {
    const kept = chunk.chunk.requests;
    if (kept !== undefined) return kept;
    const wanted = new Set(lines);
    const found = new Map<number, GenerateContentParameters>();
    const { start, end } = chunk.chunk;
    const records = this.#s.source.open(start);
    try {
      scan: for (;;) {
        const next = await records.next();
        if (next.done === true) break;
        for (const { record } of next.value) {
          if (record.line > end.line) break scan;
          if (wanted.has(record.line) && record.request !== undefined) {
            found.set(record.line, record.request);
          }
        }
      }
    } finally {
      await records.return?.(undefined);
    }
    if (found.size !== wanted.size) {
      throw new JobInputChangedError(
        this.#s.checkpoint ?? this.#s.output,
        `chunk ${chunk.chunk.index} reads differently now`,
      );
    }
    return found;
  }

  /** Writes every settled chunk at the head, in order, each followed by a checkpoint. */
  #commitReady(): void {
    this.#committing = this.#committing
      .then(() => this.#commitHeads())
      .catch((error: unknown) => this.fail(error));
  }

  async #commitHeads(): Promise<void> {
    for (;;) {
      const head = this.#chunks[0];
      if (head === undefined || !head.settled || this.failure !== undefined) return;
      const writer = this.writer;
      if (writer === undefined) return;
      for (const line of head.chunk.lines) {
        if (this.#skip.delete(line.line)) continue;
        let result = line.result ?? head.results.get(line.line);
        const repeated = head.duplicates.get(line.line);
        if (repeated !== undefined) {
          result = failure(
            `line:${line.line}`,
            line.line,
            'duplicate_id',
            repeated,
            result?.attempts ?? 0,
          );
        }
        if (result === undefined) {
          throw new Error(`gemini-lanes batch job: line ${line.line} has no result to write`);
        }
        const model = line.part === undefined ? undefined : head.chunk.parts[line.part]?.model;
        this.#enqueue(result, model);
      }
      await writer.idle();
      this.#committed = {
        watermark: { ...head.chunk.end, chunk: head.chunk.index + 1 },
        outputBytes: writer.bytes,
      };
      this.#chunks.shift();
      await this.#saveCheckpoint('running');
      for (const file of head.files) void this.#service.deleteFile(file);
      this.#chunks[0]?.head.resolve();
      this.wakeUp();
    }
  }

  #enqueue(result: JobResult, model: string | undefined): void {
    const { text, result: written } = writableResult(result);
    this.writer?.enqueue(text, { result: written, model });
  }

  protected onWritten(items: Written[]): void {
    for (const { result, model } of items) {
      const tokens = usageTokens(result.usage);
      this.tally(result, tokens);
      const telemetry = this.#telemetry;
      if (telemetry !== undefined && result.usage !== null && model !== undefined) {
        const usage = result.usage;
        guard('batch usage metric', () =>
          telemetry.recordUsage(usage, { model, lane: this.#lane, tier: 'batch' }),
        );
      }
      this.emitResult(result);
    }
  }

  /**
   * Queues a checkpoint write of the state as it is when the write starts (so a caller that
   * changed the state and awaits this knows its change is on disk). Writes never overlap.
   */
  #saveCheckpoint(state: BatchCheckpoint['state']): Promise<void> {
    const write = this.#checkpointing.catch(() => {}).then(() => this.#writeCheckpoint(state));
    this.#checkpointing = write;
    return write;
  }

  async #writeCheckpoint(state: BatchCheckpoint['state']): Promise<void> {
    const path = this.#s.checkpoint;
    if (path === undefined) return;
    const parts: PartRecord[] = [];
    for (const chunk of this.#chunks) {
      for (const part of chunk.parts) {
        if (part.record.generations.length > 0) parts.push(part.record);
      }
    }
    parts.push(...this.#recorded.values());
    const checkpoint: BatchCheckpoint = {
      kind: BATCH_CHECKPOINT_KIND,
      version: BATCH_CHECKPOINT_VERSION,
      state,
      source: this.#identity ?? null,
      jobKey: this.#jobKey,
      chunking: this.#chunking,
      watermark: { ...this.#committed.watermark },
      outputBytes: this.#committed.outputBytes,
      totals: { ...this.totals },
      parts: structuredClone(parts),
      updatedAt: new Date().toISOString(),
    };
    if (this.#s.fsync && checkpoint.outputBytes > this.#syncedBytes) {
      await this.outputFile?.datasync();
      this.#syncedBytes = checkpoint.outputBytes;
    }
    await writeCheckpoint(path, checkpoint, { fsync: this.#s.fsync });
  }

  /** Cancels this job's batches that have not ended, including any a create left unnamed. */
  async #cancelBatches(): Promise<void> {
    const signal = new AbortController().signal;
    // Batch name → its requests (what `gemini_lanes.batch.requests` counts as cancelled).
    const running = new Map<string, number>();
    const unnamed = new Map<string, number>();
    for (const chunk of this.#chunks) {
      for (const part of chunk.parts) {
        if (part.active !== undefined) running.set(part.active.name, part.active.requests);
        const last = part.record.generations.at(-1);
        if (last !== undefined && last.name === undefined) {
          unnamed.set(last.displayName, this.#unanswered(chunk, part).length);
        }
      }
    }
    for (const name of this.#metrics.watching()) if (!running.has(name)) running.set(name, 0);
    if (unnamed.size > 0) {
      const found = await this.#service.find(new Set(unnamed.keys()), signal);
      for (const [displayName, job] of found) {
        if (job.name === undefined || isFinal(batchStateOf(job.state))) continue;
        running.set(job.name, unnamed.get(displayName) ?? 0);
        this.#metrics.observe(job.name, batchStateOf(job.state));
      }
    }
    await Promise.all(
      [...running].map(async ([name, requests]) => {
        await this.#service.cancel(name, signal);
        const job = await this.#service.get(name, signal);
        if (job === undefined) return;
        const state = batchStateOf(job.state);
        this.#metrics.observe(name, state);
        // A batch that ended otherwise just before is collected (or resubmitted) by a resume.
        if (state === 'cancelled') this.#metrics.requests(state, requests);
      }),
    );
  }

  /** Waits for the parts, cancels batches after cancel(), writes the last checkpoint. */
  protected async finish(): Promise<void> {
    this.finishing = true;
    this.stop();
    while (this.#partRuns.size > 0) await Promise.all([...this.#partRuns]);
    await this.#committing;
    if (this.cancelled && this.failure === undefined) {
      try {
        await this.#cancelBatches();
      } catch (error) {
        diag.error(
          'gemini-lanes batch job: cancelling its batches failed; they run on, and a resume collects them',
          error,
        );
      }
    }
    for (const name of this.#metrics.watching()) this.#metrics.forget(name);
    // The last checkpoint claims only committed chunks.
    await this.flushOutput();
    const complete =
      this.endOfInput && this.#chunks.length === 0 && this.failure === undefined && !this.cancelled;
    await this.lastCheckpoint(() => this.#saveCheckpoint(complete ? 'complete' : 'running'));
    await this.closeOutput();
  }
}

function isAbort(error: unknown): boolean {
  return describeUpstreamError(error).errorType === 'cancelled';
}
