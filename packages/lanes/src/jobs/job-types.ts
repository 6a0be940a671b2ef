import type { Clock } from '@gemini-lanes/core';
import type {
  GenerateContentParameters,
  GenerateContentResponse,
  GenerateContentResponseUsageMetadata,
} from '@google/genai';

/** One line of a job's input JSONL: a caller-chosen id and the request to send. */
export interface JobRequestLine {
  /** Unique within the job; a number is accepted and written as its decimal string. */
  id: string;
  request: GenerateContentParameters;
}

/** What the executor gets besides the request. */
export interface JobExecutionContext {
  id: string;
  /** The input line number (1-based, blank lines counted) or, for an iterable, the item number. */
  line: number;
  /** Aborted when the job is cancelled; the item then gets no result and runs again on resume. */
  signal: AbortSignal;
  /** Call with 1, 2, ... as each attempt starts; the highest number is the result's `attempts`. */
  onAttempt(attempt: number): void;
}

/**
 * Sends one request (retries, quota and concurrency control are the executor's business). A
 * rejection becomes an error result; an error may carry `attempts` (a number) as well.
 */
export type JobExecutor = (
  request: GenerateContentParameters,
  context: JobExecutionContext,
) => Promise<GenerateContentResponse>;

/** The response as written to the output: its data fields, without the SDK's HTTP metadata. */
export type JobResponse = Pick<
  GenerateContentResponse,
  | 'candidates'
  | 'createTime'
  | 'automaticFunctionCallingHistory'
  | 'modelVersion'
  | 'promptFeedback'
  | 'responseId'
  | 'usageMetadata'
  | 'modelStatus'
>;

/** Why an item has no response. */
export interface JobResultError {
  /**
   * Bounded: `describeUpstreamError(e).errorType` for executor failures (`RESOURCE_EXHAUSTED`,
   * `503`, `timeout`, `connection_error`, `_OTHER`, ...), `invalid_input` for a line that is not
   * a request, `duplicate_id` for a repeated id, `invalid_response` for an unserialisable one.
   */
  type: string;
  message: string;
  /** HTTP status of an API error. */
  status?: number;
}

interface JobResultFields {
  /** The input's id; `line:<n>` when the line has no readable id or repeats an earlier id. */
  id: string;
  /** The input line (or iterable item) number, 1-based: the key that makes results exactly-once. */
  line: number;
  /** `response.usageMetadata`; null without a response. */
  usage: GenerateContentResponseUsageMetadata | null;
  /** USD by the job's `cost` function; null when unknown or without a response. */
  costUsd: number | null;
  /** Attempts the executor reported (at least 1 once it ran); 0 for a line that never ran. */
  attempts: number;
}

export interface JobSuccess extends JobResultFields {
  response: JobResponse;
  error?: never;
}

export interface JobFailure extends JobResultFields {
  response?: never;
  error: JobResultError;
}

/** One line of the output JSONL. */
export type JobResult = JobSuccess | JobFailure;

/** A snapshot of a running job; `done`, `failed` and `costUsd` count the whole job, resumed runs included. */
export interface JobProgress {
  /** Input lines with a result in the output (failures included). */
  done: number;
  /** Of those, error results. */
  failed: number;
  /** Executor calls running now. */
  inFlight: number;
  /** Prompt + candidates + thinking tokens per second, over this run. */
  tokensPerSecond: number;
  costUsd: number;
  /** From the input bytes read so far in this run vs the file's size; undefined for an iterable. */
  etaMs: number | undefined;
  /** Input bytes consumed (file source). */
  bytesRead?: number;
  /** Input file size (file source). */
  totalBytes?: number;
}

/** What a finished job did. */
export interface JobSummary {
  output: string;
  checkpoint: string | undefined;
  /** Input lines with a result: all of them when `done` resolves. */
  done: number;
  failed: number;
  costUsd: number;
  /** Prompt + candidates + thinking tokens of the whole job. */
  tokens: number;
  /** Results this run wrote (the rest came from earlier runs). */
  written: number;
  /** Whether this run continued from a checkpoint. */
  resumed: boolean;
  /** Duration of this run. */
  elapsedMs: number;
}

/**
 * An input the job can re-read from a position: what makes an iterable resumable. `position`
 * is the number of items already consumed, so `replayFrom(0)` is the whole input.
 */
export interface ReplayableJobSource {
  /** Names this input; a checkpoint from another identity is refused. */
  readonly identity: string;
  replayFrom(position: number): AsyncIterable<unknown> | Iterable<unknown>;
}

export interface RunJobOptions {
  /** Results JSONL; appended to on resume. */
  output: string;
  /**
   * Checkpoint file; default `${output}.ckpt` for a file or replayable source. `false`: no
   * checkpoint, not resumable. A plain iterable cannot have one (`JobNotResumableError`).
   */
  checkpoint?: string | false;
  /**
   * Default true when the checkpoint exists. `false` refuses to replace an existing checkpoint
   * or output (`JobOutputExistsError`) unless `overwrite`.
   */
  resume?: boolean;
  /** Start from scratch: delete the checkpoint and empty the output. */
  overwrite?: boolean;
  /** Executor calls at once; a function is read before each start (an adaptive limit). Default 8. */
  concurrency?: number | (() => number);
  /** Hard cap on calls in flight. Default: `concurrency` when a number, else 64. */
  maxInFlight?: number;
  /**
   * Input lines held past the watermark (running, or finished behind a slower earlier line);
   * reading stops while it is full, so memory and the checkpoint stay bounded even when one line
   * is very slow. Default 4 × maxInFlight.
   */
  maxWindow?: number;
  /** Stops the job as `cancel()` does. */
  signal?: AbortSignal;
  /** USD of one item; default: none (`costUsd` null). Errors it throws are reported through diag. */
  cost?: (
    response: GenerateContentResponse,
    request: GenerateContentParameters,
  ) => number | undefined;
  /**
   * fdatasync the output before each checkpoint and fsync the checkpoint before its rename, so a
   * power loss or OS crash cannot leave a checkpoint that claims unwritten results. A killed
   * process needs no fsync. Default true.
   */
  fsync?: boolean;
  /** Checkpoint at least this often while results are written. Default 1000. */
  checkpointIntervalMs?: number;
  /** ... and after this many results, bounding what a resume must rescan. Default 1000. */
  checkpointEvery?: number;
  /** Default 1000. */
  progressIntervalMs?: number;
  /** A repeated id is caught when within this many lines of its first use in one run. Default 10000; 0 turns it off. */
  duplicateIdWindow?: number;
  /** A longer input line is an `invalid_input` result and is never held in memory. Default 32 MiB. */
  maxLineBytes?: number;
  clock?: Clock;
}

/** A running job. */
export interface Job {
  on(event: 'progress', listener: (progress: JobProgress) => void): this;
  /** After the result's line is written to the output. */
  on(event: 'result', listener: (result: JobResult) => void): this;
  off(event: 'progress', listener: (progress: JobProgress) => void): this;
  off(event: 'result', listener: (result: JobResult) => void): this;
  /**
   * Resolves when every input line has its result line; rejects with `JobCancelledError` after
   * `cancel()`, or with the error that stopped it (the checkpoint stays valid for a resume).
   */
  readonly done: Promise<JobSummary>;
  /** Stops starting work and aborts running items (they run again on resume). */
  cancel(reason?: unknown): void;
  /** The progress now. */
  progress(): JobProgress;
}
