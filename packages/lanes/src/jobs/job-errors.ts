import { GeminiLanesError } from '@gemini-lanes/core';
import type { JobSummary } from './job-types.js';

/** The output (or a checkpoint) already exists and the job was not told to resume or overwrite it. */
export class JobOutputExistsError extends GeminiLanesError {
  readonly output: string;

  constructor(output: string, why: string) {
    super(
      'ERR_JOB_OUTPUT_EXISTS',
      `job refused to start: ${why}; pass overwrite: true to start over`,
    );
    this.output = output;
  }
}

/** The input is not the one the checkpoint was made for (size or content changed). */
export class JobInputChangedError extends GeminiLanesError {
  readonly checkpoint: string;

  constructor(checkpoint: string, detail: string) {
    super(
      'ERR_JOB_INPUT_CHANGED',
      `job refused to resume: the input is not the one checkpoint ${checkpoint} was made for (${detail}); pass overwrite: true to start over`,
    );
    this.checkpoint = checkpoint;
  }
}

/** The checkpoint cannot be read, or the output does not hold what it records. */
export class JobCheckpointError extends GeminiLanesError {
  readonly checkpoint: string;

  constructor(checkpoint: string, detail: string, options?: ErrorOptions) {
    super('ERR_JOB_CHECKPOINT', `job cannot resume from ${checkpoint}: ${detail}`, options);
    this.checkpoint = checkpoint;
  }
}

/** A checkpoint was asked for with an input that cannot be re-read from a position. */
export class JobNotResumableError extends GeminiLanesError {
  constructor() {
    super(
      'ERR_JOB_NOT_RESUMABLE',
      'an async iterable cannot be resumed: give a JSONL file path, a ReplayableJobSource, or checkpoint: false',
    );
  }
}

/** The job was cancelled before every line had a result; the checkpoint lets it resume. */
export class JobCancelledError extends GeminiLanesError {
  readonly summary: JobSummary;

  constructor(summary: JobSummary, reason: unknown) {
    super(
      'ERR_JOB_CANCELLED',
      `job cancelled with ${summary.done} lines done; run it again to resume`,
      { cause: reason },
    );
    this.summary = summary;
  }
}
