import { type FileHandle, open, rm, truncate } from 'node:fs/promises';
import { guard } from '@gemini-lanes/otel';
import { diag } from '@opentelemetry/api';
import { type JobTotals, syncDirectory } from './job-checkpoint.js';
import {
  JobCancelledError,
  JobCheckpointError,
  JobInputChangedError,
  JobOutputExistsError,
} from './job-errors.js';
import { type OutputRecovery, ResultWriter, recoverOutput, type TearHook } from './job-output.js';
import type { JobFiles, JobRunSettings } from './job-settings.js';
import { sizeOf } from './job-source.js';
import type { Job, JobProgress, JobResult, JobSummary } from './job-types.js';

/** What the lifecycle of a job needs from its runner's settings. */
export interface LifecycleSettings extends JobFiles, Omit<JobRunSettings, 'duplicateIdWindow'> {
  tear?: TearHook | undefined;
}

/**
 * The life of a job, the same for every runner: its listeners, `cancel` and the signal that
 * stands for it, the first failure that stops it, progress and its summary, the output file and
 * the steps of taking up a checkpoint or starting afresh, and `done`, which runs
 * prepare → pump → finish and settles as `Job` promises. A runner supplies the three steps, what
 * stopping aborts and what a written result does (`W` is what it queues with each line); it
 * calls `start()` last in its constructor, once its own fields are set (prepare runs at once,
 * within that call).
 */
export abstract class JobLifecycle<From, W> implements Job {
  readonly #s: LifecycleSettings;
  /** Names the runner in diagnostics: `gemini-lanes job`, `gemini-lanes batch job`. */
  readonly #name: string;
  readonly #listeners = {
    progress: new Set<(progress: JobProgress) => void>(),
    result: new Set<(result: JobResult) => void>(),
  };
  #done: Promise<JobSummary> | undefined;
  #wake: (() => void) | undefined;
  protected readonly startedAt: number;
  protected totals: JobTotals = { done: 0, failed: 0, costUsd: 0, tokens: 0 };
  protected written = 0;
  protected runTokens = 0;
  protected resumed = false;
  protected startPosition = 0;
  protected bytesRead = 0;
  protected endOfInput = false;
  protected stopping = false;
  protected cancelled = false;
  protected cancelReason: unknown;
  protected failure: { error: unknown } | undefined;
  protected finishing = false;
  /** Ends a pending read of the input when the job stops. */
  protected abandonRead: (() => void) | undefined;
  protected writer: ResultWriter<W> | undefined;
  protected outputFile: FileHandle | undefined;

  protected constructor(settings: LifecycleSettings, name: string) {
    this.#s = settings;
    this.#name = name;
    this.startedAt = settings.clock.now();
  }

  /** Wires the signal and runs the job; the runner's constructor calls it last. */
  protected start(): void {
    const { signal } = this.#s;
    const onAbort = () => this.cancel(signal?.reason);
    if (signal?.aborted) this.cancel(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.#done = this.#run().finally(() => signal?.removeEventListener('abort', onAbort));
    // An ignored rejection (after cancel()) must not end the process; awaiting `done` still throws.
    this.#done.catch(() => {});
  }

  get done(): Promise<JobSummary> {
    if (this.#done === undefined) throw new Error('gemini-lanes job: start() was not called');
    return this.#done;
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
    if (this.stopping || this.finishing) return;
    this.cancelled = true;
    this.cancelReason = reason;
    this.stop();
  }

  progress(): JobProgress {
    const elapsedMs = this.#s.clock.now() - this.startedAt;
    const progress: JobProgress = {
      done: this.totals.done,
      failed: this.totals.failed,
      inFlight: this.inFlight(),
      tokensPerSecond: elapsedMs > 0 ? (this.runTokens * 1000) / elapsedMs : 0,
      costUsd: this.totals.costUsd,
      etaMs: undefined,
    };
    const total = this.#s.fileInput ? this.#s.source.totalBytes() : undefined;
    if (total !== undefined) {
      progress.bytesRead = this.bytesRead;
      progress.totalBytes = total;
      const reached = this.etaPosition();
      const left = total - reached;
      if (left <= 0) progress.etaMs = 0;
      else if (reached > this.startPosition && elapsedMs > 0) {
        progress.etaMs = (left * elapsedMs) / (reached - this.startPosition);
      }
    }
    return progress;
  }

  /** Requests running now. */
  protected abstract inFlight(): number;
  /** The input position the ETA follows: how far the job is through its input. */
  protected abstract etaPosition(): number;
  /** Recovers the output and reads the checkpoint; returns where to read from. */
  protected abstract prepare(): Promise<From | 'complete'>;
  /** Reads the input from `from` and runs it, until the end of the input or a stop. */
  protected abstract pump(from: From): Promise<void>;
  /** Flushes, writes the last checkpoint and closes the output. */
  protected abstract finish(): Promise<void>;
  /** Aborts the runner's work in flight; called once, when the job stops. */
  protected abstract abortWork(): void;
  /** Results whose lines are written to the output, in order. */
  protected abstract onWritten(items: W[]): void;

  /** An error that is only the job stopping, not a failure; none by default. */
  protected isStopError(_error: unknown): boolean {
    return false;
  }

  protected stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.abortWork();
    this.abandonRead?.();
    this.wakeUp();
  }

  /** Records the first error that stops the job (a later one goes to diag) and stops it. */
  protected fail(error: unknown): void {
    if (this.failure === undefined) this.failure = { error };
    else diag.error(`${this.#name}: a further error after the job failed`, error);
    this.stop();
  }

  protected wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves at the next `wakeUp()`. */
  protected idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** `read()`'s value, or `stopped` as soon as the job stops while it is pending. */
  protected readUntilStopped<T, S>(read: () => Promise<T>, stopped: S): Promise<T | S> {
    return new Promise((resolve, reject) => {
      this.abandonRead = () => resolve(stopped);
      read().then(resolve, reject);
    });
  }

  /** Counts a written result in the totals of the job and of this run. */
  protected tally(result: JobResult, tokens: number): void {
    this.totals.done += 1;
    if (result.error !== undefined) this.totals.failed += 1;
    this.totals.costUsd += result.costUsd ?? 0;
    this.totals.tokens += tokens;
    this.runTokens += tokens;
    this.written += 1;
  }

  /** Adds totals recovered from the output (results after the checkpoint's claim). */
  protected addTotals(recovered: JobTotals): void {
    this.totals.done += recovered.done;
    this.totals.failed += recovered.failed;
    this.totals.costUsd += recovered.costUsd;
    this.totals.tokens += recovered.tokens;
  }

  protected emitProgress(): void {
    if (this.#listeners.progress.size === 0) return;
    const progress = this.progress();
    for (const listener of this.#listeners.progress) {
      guard('job progress listener', () => listener(progress));
    }
  }

  protected emitResult(result: JobResult): void {
    for (const listener of this.#listeners.result) {
      guard('job result listener', () => listener(result));
    }
  }

  protected summary(): JobSummary {
    return {
      output: this.#s.output,
      checkpoint: this.#s.checkpoint,
      done: this.totals.done,
      failed: this.totals.failed,
      costUsd: this.totals.costUsd,
      tokens: this.totals.tokens,
      written: this.written,
      resumed: this.resumed,
      elapsedMs: this.#s.clock.now() - this.startedAt,
    };
  }

  /** The saved checkpoint, read by `read`; none when there is no checkpoint path, or after `overwrite` deleted it. */
  protected async savedCheckpoint<C>(
    read: (path: string) => Promise<C | undefined>,
  ): Promise<C | undefined> {
    const { checkpoint: path, overwrite } = this.#s;
    if (path !== undefined && overwrite) await rm(path, { force: true });
    return path === undefined ? undefined : await read(path);
  }

  /**
   * Takes up the checkpoint at `path`, refused when `resume` is false or when the input changed
   * (`changed` says how); its totals become the job's.
   */
  protected adoptCheckpoint(path: string, changed: string | undefined, totals: JobTotals): void {
    if (this.#s.resume === false) {
      throw new JobOutputExistsError(
        this.#s.output,
        `the checkpoint ${path} exists (resume: true or leaving resume unset continues it)`,
      );
    }
    if (changed !== undefined) throw new JobInputChangedError(path, changed);
    this.resumed = true;
    this.totals = { ...totals };
  }

  /** A checkpoint that says the job is complete: the output must still hold every byte it claims. */
  protected async completeOutput(path: string, outputBytes: number): Promise<'complete'> {
    const { output } = this.#s;
    const size = (await sizeOf(output)) ?? 0;
    if (size < outputBytes) {
      throw new JobCheckpointError(
        path,
        `the job is complete, but the output ${output} has ${size} of its ${outputBytes} bytes`,
      );
    }
    return 'complete';
  }

  /**
   * Cuts a torn last line from the output and counts the results written after the checkpoint
   * at `path` claimed `fromBytes` (lines before `watermarkLine` and `claimed` ones are not counted).
   */
  protected async recoverResults(
    path: string,
    options: { fromBytes: number; watermarkLine: number; claimed: Set<number> },
  ): Promise<OutputRecovery> {
    const { output, fsync } = this.#s;
    const recovery = await recoverOutput(output, path, { ...options, fsync });
    if (recovery.truncatedBytes > 0) {
      diag.info(
        `${this.#name}: cut ${recovery.truncatedBytes} bytes of a torn last line from ${output}`,
      );
    }
    this.addTotals(recovery.totals);
    return recovery;
  }

  /**
   * A start without a checkpoint: the output must be absent or empty (`overwrite` empties it).
   * Opens it, then writes the first checkpoint with `firstCheckpoint`, both made durable.
   */
  protected async startOutput(firstCheckpoint: () => Promise<void>): Promise<void> {
    const { output, checkpoint: path, fsync } = this.#s;
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
    await this.openOutput(0);
    if (fsync) await syncDirectory(output);
    if (path !== undefined) {
      await firstCheckpoint();
      if (fsync) await syncDirectory(path);
    }
  }

  /** Opens the output for appending after its first `bytes` bytes. */
  protected async openOutput(bytes: number): Promise<void> {
    const file = await open(this.#s.output, 'a');
    this.outputFile = file;
    this.writer = new ResultWriter<W>({
      file,
      bytes,
      onWritten: (items) => this.onWritten(items),
      onFailed: (error) => this.fail(error),
      tear: this.#s.tear,
    });
  }

  /** Closes the input after the pump; one with a read still pending is left to close alone. */
  protected async closeInput(
    closing: Promise<unknown> | undefined,
    reading: boolean,
  ): Promise<void> {
    // A read still pending (cancelled mid-read) would hold the close back: leave it.
    if (!reading) await closing;
    else closing?.catch((error: unknown) => diag.warn(`${this.#name}: closing the input`, error));
  }

  /** Waits until every queued result is written or the writer has failed. */
  protected async flushOutput(): Promise<void> {
    try {
      await this.writer?.idle();
    } catch {
      // Already reported through onFailed; the last checkpoint claims only what was written.
    }
  }

  /**
   * Writes the last checkpoint, when the output was opened: valid even after a failed write,
   * since it claims only bytes whose write completed.
   */
  protected async lastCheckpoint(write: () => Promise<void>): Promise<void> {
    if (this.writer === undefined) return;
    try {
      await write();
    } catch (error) {
      this.fail(error);
    }
  }

  protected async closeOutput(): Promise<void> {
    await this.outputFile?.close().catch((error: unknown) => this.fail(error));
  }

  async #run(): Promise<JobSummary> {
    let from: From | 'complete' | undefined;
    try {
      if (!this.stopping) from = await this.prepare();
    } catch (error) {
      if (!this.isStopError(error)) this.fail(error);
    }
    if (from === 'complete') {
      this.emitProgress();
      return this.summary();
    }
    const timer = setInterval(() => this.emitProgress(), this.#s.progressIntervalMs);
    timer.unref();
    try {
      if (from !== undefined && !this.stopping) await this.pump(from);
    } catch (error) {
      if (!this.isStopError(error)) this.fail(error);
    } finally {
      clearInterval(timer);
    }
    await this.finish();
    this.emitProgress();
    if (this.failure !== undefined) throw this.failure.error;
    if (this.cancelled) throw new JobCancelledError(this.summary(), this.cancelReason);
    return this.summary();
  }
}
