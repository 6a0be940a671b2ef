import { type Clock, systemClock } from '@gemini-lanes/core';
import { JobNotResumableError } from './job-errors.js';
import {
  DEFAULT_MAX_LINE_BYTES,
  type JobInput,
  type JobSource,
  jobSourceOf,
} from './job-source.js';
import type { RunJobOptions } from './job-types.js';

/** The options both job runners take (`runJob`'s file handling, shared by `runBatchJob`). */
export type SharedJobOptions = Pick<
  RunJobOptions,
  | 'output'
  | 'checkpoint'
  | 'resume'
  | 'overwrite'
  | 'signal'
  | 'fsync'
  | 'progressIntervalMs'
  | 'duplicateIdWindow'
  | 'maxLineBytes'
  | 'clock'
>;

/** What every job runner reads its input from and writes its results and checkpoint to. */
export interface JobFiles {
  source: JobSource;
  fileInput: boolean;
  output: string;
  checkpoint: string | undefined;
}

/** The checked shared options, with their defaults, after the runner's own. */
export interface JobRunSettings {
  resume: boolean | undefined;
  overwrite: boolean;
  signal: AbortSignal | undefined;
  fsync: boolean;
  progressIntervalMs: number;
  duplicateIdWindow: number;
  clock: Clock;
}

/** Checks an integer option, naming the runner and the option in its `RangeError`. */
export type CountOption = (
  value: number | undefined,
  name: string,
  fallback: number,
  min?: number,
) => number;

/** An option checker whose errors name `fn` (`runJob`, `runBatchJob`). */
export function countOption(fn: string): CountOption {
  return (value, name, fallback, min = 1) => {
    if (value === undefined) return fallback;
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new RangeError(`${fn}: options.${name} must be an integer >= ${min} (got ${value})`);
    }
    return value;
  };
}

/**
 * The input source, output and checkpoint path of a job, checked in that order: the output is
 * a path, `maxLineBytes` a count, the input readable, and a checkpoint only for a resumable
 * input (`${output}.ckpt` by default).
 */
export function jobFilesOf(
  fn: string,
  count: CountOption,
  input: JobInput,
  options: SharedJobOptions,
): JobFiles {
  if (typeof options?.output !== 'string' || options.output.length === 0) {
    throw new TypeError(`${fn}: options.output must be a file path`);
  }
  const maxLineBytes = count(options.maxLineBytes, 'maxLineBytes', DEFAULT_MAX_LINE_BYTES);
  const { source, fileInput } = jobSourceOf(input, maxLineBytes, fn);
  let checkpoint: string | undefined;
  if (typeof options.checkpoint === 'string') {
    if (!source.resumable) throw new JobNotResumableError();
    checkpoint = options.checkpoint;
  } else if (options.checkpoint === undefined && source.resumable) {
    checkpoint = `${options.output}.ckpt`;
  }
  return { source, fileInput, output: options.output, checkpoint };
}

/** The rest of the shared options, checked after the runner's own (so its errors come first). */
export function jobRunSettingsOf(count: CountOption, options: SharedJobOptions): JobRunSettings {
  return {
    resume: options.resume,
    overwrite: options.overwrite ?? false,
    signal: options.signal,
    fsync: options.fsync ?? true,
    progressIntervalMs: count(options.progressIntervalMs, 'progressIntervalMs', 1000),
    duplicateIdWindow: count(options.duplicateIdWindow, 'duplicateIdWindow', 10_000, 0),
    clock: options.clock ?? systemClock,
  };
}
