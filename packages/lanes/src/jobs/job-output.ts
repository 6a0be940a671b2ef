import { type FileHandle, open } from 'node:fs/promises';
import type { JobTotals } from './job-checkpoint.js';
import { JobCheckpointError } from './job-errors.js';
import { usageTokens } from './job-result.js';
import { readLineBatches } from './jsonl-lines.js';

/** What the output holds beyond what the checkpoint records. */
export interface OutputRecovery {
  /** The output's length after recovery. */
  size: number;
  /** Input lines whose results were written after the checkpoint. */
  doneLines: Set<number>;
  /** Totals of those results. */
  totals: JobTotals;
  /** Bytes cut from the end: a torn last line, or anything after it. */
  truncatedBytes: number;
}

/**
 * Reads the output past `fromBytes` (results written after the checkpoint) to learn which lines
 * already have results, and cuts the output at the first line that is not a whole result (a
 * line torn by a crash mid-write; with fsync off and an OS crash, possibly garbage): whatever was
 * cut is run again. Refuses an output shorter than the checkpoint records, or one holding a
 * second result for a line.
 */
export async function recoverOutput(
  path: string,
  checkpointPath: string,
  options: {
    /** The checkpoint's `outputBytes`. */
    fromBytes: number;
    /** The checkpoint's watermark line. */
    watermarkLine: number;
    /** The checkpoint's `doneAfterWatermark`. */
    claimed: ReadonlySet<number>;
    fsync: boolean;
  },
): Promise<OutputRecovery> {
  const { fromBytes } = options;
  const recovery: OutputRecovery = {
    size: 0,
    doneLines: new Set(),
    totals: { done: 0, failed: 0, costUsd: 0, tokens: 0 },
    truncatedBytes: 0,
  };
  let file: FileHandle;
  try {
    file = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (fromBytes > 0) {
      throw new JobCheckpointError(
        checkpointPath,
        `the output ${path} is missing, but the checkpoint records ${fromBytes} bytes of results in it`,
      );
    }
    return recovery;
  }
  try {
    const { size } = await file.stat();
    if (size < fromBytes) {
      throw new JobCheckpointError(
        checkpointPath,
        `the output ${path} has ${size} bytes, but the checkpoint records ${fromBytes} bytes of results in it (was it changed, or lost in an OS crash with fsync off?)`,
      );
    }
    let cut: number | undefined;
    scan: for await (const batch of readLineBatches(file, {
      from: { offset: fromBytes, line: 0 },
      maxLineBytes: Number.MAX_SAFE_INTEGER,
    })) {
      for (const raw of batch) {
        const result = raw.terminated ? parseResult(raw.text ?? '') : undefined;
        if (result === undefined) {
          cut = raw.start;
          break scan;
        }
        if (
          result.line <= options.watermarkLine ||
          options.claimed.has(result.line) ||
          recovery.doneLines.has(result.line)
        ) {
          throw new JobCheckpointError(
            checkpointPath,
            `the output ${path} holds a second result for input line ${result.line} at byte ${raw.start}`,
          );
        }
        recovery.doneLines.add(result.line);
        recovery.totals.done += 1;
        if (result.failed) recovery.totals.failed += 1;
        recovery.totals.costUsd += result.costUsd;
        recovery.totals.tokens += result.tokens;
      }
    }
    recovery.size = size;
    if (cut !== undefined) {
      await file.truncate(cut);
      if (options.fsync) await file.sync();
      recovery.truncatedBytes = size - cut;
      recovery.size = cut;
    }
    return recovery;
  } finally {
    await file.close();
  }
}

function parseResult(
  text: string,
): { line: number; failed: boolean; costUsd: number; tokens: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { line?: unknown; error?: unknown; costUsd?: unknown; usage?: unknown };
  if (typeof v.line !== 'number' || !Number.isSafeInteger(v.line) || v.line < 1) return undefined;
  return {
    line: v.line,
    failed: v.error !== undefined,
    costUsd: typeof v.costUsd === 'number' && Number.isFinite(v.costUsd) ? v.costUsd : 0,
    tokens: usageTokens(v.usage),
  };
}

/** @internal A test hook: write half of the `at`-th line this writer writes, then call `onTorn`. */
export interface TearHook {
  at: number;
  onTorn: () => void;
}

/** Several whole lines go to the file in one write of about this many characters at most. */
const MAX_WRITE_CHARS = 1024 * 1024;

export interface ResultWriterOptions<T> {
  /** The output, opened for appending. */
  file: FileHandle;
  /** Its length now. */
  bytes: number;
  onWritten: (items: T[], bytes: number) => void;
  /** A write failed: nothing more is written. */
  onFailed: (error: unknown) => void;
  tear?: TearHook | undefined;
}

/**
 * Appends result lines to the output, in the order given, each line whole in one write call
 * (lines queued together share one). `onWritten` runs synchronously once the bytes are in the
 * file (page cache), with the output's length after them: the only moment a result counts as
 * written.
 */
export class ResultWriter<T> {
  readonly #file: FileHandle;
  readonly #onWritten: (items: T[], bytes: number) => void;
  readonly #onFailed: (error: unknown) => void;
  readonly #tear: TearHook | undefined;
  #bytes: number;
  #lines = 0;
  #queue: Array<{ text: string; item: T }> = [];
  #writing = false;
  #failed = false;
  #failure: unknown;
  #idle: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(options: ResultWriterOptions<T>) {
    this.#file = options.file;
    this.#bytes = options.bytes;
    this.#onWritten = options.onWritten;
    this.#onFailed = options.onFailed;
    this.#tear = options.tear;
  }

  /** The output's length: every byte before it is a written, whole line. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Lines queued and not yet written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues one whole line (newline included). */
  enqueue(text: string, item: T): void {
    if (this.#failed) return;
    this.#queue.push({ text, item });
    if (!this.#writing) void this.#drain();
  }

  /** Resolves when everything queued is written; rejects with the write error if one failed. */
  idle(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failure);
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve, reject) => this.#idle.push({ resolve, reject }));
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        // Lines are short next to the cap, so counting UTF-16 units is close enough here.
        let count = 0;
        let units = 0;
        for (const { text } of this.#queue) {
          if (count > 0 && units + text.length > MAX_WRITE_CHARS) break;
          units += text.length;
          count += 1;
        }
        const batch = this.#queue.splice(0, count);
        const tearAt = this.#tear === undefined ? -1 : this.#tear.at - this.#lines - 1;
        if (this.#tear !== undefined && tearAt >= 0 && tearAt < batch.length) {
          await this.#tearWrite(batch, tearAt, this.#tear);
        }
        const buffer = Buffer.from(
          batch.length === 1
            ? (batch[0] as { text: string }).text
            : batch.map((b) => b.text).join(''),
          'utf8',
        );
        await writeAll(this.#file, buffer);
        this.#bytes += buffer.length;
        this.#lines += batch.length;
        this.#onWritten(
          batch.map((b) => b.item),
          this.#bytes,
        );
      }
      const waiters = this.#idle.splice(0);
      this.#writing = false;
      for (const w of waiters) w.resolve();
    } catch (error) {
      this.#failed = true;
      this.#failure = error;
      this.#queue = [];
      const waiters = this.#idle.splice(0);
      this.#writing = false;
      for (const w of waiters) w.reject(error);
      this.#onFailed(error);
    }
  }

  async #tearWrite(batch: Array<{ text: string }>, index: number, tear: TearHook): Promise<never> {
    const before = Buffer.from(
      batch
        .slice(0, index)
        .map((b) => b.text)
        .join(''),
      'utf8',
    );
    const torn = Buffer.from((batch[index] as { text: string }).text, 'utf8');
    const half = torn.subarray(0, Math.max(1, Math.floor(torn.length / 2)));
    await writeAll(this.#file, Buffer.concat([before, half]));
    tear.onTorn();
    throw new Error(`test hook: the write of result line ${tear.at} was torn`);
  }
}

async function writeAll(file: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await file.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}
