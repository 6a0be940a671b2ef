import {
  countOption,
  type JobFiles,
  type JobRunSettings,
  jobFilesOf,
  jobRunSettingsOf,
} from '../jobs/job-settings.js';
import type { JobInput } from '../jobs/job-source.js';
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
export interface Settings extends JobFiles, JobRunSettings {
  chunking: Chunking;
  maxChunksInFlight: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  inlineLimitBytes: number;
  maxSubmissions: number;
  hooks: BatchTestHooks | undefined;
}

const count = countOption('runBatchJob');

export function settingsOf(input: JobInput, options: BatchJobOptions): Settings {
  const files = jobFilesOf('runBatchJob', count, input, options);
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
    ...files,
    ...jobRunSettingsOf(count, options),
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
