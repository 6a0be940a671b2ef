import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JobCheckpointError } from './job-errors.js';
import type { SourceIdentity, SourcePosition } from './job-source.js';

/** Running totals of a job's results, carried across resumes. */
export interface JobTotals {
  done: number;
  failed: number;
  costUsd: number;
  tokens: number;
}

export const CHECKPOINT_KIND = 'gemini-lanes/job-checkpoint';
export const CHECKPOINT_VERSION = 1;

/**
 * A job's resumable state. The claim it makes: every input line up to `watermark` and every line
 * in `doneAfterWatermark` has exactly one result line within the first `outputBytes` bytes of the
 * output. Results after `outputBytes` are found again by scanning the output on resume.
 */
export interface JobCheckpoint {
  kind: typeof CHECKPOINT_KIND;
  version: typeof CHECKPOINT_VERSION;
  state: 'running' | 'complete';
  source: SourceIdentity;
  /** Every input line before `position` (and up to line `line`) has its result. */
  watermark: SourcePosition;
  /** Line numbers past the watermark with results (at most the window). */
  doneAfterWatermark: number[];
  outputBytes: number;
  totals: JobTotals;
  updatedAt: string;
}

/** A whole number >= 0: a count, a byte offset or a line number in a checkpoint. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

type Fail = (detail: string) => JobCheckpointError;

/** Checks what every checkpoint format has after its `kind`: its `version`, and its `state`. */
export function checkVersionAndState(
  c: { version?: unknown; state?: unknown },
  version: number,
  fail: Fail,
): void {
  if (c.version !== version) {
    throw fail(`unknown checkpoint version ${String(c.version)} (this version reads ${version})`);
  }
  if (c.state !== 'running' && c.state !== 'complete') throw fail('"state" is missing');
}

/** Checks what every checkpoint format claims of the output: `outputBytes`, and the `totals`. */
export function checkOutputAndTotals(
  c: { outputBytes?: unknown; totals?: Partial<JobTotals> | undefined },
  fail: Fail,
): void {
  if (!isCount(c.outputBytes)) throw fail('"outputBytes" is malformed');
  const t = c.totals;
  if (
    !isCount(t?.done) ||
    !isCount(t.failed) ||
    !isCount(t.tokens) ||
    typeof t.costUsd !== 'number'
  ) {
    throw fail('"totals" is malformed');
  }
}

function validate(path: string, value: unknown): JobCheckpoint {
  const c = value as Partial<JobCheckpoint> | null;
  const fail = (detail: string) => new JobCheckpointError(path, detail);
  if (typeof c !== 'object' || c === null || c.kind !== CHECKPOINT_KIND) {
    throw fail('it is not a gemini-lanes job checkpoint');
  }
  checkVersionAndState(c, CHECKPOINT_VERSION, fail);
  if (!isCount(c.watermark?.position) || !isCount(c.watermark?.line)) {
    throw fail('"watermark" is malformed');
  }
  if (!Array.isArray(c.doneAfterWatermark) || !c.doneAfterWatermark.every(isCount)) {
    throw fail('"doneAfterWatermark" is malformed');
  }
  checkOutputAndTotals(c, fail);
  if (typeof c.source !== 'object' || c.source === null) throw fail('"source" is missing');
  return c as JobCheckpoint;
}

/** The checkpoint at `path`, or undefined when there is none. */
export function readCheckpoint(path: string): Promise<JobCheckpoint | undefined> {
  return readCheckpointFile(path, validate);
}

/**
 * A checkpoint file checked by `validate` (which throws `JobCheckpointError` naming what is
 * wrong), or undefined when there is none. Shared by the job runners' checkpoint formats.
 */
export async function readCheckpointFile<T>(
  path: string,
  validate: (path: string, value: unknown) => T,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new JobCheckpointError(path, 'it is not valid JSON', { cause: error });
  }
  return validate(path, parsed);
}

/** Flushes a directory's entries (a created or renamed file) to stable storage. */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Replaces the checkpoint atomically: the new content goes to `${path}.tmp` (fsynced when
 * asked), which is then renamed over the old one, so a reader sees the old checkpoint or the
 * new one, never a mix. A crash before the rename leaves the old checkpoint, which is still
 * valid: it claims less, and the output scan on resume finds the rest.
 */
export async function writeCheckpoint(
  path: string,
  checkpoint: JobCheckpoint | object,
  options: { fsync: boolean },
): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(`${JSON.stringify(checkpoint)}\n`);
    if (options.fsync) await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}
