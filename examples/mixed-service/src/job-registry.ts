import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { isGeminiLanesError } from '@gemini-lanes/core';
import {
  type Job,
  JobCancelledError,
  type JobProgress,
  type JobSummary,
  type ThroughputLane,
} from '@gemini-lanes/lanes';
import { badRequest } from './http/http-error.js';

export type JobState = 'running' | 'completed' | 'cancelled' | 'failed';

/** What `GET /jobs/:id` answers. */
export interface JobStatus {
  id: string;
  state: JobState;
  /** The JSONL input on the server's disk. */
  input: string;
  /** The results JSONL (one line per input line). */
  output: string;
  /** Where the job's checkpoint is: start the same input and output again to resume from it. */
  checkpoint: string;
  /** Input lines, when known (inline jobs). */
  total: number | null;
  progress: JobProgress;
  /** When it has finished (completed or cancelled). */
  summary?: JobSummary;
  error?: { code: string; message: string };
  startedAt: string;
  finishedAt?: string;
}

interface Entry {
  status: Omit<JobStatus, 'progress'>;
  job: Job;
  settled: Promise<void>;
}

export interface JobRegistryOptions {
  lane: ThroughputLane;
  /** Job files named by path must lie inside this directory. */
  filesRoot: string;
  /** Where inline jobs are written; default a temporary directory removed at close. */
  jobsDir?: string | undefined;
}

function errorOf(error: unknown): { code: string; message: string } {
  return {
    code: isGeminiLanesError(error) ? error.code : 'internal',
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * The service's batch jobs: each runs a JSONL file through the throughput lane's job runner
 * (checkpointed, so starting the same input and output again resumes it), and is looked up by
 * id for its progress. Jobs live as long as the process; their files stay on disk.
 */
export class JobRegistry {
  readonly #lane: ThroughputLane;
  readonly #root: string;
  readonly #jobs = new Map<string, Entry>();
  readonly #jobsDir: string | undefined;
  #madeJobsDir: Promise<string> | undefined;

  constructor(options: JobRegistryOptions) {
    this.#lane = options.lane;
    this.#root = resolve(options.filesRoot);
    this.#jobsDir = options.jobsDir;
  }

  /**
   * Starts a job from `{ input: path, output?, resume?, overwrite? }` (a JSONL file inside the
   * files root; output default `<input>.results.jsonl`) or `{ requests: [{ id?, request }] }`
   * (written as JSONL into the jobs directory).
   */
  async start(body: Record<string, unknown>): Promise<JobStatus> {
    const id = randomUUID();
    const { input, requests } = body;
    if ((input === undefined) === (requests === undefined)) {
      throw badRequest('send either input (a JSONL path on the server) or requests (an array)');
    }
    let inputPath: string;
    let outputPath: string;
    let total: number | null = null;
    if (input !== undefined) {
      if (typeof input !== 'string' || input === '') throw badRequest('input must be a path');
      inputPath = this.#inside(input, 'input');
      const output = body.output;
      if (output !== undefined && (typeof output !== 'string' || output === '')) {
        throw badRequest('output must be a path');
      }
      outputPath =
        output === undefined
          ? `${inputPath.replace(/\.jsonl$/, '')}.results.jsonl`
          : this.#inside(output, 'output');
    } else {
      if (!Array.isArray(requests) || requests.length === 0) {
        throw badRequest('requests must be a non-empty array of { id?, request }');
      }
      const lines = requests.map((item: unknown, i) => {
        const r = (typeof item === 'object' && item !== null ? item : {}) as Record<
          string,
          unknown
        >;
        if (typeof r.request !== 'object' || r.request === null) {
          throw badRequest(`requests[${i}].request must be a generateContent request object`);
        }
        return JSON.stringify({ id: r.id ?? String(i + 1), request: r.request });
      });
      const dir = join(await this.#dir(), id);
      await mkdir(dir, { recursive: true });
      inputPath = join(dir, 'input.jsonl');
      outputPath = join(dir, 'results.jsonl');
      await writeFile(inputPath, `${lines.join('\n')}\n`);
      total = lines.length;
    }
    for (const flag of ['resume', 'overwrite'] as const) {
      if (body[flag] !== undefined && typeof body[flag] !== 'boolean') {
        throw badRequest(`${flag} must be true or false`);
      }
    }
    const checkpoint = `${outputPath}.ckpt`;
    const job = this.#lane.run(inputPath, {
      output: outputPath,
      checkpoint,
      ...(body.resume === undefined ? {} : { resume: body.resume as boolean }),
      ...(body.overwrite === true ? { overwrite: true } : {}),
    });
    const status: Entry['status'] = {
      id,
      state: 'running',
      input: inputPath,
      output: outputPath,
      checkpoint,
      total,
      startedAt: new Date().toISOString(),
    };
    const settled = job.done.then(
      (summary) => {
        status.state = 'completed';
        status.summary = summary;
      },
      (error: unknown) => {
        if (error instanceof JobCancelledError) {
          status.state = 'cancelled';
          status.summary = error.summary;
        } else {
          status.state = 'failed';
          status.error = errorOf(error);
        }
      },
    );
    this.#jobs.set(id, {
      status,
      job,
      settled: settled.then(() => {
        status.finishedAt = new Date().toISOString();
      }),
    });
    return this.#statusOf(id) as JobStatus;
  }

  get(id: string): JobStatus | undefined {
    return this.#statusOf(id);
  }

  list(): JobStatus[] {
    return [...this.#jobs.keys()].map((id) => this.#statusOf(id) as JobStatus);
  }

  /** Cancels a running job and answers once it has stopped (its checkpoint written). */
  async cancel(id: string): Promise<JobStatus | undefined> {
    const entry = this.#jobs.get(id);
    if (entry === undefined) return undefined;
    entry.job.cancel(new Error('cancelled through the API'));
    await entry.settled;
    return this.#statusOf(id);
  }

  /** Cancels every running job, waits for them to stop, removes the temporary jobs directory. */
  async close(): Promise<void> {
    for (const entry of this.#jobs.values()) entry.job.cancel(new Error('service closing'));
    await Promise.all([...this.#jobs.values()].map((entry) => entry.settled));
    if (this.#madeJobsDir !== undefined) {
      await rm(await this.#madeJobsDir, { recursive: true, force: true });
    }
  }

  #statusOf(id: string): JobStatus | undefined {
    const entry = this.#jobs.get(id);
    return entry && { ...entry.status, progress: entry.job.progress() };
  }

  #dir(): Promise<string> {
    if (this.#jobsDir !== undefined) return Promise.resolve(this.#jobsDir);
    this.#madeJobsDir ??= mkdtemp(join(tmpdir(), 'mixed-service-jobs-'));
    return this.#madeJobsDir;
  }

  /** A path the client named, resolved against the files root and refused outside it. */
  #inside(path: string, field: string): string {
    const full = resolve(this.#root, path);
    const rel = relative(this.#root, full);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw badRequest(`${field} must be a file inside ${this.#root} (got ${path})`);
    }
    return full;
  }
}
