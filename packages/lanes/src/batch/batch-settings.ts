import { type Clock, systemClock } from '@gemini-lanes/core';
import { JobNotResumableError } from '../jobs/job-errors.js';
import {
  DEFAULT_MAX_LINE_BYTES,
  type JobInput,
  type JobSource,
  jobSourceOf,
} from '../jobs/job-source.js';
import type { Chunking } from './batch-checkpoint.js';
import type { BatchPlace } from './batch-names.js';
import type { BatchJobOptions } from './batch-options.js';

/**
 * @internal Test hooks, read from the options under this registered symbol (so a test child
 * process using the built package can reach them); not part of the public API.
 */
export const BATCH_TEST_HOOKS = Symbol.for('gemini-lanes.batch.test-hooks');

/** @internal */
export interface BatchTestHooks {
  /** Extra headers for the create of this batch (the emulator's outcome and error headers). */
  createHeaders?: (
    place: BatchPlace & { displayName: string },
  ) => Record<string, string> | undefined;
  /** Runs when `create` has returned, before the checkpoint records the batch's name. */
  afterCreate?: (info: { displayName: string; name: string }) => void;
}

const DEFAULT_POLL_INTERVAL_MS = 30_000;
const DEFAULT_INLINE_LIMIT_BYTES = 20 * 1024 * 1024;

/** A batch-api job's options, checked, with their defaults. */
export interface Settings {
  source: JobSource;
  fileInput: boolean;
  output: string;
  checkpoint: string | undefined;
  resume: boolean | undefined;
  overwrite: boolean;
  signal: AbortSignal | undefined;
  fsync: boolean;
  progressIntervalMs: number;
  duplicateIdWindow: number;
  clock: Clock;
  chunking: Chunking;
  maxChunksInFlight: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  inlineLimitBytes: number;
  maxSubmissions: number;
  hooks: BatchTestHooks | undefined;
}

function count(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(
      `runBatchJob: options.${name} must be an integer >= ${min} (got ${value})`,
    );
  }
  return value;
}

export function settingsOf(input: JobInput, options: BatchJobOptions): Settings {
  if (typeof options?.output !== 'string' || options.output.length === 0) {
    throw new TypeError('runBatchJob: options.output must be a file path');
  }
  const maxLineBytes = count(options.maxLineBytes, 'maxLineBytes', DEFAULT_MAX_LINE_BYTES);
  const { source, fileInput } = jobSourceOf(input, maxLineBytes, 'runBatchJob');
  let checkpoint: string | undefined;
  if (typeof options.checkpoint === 'string') {
    if (!source.resumable) throw new JobNotResumableError();
    checkpoint = options.checkpoint;
  } else if (options.checkpoint === undefined && source.resumable) {
    checkpoint = `${options.output}.ckpt`;
  }
  const pollIntervalMs = count(options.pollIntervalMs, 'pollIntervalMs', DEFAULT_POLL_INTERVAL_MS);
  const maxPollIntervalMs = count(
    options.maxPollIntervalMs,
    'maxPollIntervalMs',
    10 * pollIntervalMs,
  );
  if (maxPollIntervalMs < pollIntervalMs) {
    throw new RangeError(
      `runBatchJob: options.maxPollIntervalMs must be >= pollIntervalMs ${pollIntervalMs} (got ${maxPollIntervalMs})`,
    );
  }
  const hooks = (options as { [BATCH_TEST_HOOKS]?: BatchTestHooks })[BATCH_TEST_HOOKS];
  return {
    source,
    fileInput,
    output: options.output,
    checkpoint,
    resume: options.resume,
    overwrite: options.overwrite ?? false,
    signal: options.signal,
    fsync: options.fsync ?? true,
    progressIntervalMs: count(options.progressIntervalMs, 'progressIntervalMs', 1000),
    duplicateIdWindow: count(options.duplicateIdWindow, 'duplicateIdWindow', 10_000, 0),
    clock: options.clock ?? systemClock,
    chunking: {
      chunkSize: count(options.chunkSize, 'chunkSize', 1000),
      chunkBytes: count(options.chunkBytes, 'chunkBytes', 64 * 1024 * 1024),
    },
    maxChunksInFlight: count(options.maxChunksInFlight, 'maxChunksInFlight', 16),
    pollIntervalMs,
    maxPollIntervalMs,
    inlineLimitBytes: count(
      options.inlineLimitBytes,
      'inlineLimitBytes',
      DEFAULT_INLINE_LIMIT_BYTES,
    ),
    maxSubmissions: count(options.maxSubmissions, 'maxSubmissions', 3),
    hooks,
  };
}
