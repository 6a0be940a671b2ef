import type { JobStatus } from '@gemini-lanes/example-mixed-service';
import type { JobLine } from './live-view.js';

export interface BatchJobOptions {
  serviceUrl: string;
  /** The input JSONL, relative to the service's files root. */
  input: string;
  /** The results JSONL, relative to the service's files root. */
  output: string;
  /** Lines in the input. */
  total: number;
  /** Whether a checkpoint of an earlier run exists: the job resumes from it. */
  resuming: boolean;
  /** Start the job over when it finishes (the emulator), or let it end (a billed upstream). */
  repeat: boolean;
}

/** Errors after which the job is started over: the files belong to another input or run. */
const START_OVER = new Set([
  'ERR_JOB_INPUT_CHANGED',
  'ERR_JOB_OUTPUT_EXISTS',
  'ERR_JOB_CHECKPOINT',
]);

async function json<T>(response: Response): Promise<T> {
  const body = (await response.json()) as T & { error?: { message?: string } };
  if (!response.ok) {
    throw new Error(`${response.status}: ${body.error?.message ?? JSON.stringify(body)}`);
  }
  return body;
}

/**
 * The demo's batch job, driven like a client would: `POST /jobs` to start it, `GET /jobs/:id`
 * once a second for the view, `DELETE /jobs/:id` at the end (it stops at a checkpoint, so the
 * next run resumes it). With `repeat`, a finished job is started over, so the throughput lane
 * stays busy.
 */
export class BatchJobDriver {
  readonly #options: BatchJobOptions;
  #status: JobStatus | undefined;
  #note: string | undefined;
  #startedOver = false;
  #finishedRuns = 0;

  constructor(options: BatchJobOptions) {
    this.#options = options;
    if (options.resuming) this.#note = 'resumed from the checkpoint of an earlier run';
  }

  get status(): JobStatus | undefined {
    return this.#status;
  }

  /** Runs the job that finished in this demo, before the current one. */
  get finishedRuns(): number {
    return this.#finishedRuns;
  }

  async start(overwrite = false): Promise<void> {
    const { serviceUrl, input, output } = this.#options;
    this.#status = await json<JobStatus>(
      await fetch(`${serviceUrl}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input, output, ...(overwrite ? { overwrite: true } : {}) }),
      }),
    );
  }

  /** Reads the job's state; starts it over when it finished or its files were another run's. */
  async poll(): Promise<void> {
    const current = this.#status;
    if (current === undefined) return;
    const status = await json<JobStatus>(
      await fetch(`${this.#options.serviceUrl}/jobs/${current.id}`),
    );
    this.#status = status;
    if (status.state === 'completed') {
      const earlier = status.summary?.resumed === true && status.summary.written === 0;
      if (!this.#options.repeat) {
        if (earlier) this.#note = 'an earlier run had finished it';
        return;
      }
      if (!earlier) this.#finishedRuns += 1;
      this.#note = earlier
        ? 'an earlier run had finished it; started over'
        : `finished ${this.#finishedRuns}×; started over`;
      await this.start(true);
    } else if (
      status.state === 'failed' &&
      !this.#startedOver &&
      START_OVER.has(status.error?.code ?? '')
    ) {
      this.#startedOver = true;
      this.#note = `${status.error?.code}: started over`;
      await this.start(true);
    }
  }

  line(): JobLine | undefined {
    const s = this.#status;
    if (s === undefined) return undefined;
    const line: JobLine = {
      done: s.progress.done,
      failed: s.progress.failed,
      inFlight: s.progress.inFlight,
      total: this.#options.total,
      tokensPerSecond: s.progress.tokensPerSecond,
      costUsd: s.progress.costUsd,
      etaMs: s.progress.etaMs,
      state: s.state,
    };
    const note = s.state === 'failed' ? s.error?.message : this.#note;
    if (note !== undefined) line.note = note;
    return line;
  }

  /** Cancels the job (it stops at a checkpoint) and returns its final state. */
  async cancel(): Promise<JobStatus | undefined> {
    const current = this.#status;
    if (current === undefined || current.state !== 'running') return current;
    this.#status = await json<JobStatus>(
      await fetch(`${this.#options.serviceUrl}/jobs/${current.id}`, { method: 'DELETE' }),
    );
    return this.#status;
  }
}
