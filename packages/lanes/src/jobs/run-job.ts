import { type FileHandle, open, rm, truncate } from 'node:fs/promises';
import { type Clock, costOf, DEFAULT_PRICES, systemClock } from '@gemini-lanes/core';
import { guard } from '@gemini-lanes/otel';
import type { GenerateContentParameters, GenerateContentResponse } from '@google/genai';
import { diag } from '@opentelemetry/api';
import {
  CHECKPOINT_KIND,
  CHECKPOINT_VERSION,
  type JobCheckpoint,
  type JobTotals,
  readCheckpoint,
  syncDirectory,
  writeCheckpoint,
} from './job-checkpoint.js';
import {
  JobCancelledError,
  JobCheckpointError,
  JobInputChangedError,
  JobNotResumableError,
  JobOutputExistsError,
} from './job-errors.js';
import { ResultWriter, recoverOutput, type TearHook } from './job-output.js';
import { errorOf, failure, responseData, serialize, usageTokens } from './job-result.js';
import {
  DEFAULT_MAX_LINE_BYTES,
  type JobInput,
  type JobInputRecord,
  type JobSource,
  jobSourceOf,
  type PositionedRecord,
  type SourceIdentity,
  type SourcePosition,
  sameSource,
  sizeOf,
} from './job-source.js';
import type {
  Job,
  JobExecutor,
  JobFailure,
  JobProgress,
  JobResult,
  JobSummary,
  RunJobOptions,
} from './job-types.js';
import { JobWindow, type WindowEntry } from './job-window.js';
import { RecentIds } from './recent-ids.js';

/**
 * @internal Test hooks, read from the options under this registered symbol (so a test child
 * process using the built package can reach them); not part of the public API.
 */
export const JOB_TEST_HOOKS = Symbol.for('gemini-lanes.jobs.test-hooks');

/** @internal */
export interface JobTestHooks {
  /** Write half of this run's `at`-th result line, then call `onTorn` (which kills the process). */
  tearWrite?: TearHook;
}

export type { JobInput } from './job-source.js';

interface Settings {
  source: JobSource;
  fileInput: boolean;
  output: string;
  checkpoint: string | undefined;
  resume: boolean | undefined;
  overwrite: boolean;
  concurrency: number | (() => number);
  maxInFlight: number;
  maxWindow: number;
  signal: AbortSignal | undefined;
  cost: NonNullable<RunJobOptions['cost']>;
  fsync: boolean;
  checkpointIntervalMs: number;
  checkpointEvery: number;
  progressIntervalMs: number;
  duplicateIdWindow: number;
  clock: Clock;
  tear: TearHook | undefined;
}

/** A written result line and the window entry it finishes. */
interface Written {
  entry: WindowEntry;
  result: JobResult;
}

function count(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(`runJob: options.${name} must be an integer >= ${min} (got ${value})`);
  }
  return value;
}

/** Cost by the built-in price table at standard prices; null for a model it does not know. */
function defaultCost(
  response: GenerateContentResponse,
  request: GenerateContentParameters,
): number | undefined {
  const usage = response.usageMetadata;
  if (usage === undefined) return undefined;
  const breakdown = costOf(usage, request.model, 'standard', DEFAULT_PRICES);
  return breakdown.known ? breakdown.usd.total : undefined;
}

function settingsOf(input: JobInput, options: RunJobOptions): Settings {
  if (typeof options?.output !== 'string' || options.output.length === 0) {
    throw new TypeError('runJob: options.output must be a file path');
  }
  const maxLineBytes = count(options.maxLineBytes, 'maxLineBytes', DEFAULT_MAX_LINE_BYTES);
  const { source, fileInput } = jobSourceOf(input, maxLineBytes, 'runJob');
  let checkpoint: string | undefined;
  if (typeof options.checkpoint === 'string') {
    if (!source.resumable) throw new JobNotResumableError();
    checkpoint = options.checkpoint;
  } else if (options.checkpoint === undefined && source.resumable) {
    checkpoint = `${options.output}.ckpt`;
  }
  const { concurrency = 8 } = options;
  if (typeof concurrency === 'number') count(concurrency, 'concurrency', 8);
  else if (typeof concurrency !== 'function') {
    throw new TypeError('runJob: options.concurrency must be a number or a function');
  }
  const maxInFlight = count(
    options.maxInFlight,
    'maxInFlight',
    typeof concurrency === 'number' ? concurrency : 64,
  );
  const maxWindow = count(options.maxWindow, 'maxWindow', 4 * maxInFlight);
  if (maxWindow < maxInFlight) {
    throw new RangeError(
      `runJob: options.maxWindow must be >= maxInFlight ${maxInFlight} (got ${maxWindow})`,
    );
  }
  const hooks = (options as { [JOB_TEST_HOOKS]?: JobTestHooks })[JOB_TEST_HOOKS];
  return {
    source,
    fileInput,
    output: options.output,
    checkpoint,
    resume: options.resume,
    overwrite: options.overwrite ?? false,
    concurrency,
    maxInFlight,
    maxWindow,
    signal: options.signal,
    cost: options.cost ?? defaultCost,
    fsync: options.fsync ?? true,
    checkpointIntervalMs: count(options.checkpointIntervalMs, 'checkpointIntervalMs', 1000, 0),
    checkpointEvery: count(options.checkpointEvery, 'checkpointEvery', 1000),
    progressIntervalMs: count(options.progressIntervalMs, 'progressIntervalMs', 1000),
    duplicateIdWindow: count(options.duplicateIdWindow, 'duplicateIdWindow', 10_000, 0),
    clock: options.clock ?? systemClock,
    tear: hooks?.tearWrite,
  };
}

/**
 * Runs every request of a JSONL file (or iterable) through `execute` with bounded concurrency
 * and memory, streaming one result line per input line to `options.output`. With a checkpoint
 * (the default for a file), a run killed at any moment and started again with the same
 * arguments continues where it stopped, and the output ends with exactly one result line per
 * input line. Invalid options throw at once; everything else is reported through `done`.
 */
export function runJob(input: JobInput, execute: JobExecutor, options: RunJobOptions): Job {
  return new JobRun(settingsOf(input, options), execute);
}

class JobRun implements Job {
  readonly done: Promise<JobSummary>;
  readonly #s: Settings;
  readonly #execute: JobExecutor;
  readonly #listeners = {
    progress: new Set<(progress: JobProgress) => void>(),
    result: new Set<(result: JobResult) => void>(),
  };
  readonly #recentIds: RecentIds;
  readonly #running = new Set<AbortController>();
  readonly #startedAt: number;
  #window = new JobWindow({ position: 0, line: 0 });
  #writer: ResultWriter<Written> | undefined;
  #identity: SourceIdentity | undefined;
  #skip = new Set<number>();
  #totals: JobTotals = { done: 0, failed: 0, costUsd: 0, tokens: 0 };
  #written = 0;
  #runTokens = 0;
  #resumed = false;
  #startPosition = 0;
  #bytesRead = 0;
  #endOfInput = false;
  #stopping = false;
  #cancelled = false;
  #cancelReason: unknown;
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  /** Ends a pending read of the input when the job stops. */
  #abandonRead: (() => void) | undefined;
  #outputFile: FileHandle | undefined;
  #checkpointing: Promise<void> | undefined;
  #lastCheckpointAt: number;
  #sinceCheckpoint = 0;
  #limit = 1;
  #finishing = false;

  constructor(settings: Settings, execute: JobExecutor) {
    this.#s = settings;
    this.#execute = execute;
    this.#recentIds = new RecentIds(settings.duplicateIdWindow);
    this.#startedAt = settings.clock.now();
    this.#lastCheckpointAt = this.#startedAt;
    const { signal } = settings;
    const onAbort = () => this.cancel(signal?.reason);
    if (signal?.aborted) this.cancel(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.done = this.#run().finally(() => signal?.removeEventListener('abort', onAbort));
    // An ignored rejection (after cancel()) must not end the process; awaiting `done` still throws.
    this.done.catch(() => {});
  }

  on(event: 'progress', listener: (progress: JobProgress) => void): this;
  on(event: 'result', listener: (result: JobResult) => void): this;
  on(event: 'progress' | 'result', listener: (value: never) => void): this {
    this.#listeners[event].add(listener as never);
    return this;
  }

  off(event: 'progress', listener: (progress: JobProgress) => void): this;
  off(event: 'result', listener: (result: JobResult) => void): this;
  off(event: 'progress' | 'result', listener: (value: never) => void): this {
    this.#listeners[event].delete(listener as never);
    return this;
  }

  cancel(reason?: unknown): void {
    // Once every line has its result, the job is done: too late to cancel.
    if (this.#stopping || this.#finishing) return;
    this.#cancelled = true;
    this.#cancelReason = reason;
    this.#stop();
  }

  progress(): JobProgress {
    const elapsedMs = this.#s.clock.now() - this.#startedAt;
    const progress: JobProgress = {
      done: this.#totals.done,
      failed: this.#totals.failed,
      inFlight: this.#running.size,
      tokensPerSecond: elapsedMs > 0 ? (this.#runTokens * 1000) / elapsedMs : 0,
      costUsd: this.#totals.costUsd,
      etaMs: undefined,
    };
    const total = this.#s.fileInput ? this.#s.source.totalBytes() : undefined;
    if (total !== undefined) {
      progress.bytesRead = this.#bytesRead;
      progress.totalBytes = total;
      const read = this.#bytesRead - this.#startPosition;
      const left = total - this.#bytesRead;
      if (left <= 0) progress.etaMs = 0;
      else if (read > 0 && elapsedMs > 0) progress.etaMs = (left * elapsedMs) / read;
    }
    return progress;
  }

  #stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    for (const controller of this.#running) controller.abort(this.#cancelReason);
    this.#abandonRead?.();
    this.#wakeUp();
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = { error };
    else diag.error('gemini-lanes job: a further error after the job failed', error);
    this.#stop();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #emitProgress(): void {
    if (this.#listeners.progress.size === 0) return;
    const progress = this.progress();
    for (const listener of this.#listeners.progress) {
      guard('job progress listener', () => listener(progress));
    }
  }

  #emitResult(result: JobResult): void {
    for (const listener of this.#listeners.result) {
      guard('job result listener', () => listener(result));
    }
  }

  #summary(): JobSummary {
    return {
      output: this.#s.output,
      checkpoint: this.#s.checkpoint,
      done: this.#totals.done,
      failed: this.#totals.failed,
      costUsd: this.#totals.costUsd,
      tokens: this.#totals.tokens,
      written: this.#written,
      resumed: this.#resumed,
      elapsedMs: this.#s.clock.now() - this.#startedAt,
    };
  }

  async #run(): Promise<JobSummary> {
    let from: SourcePosition | 'complete' | undefined;
    try {
      if (!this.#stopping) from = await this.#prepare();
    } catch (error) {
      this.#fail(error);
    }
    if (from === 'complete') {
      this.#emitProgress();
      return this.#summary();
    }
    const timer = setInterval(() => this.#emitProgress(), this.#s.progressIntervalMs);
    timer.unref();
    try {
      if (from !== undefined && !this.#stopping) await this.#pump(from);
    } catch (error) {
      this.#fail(error);
    } finally {
      clearInterval(timer);
    }
    await this.#finish();
    this.#emitProgress();
    if (this.#failure !== undefined) throw this.#failure.error;
    if (this.#cancelled) throw new JobCancelledError(this.#summary(), this.#cancelReason);
    return this.#summary();
  }

  /** Recovers the output and reads the checkpoint; returns where to read from. */
  async #prepare(): Promise<SourcePosition | 'complete'> {
    const { output, checkpoint: path, fsync } = this.#s;
    this.#identity = await this.#s.source.identity();
    if (path !== undefined && this.#s.overwrite) await rm(path, { force: true });
    const saved = path === undefined ? undefined : await readCheckpoint(path);
    if (path !== undefined && saved !== undefined) {
      if (this.#s.resume === false) {
        throw new JobOutputExistsError(
          output,
          `the checkpoint ${path} exists (resume: true or leaving resume unset continues it)`,
        );
      }
      const changed = sameSource(saved.source, this.#identity);
      if (changed !== undefined) throw new JobInputChangedError(path, changed);
      this.#resumed = true;
      this.#totals = { ...saved.totals };
      if (saved.state === 'complete') {
        const size = (await sizeOf(output)) ?? 0;
        if (size < saved.outputBytes) {
          throw new JobCheckpointError(
            path,
            `the job is complete, but the output ${output} has ${size} of its ${saved.outputBytes} bytes`,
          );
        }
        return 'complete';
      }
      const recovery = await recoverOutput(output, path, {
        fromBytes: saved.outputBytes,
        watermarkLine: saved.watermark.line,
        claimed: new Set(saved.doneAfterWatermark),
        fsync,
      });
      if (recovery.truncatedBytes > 0) {
        diag.info(
          `gemini-lanes job: cut ${recovery.truncatedBytes} bytes of a torn last line from ${output}`,
        );
      }
      this.#skip = recovery.doneLines;
      for (const line of saved.doneAfterWatermark) this.#skip.add(line);
      this.#totals.done += recovery.totals.done;
      this.#totals.failed += recovery.totals.failed;
      this.#totals.costUsd += recovery.totals.costUsd;
      this.#totals.tokens += recovery.totals.tokens;
      await this.#openOutput(recovery.size);
      this.#window = new JobWindow(saved.watermark);
      return saved.watermark;
    }

    const size = await sizeOf(output);
    if (size !== undefined && size > 0) {
      if (!this.#s.overwrite) {
        throw new JobOutputExistsError(
          output,
          `the output ${output} exists and is not empty${path === undefined ? '' : `, and there is no checkpoint ${path} to resume from`}`,
        );
      }
      await truncate(output, 0);
    }
    await this.#openOutput(0);
    if (fsync) await syncDirectory(output);
    if (path !== undefined) {
      // Written before any result: an output with results but no checkpoint is never ours.
      await this.#writeCheckpoint('running');
      if (fsync) await syncDirectory(path);
    }
    return { position: 0, line: 0 };
  }

  async #openOutput(bytes: number): Promise<void> {
    const file = await open(this.#s.output, 'a');
    this.#outputFile = file;
    this.#writer = new ResultWriter<Written>({
      file,
      bytes,
      onWritten: (items) => this.#onWritten(items),
      onFailed: (error) => this.#fail(error),
      tear: this.#s.tear,
    });
  }

  /** The next input record; undefined when the job stopped while waiting for it. */
  #read(
    records: AsyncIterator<PositionedRecord[]>,
  ): Promise<IteratorResult<PositionedRecord[]> | undefined> {
    return new Promise((resolve, reject) => {
      this.#abandonRead = () => resolve(undefined);
      records.next().then(resolve, reject);
    });
  }

  #currentLimit(): number {
    const { concurrency, maxInFlight } = this.#s;
    if (typeof concurrency === 'number') return Math.min(concurrency, maxInFlight);
    const value = guard('job concurrency function', concurrency);
    if (typeof value === 'number' && Number.isFinite(value)) {
      this.#limit = Math.min(maxInFlight, Math.max(1, Math.floor(value)));
    }
    return this.#limit;
  }

  async #pump(from: SourcePosition): Promise<void> {
    this.#startPosition = from.position;
    this.#bytesRead = from.position;
    const records = this.#s.source.open(from);
    let batch: PositionedRecord[] = [];
    let index = 0;
    let reading = false;
    try {
      while (!this.#stopping) {
        if (this.#window.size >= this.#s.maxWindow) {
          await this.#sleep();
          continue;
        }
        const record = batch[index];
        if (record !== undefined) {
          // Only a call needs a slot: a line done before, or an invalid one, passes at once.
          const { line, invalid } = record.record;
          if (
            invalid === undefined &&
            !this.#skip.has(line) &&
            this.#running.size >= this.#currentLimit()
          ) {
            await this.#sleep();
            continue;
          }
          index += 1;
          this.#admit(record);
          continue;
        }
        reading = true;
        const next = await this.#read(records);
        this.#abandonRead = undefined;
        if (next !== undefined) reading = false;
        if (next === undefined || this.#stopping) break;
        if (next.done === true) {
          this.#endOfInput = true;
          break;
        }
        batch = next.value;
        index = 0;
      }
      while (!this.#stopping && this.#window.size > 0) await this.#sleep();
    } finally {
      // A read still pending (cancelled mid-read) would hold return() back: leave it.
      const closing = records.return?.(undefined);
      if (!reading) await closing;
      else
        closing?.catch((error: unknown) => diag.warn('gemini-lanes job: closing the input', error));
    }
  }

  #admit({ record, end }: PositionedRecord): void {
    if (this.#s.fileInput) this.#bytesRead = end;
    const { line } = record;
    if (this.#skip.delete(line)) {
      // Its result is already in the output.
      if (record.id !== undefined) this.#recentIds.claim(record.id, line);
      this.#window.add(line, end, true);
      return;
    }
    const entry = this.#window.add(line, end, false);
    if (record.invalid !== undefined) {
      // A readable id is claimed too, so a later line cannot write a second result under it.
      const repeated = record.id !== undefined && this.#recentIds.claim(record.id, line);
      const id = record.id === undefined || repeated !== undefined ? `line:${line}` : record.id;
      this.#enqueue(entry, failure(id, line, 'invalid_input', record.invalid));
      return;
    }
    const earlier = this.#recentIds.claim(record.id, line);
    if (earlier !== undefined) {
      const message = `line ${line} repeats the id ${JSON.stringify(record.id)} of line ${earlier}`;
      this.#enqueue(entry, failure(`line:${line}`, line, 'duplicate_id', message));
      return;
    }
    this.#start(entry, record);
  }

  #start(entry: WindowEntry, record: JobInputRecord & { invalid?: undefined }): void {
    const { id, line, request } = record;
    const controller = new AbortController();
    this.#running.add(controller);
    let attempts = 0;
    const context = {
      id,
      line,
      signal: controller.signal,
      onAttempt: (attempt: number) => {
        if (Number.isFinite(attempt) && attempt > attempts) attempts = Math.floor(attempt);
      },
    };
    let call: Promise<GenerateContentResponse>;
    try {
      call = Promise.resolve(this.#execute(request, context));
    } catch (error) {
      call = Promise.reject(error);
    }
    call.then(
      (response) => {
        if (this.#settle(controller))
          this.#enqueue(entry, this.#success(record, response, attempts));
      },
      (error: unknown) => {
        if (!this.#settle(controller)) return;
        const reported = (error as { attempts?: unknown } | null)?.attempts;
        const result: JobFailure = {
          id,
          line,
          error: errorOf(error),
          usage: null,
          costUsd: null,
          attempts: Math.max(
            1,
            attempts,
            typeof reported === 'number' && Number.isFinite(reported) ? Math.floor(reported) : 0,
          ),
        };
        this.#enqueue(entry, result);
      },
    );
  }

  /** An item's call ended; false when the job is stopping (the item then gets no result). */
  #settle(controller: AbortController): boolean {
    this.#running.delete(controller);
    this.#wakeUp();
    return !this.#stopping;
  }

  #success(
    record: JobInputRecord & { invalid?: undefined },
    response: GenerateContentResponse,
    attempts: number,
  ): JobResult {
    const { id, line, request } = record;
    if (typeof response !== 'object' || response === null) {
      const message = 'the executor resolved without a response';
      return failure(id, line, 'invalid_response', message, Math.max(1, attempts));
    }
    const cost = guard('job cost function', () => this.#s.cost(response, request));
    return {
      id,
      line,
      response: responseData(response),
      usage: response.usageMetadata ?? null,
      costUsd: typeof cost === 'number' && Number.isFinite(cost) ? cost : null,
      attempts: Math.max(1, attempts),
    };
  }

  #enqueue(entry: WindowEntry, result: JobResult): void {
    let text: string;
    let written = result;
    try {
      text = serialize(result);
    } catch (error) {
      written = failure(
        result.id,
        result.line,
        'invalid_response',
        `the response cannot be written as JSON: ${(error as Error).message}`,
        result.attempts,
      );
      text = serialize(written);
    }
    this.#writer?.enqueue(text, { entry, result: written });
  }

  #onWritten(items: Written[]): void {
    for (const { entry, result } of items) {
      entry.written = true;
      const tokens = usageTokens(result.usage);
      this.#totals.done += 1;
      if (result.error !== undefined) this.#totals.failed += 1;
      this.#totals.costUsd += result.costUsd ?? 0;
      this.#totals.tokens += tokens;
      this.#runTokens += tokens;
      this.#written += 1;
      this.#sinceCheckpoint += 1;
      this.#emitResult(result);
    }
    this.#window.advance();
    this.#maybeCheckpoint();
    this.#wakeUp();
  }

  #maybeCheckpoint(): void {
    if (this.#s.checkpoint === undefined || this.#checkpointing !== undefined || this.#stopping) {
      return;
    }
    if (
      this.#sinceCheckpoint < this.#s.checkpointEvery &&
      this.#s.clock.now() - this.#lastCheckpointAt < this.#s.checkpointIntervalMs
    ) {
      return;
    }
    if (this.#sinceCheckpoint === 0) return;
    this.#checkpointing = this.#writeCheckpoint('running').then(
      () => {
        this.#checkpointing = undefined;
        this.#maybeCheckpoint();
      },
      (error: unknown) => {
        this.#checkpointing = undefined;
        this.#fail(error);
      },
    );
  }

  /**
   * Records what is written now. The snapshot is taken synchronously, when every window entry
   * marked written has its bytes below `writer.bytes`; the output is flushed before the
   * checkpoint that claims those bytes replaces the old one.
   */
  async #writeCheckpoint(state: JobCheckpoint['state']): Promise<void> {
    const path = this.#s.checkpoint;
    if (path === undefined || this.#identity === undefined) return;
    const checkpoint: JobCheckpoint = {
      kind: CHECKPOINT_KIND,
      version: CHECKPOINT_VERSION,
      state,
      source: this.#identity,
      watermark: this.#window.watermark,
      // Lines done in an earlier run and not read again yet are still done: claimed too, since
      // `outputBytes` moves past their results and a later resume would not scan them again.
      doneAfterWatermark: [...this.#window.writtenAfterWatermark(), ...this.#skip],
      outputBytes: this.#writer?.bytes ?? 0,
      totals: { ...this.#totals },
      updatedAt: new Date().toISOString(),
    };
    this.#sinceCheckpoint = 0;
    this.#lastCheckpointAt = this.#s.clock.now();
    if (this.#s.fsync && checkpoint.outputBytes > 0) await this.#outputFile?.datasync();
    await writeCheckpoint(path, checkpoint, { fsync: this.#s.fsync });
  }

  /** Flushes queued results, writes the last checkpoint, closes the output. */
  async #finish(): Promise<void> {
    this.#finishing = true;
    try {
      await this.#writer?.idle();
    } catch {
      // Already reported through onFailed; the checkpoint below claims only what was written.
    }
    while (this.#checkpointing !== undefined) await this.#checkpointing;
    const complete =
      this.#endOfInput &&
      this.#window.size === 0 &&
      this.#failure === undefined &&
      !this.#cancelled;
    // Valid even after a failed write: it claims only bytes whose write completed.
    if (this.#writer !== undefined) {
      try {
        await this.#writeCheckpoint(complete ? 'complete' : 'running');
      } catch (error) {
        this.#fail(error);
      }
    }
    if (complete && this.#skip.size > 0) {
      diag.warn(
        `gemini-lanes job: the checkpoint named ${this.#skip.size} lines the input does not have`,
      );
    }
    await this.#outputFile?.close().catch((error: unknown) => this.#fail(error));
  }
}
