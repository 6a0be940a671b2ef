import { costOf, DEFAULT_PRICES } from '@gemini-lanes/core';
import { guard } from '@gemini-lanes/otel';
import type { GenerateContentParameters, GenerateContentResponse } from '@google/genai';
import { diag } from '@opentelemetry/api';
import {
  CHECKPOINT_KIND,
  CHECKPOINT_VERSION,
  type JobCheckpoint,
  readCheckpoint,
  writeCheckpoint,
} from './job-checkpoint.js';
import { JobLifecycle } from './job-lifecycle.js';
import type { TearHook } from './job-output.js';
import { errorOf, failure, responseData, usageTokens, writableResult } from './job-result.js';
import {
  countOption,
  type JobFiles,
  type JobRunSettings,
  jobFilesOf,
  jobRunSettingsOf,
} from './job-settings.js';
import {
  type JobInput,
  type JobInputRecord,
  type PositionedRecord,
  type SourceIdentity,
  type SourcePosition,
  sameSource,
} from './job-source.js';
import type { Job, JobExecutor, JobFailure, JobResult, RunJobOptions } from './job-types.js';
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

interface Settings extends JobFiles, JobRunSettings {
  concurrency: number | (() => number);
  maxInFlight: number;
  maxWindow: number;
  cost: NonNullable<RunJobOptions['cost']>;
  checkpointIntervalMs: number;
  checkpointEvery: number;
  tear: TearHook | undefined;
}

/** A written result line and the window entry it finishes. */
interface Written {
  entry: WindowEntry;
  result: JobResult;
}

const count = countOption('runJob');

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
  const files = jobFilesOf('runJob', count, input, options);
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
  const checkpointIntervalMs = count(options.checkpointIntervalMs, 'checkpointIntervalMs', 1000, 0);
  const checkpointEvery = count(options.checkpointEvery, 'checkpointEvery', 1000);
  return {
    ...files,
    ...jobRunSettingsOf(count, options),
    concurrency,
    maxInFlight,
    maxWindow,
    cost: options.cost ?? defaultCost,
    checkpointIntervalMs,
    checkpointEvery,
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

class JobRun extends JobLifecycle<SourcePosition, Written> {
  readonly #s: Settings;
  readonly #execute: JobExecutor;
  readonly #recentIds: RecentIds;
  readonly #running = new Set<AbortController>();
  #window = new JobWindow({ position: 0, line: 0 });
  #identity: SourceIdentity | undefined;
  #skip = new Set<number>();
  #checkpointing: Promise<void> | undefined;
  #lastCheckpointAt: number;
  #sinceCheckpoint = 0;
  #limit = 1;

  constructor(settings: Settings, execute: JobExecutor) {
    super(settings, 'gemini-lanes job');
    this.#s = settings;
    this.#execute = execute;
    this.#recentIds = new RecentIds(settings.duplicateIdWindow);
    this.#lastCheckpointAt = this.startedAt;
    this.start();
  }

  protected inFlight(): number {
    return this.#running.size;
  }

  protected etaPosition(): number {
    return this.bytesRead;
  }

  protected abortWork(): void {
    for (const controller of this.#running) controller.abort(this.cancelReason);
  }

  /** Recovers the output and reads the checkpoint; returns where to read from. */
  protected async prepare(): Promise<SourcePosition | 'complete'> {
    this.#identity = await this.#s.source.identity();
    const path = this.#s.checkpoint;
    const saved = await this.savedCheckpoint(readCheckpoint);
    if (path !== undefined && saved !== undefined) {
      this.adoptCheckpoint(path, sameSource(saved.source, this.#identity), saved.totals);
      if (saved.state === 'complete') return this.completeOutput(path, saved.outputBytes);
      const recovery = await this.recoverResults(path, {
        fromBytes: saved.outputBytes,
        watermarkLine: saved.watermark.line,
        claimed: new Set(saved.doneAfterWatermark),
      });
      this.#skip = recovery.doneLines;
      for (const line of saved.doneAfterWatermark) this.#skip.add(line);
      await this.openOutput(recovery.size);
      this.#window = new JobWindow(saved.watermark);
      return saved.watermark;
    }
    // The checkpoint is written before any result: an output with results but no checkpoint is
    // never ours.
    await this.startOutput(() => this.#writeCheckpoint('running'));
    return { position: 0, line: 0 };
  }

  /** The next input record; undefined when the job stopped while waiting for it. */
  #read(
    records: AsyncIterator<PositionedRecord[]>,
  ): Promise<IteratorResult<PositionedRecord[]> | undefined> {
    return this.readUntilStopped(() => records.next(), undefined);
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

  protected async pump(from: SourcePosition): Promise<void> {
    this.startPosition = from.position;
    this.bytesRead = from.position;
    const records = this.#s.source.open(from);
    let batch: PositionedRecord[] = [];
    let index = 0;
    let reading = false;
    try {
      while (!this.stopping) {
        if (this.#window.size >= this.#s.maxWindow) {
          await this.idle();
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
            await this.idle();
            continue;
          }
          index += 1;
          this.#admit(record);
          continue;
        }
        reading = true;
        const next = await this.#read(records);
        this.abandonRead = undefined;
        if (next !== undefined) reading = false;
        if (next === undefined || this.stopping) break;
        if (next.done === true) {
          this.endOfInput = true;
          break;
        }
        batch = next.value;
        index = 0;
      }
      while (!this.stopping && this.#window.size > 0) await this.idle();
    } finally {
      await this.closeInput(records.return?.(undefined), reading);
    }
  }

  #admit({ record, end }: PositionedRecord): void {
    if (this.#s.fileInput) this.bytesRead = end;
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
    this.#startCall(entry, record);
  }

  #startCall(entry: WindowEntry, record: JobInputRecord & { invalid?: undefined }): void {
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
    this.wakeUp();
    return !this.stopping;
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
    const { text, result: written } = writableResult(result);
    this.writer?.enqueue(text, { entry, result: written });
  }

  protected onWritten(items: Written[]): void {
    for (const { entry, result } of items) {
      entry.written = true;
      const tokens = usageTokens(result.usage);
      this.tally(result, tokens);
      this.#sinceCheckpoint += 1;
      this.emitResult(result);
    }
    this.#window.advance();
    this.#maybeCheckpoint();
    this.wakeUp();
  }

  #maybeCheckpoint(): void {
    if (this.#s.checkpoint === undefined || this.#checkpointing !== undefined || this.stopping) {
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
        this.fail(error);
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
      outputBytes: this.writer?.bytes ?? 0,
      totals: { ...this.totals },
      updatedAt: new Date().toISOString(),
    };
    this.#sinceCheckpoint = 0;
    this.#lastCheckpointAt = this.#s.clock.now();
    if (this.#s.fsync && checkpoint.outputBytes > 0) await this.outputFile?.datasync();
    await writeCheckpoint(path, checkpoint, { fsync: this.#s.fsync });
  }

  /** Flushes queued results, writes the last checkpoint, closes the output. */
  protected async finish(): Promise<void> {
    this.finishing = true;
    await this.flushOutput();
    while (this.#checkpointing !== undefined) await this.#checkpointing;
    const complete =
      this.endOfInput && this.#window.size === 0 && this.failure === undefined && !this.cancelled;
    await this.lastCheckpoint(() => this.#writeCheckpoint(complete ? 'complete' : 'running'));
    if (complete && this.#skip.size > 0) {
      diag.warn(
        `gemini-lanes job: the checkpoint named ${this.#skip.size} lines the input does not have`,
      );
    }
    await this.closeOutput();
  }
}
