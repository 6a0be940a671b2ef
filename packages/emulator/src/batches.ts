/**
 * The Batch API's jobs: each moves PENDING → RUNNING → SUCCEEDED over emulated time (or ends
 * CANCELLED, FAILED or EXPIRED), reports progress in `batchStats` while it runs, and on success
 * holds its results in input order: inline when the input was inline, as a JSONL file (through
 * the Files API) when the input was a file. Results are generated when the job is first seen
 * finished, so cancelled jobs cost nothing.
 */
import type { ScaledClock } from './clock.js';
import { RpcCode } from './errors.js';
import type { FileStore } from './files.js';
import type { BatchTiming } from './options.js';
import { type Random, randomId } from './random.js';
import type { GenerateRequest } from './request-schema.js';

export const BATCH_STATES = [
  'BATCH_STATE_PENDING',
  'BATCH_STATE_RUNNING',
  'BATCH_STATE_SUCCEEDED',
  'BATCH_STATE_FAILED',
  'BATCH_STATE_CANCELLED',
  'BATCH_STATE_EXPIRED',
] as const;
export type BatchState = (typeof BATCH_STATES)[number];

/** A `google.rpc.Status`, as errors appear inside resources. */
export interface RpcStatus {
  code: number;
  message: string;
}

/** One request of a batch, checked at creation: a request that cannot run fails alone. */
export type BatchItemInput =
  | {
      ok: true;
      request: GenerateRequest;
      metadata: Record<string, unknown> | undefined;
      key: string | undefined;
    }
  | {
      ok: false;
      error: RpcStatus;
      metadata: Record<string, unknown> | undefined;
      key: string | undefined;
    };

/** Runs one request of a batch to its GenerateContentResponse body. */
export type BatchRunner = (
  model: string,
  request: GenerateRequest,
  random: Random,
) => Record<string, unknown>;

export interface BatchCreate {
  model: string;
  displayName: string;
  source: { kind: 'inline' } | { kind: 'file'; fileName: string };
  items: BatchItemInput[];
  /** Forces the job to end FAILED or EXPIRED (`x-emulator-batch-outcome`). */
  outcome: 'failed' | 'expired' | undefined;
  /** Indices of requests that end with an error inside a succeeded job (`x-emulator-batch-errors`). */
  failIndices: ReadonlySet<number>;
}

type ResultLine = { response: Record<string, unknown> } | { error: RpcStatus };

interface Batch extends BatchCreate {
  id: string;
  createdAt: number;
  pendingUntil: number;
  endsAt: number;
  endState: 'BATCH_STATE_SUCCEEDED' | 'BATCH_STATE_FAILED' | 'BATCH_STATE_EXPIRED';
  cancelledAt: number | undefined;
  random: Random;
  output: Record<string, unknown> | undefined;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const METADATA_TYPE =
  'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch';
const OUTPUT_TYPE =
  'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput';

export class BatchStore {
  readonly #batches = new Map<string, Batch>();
  readonly #clock: ScaledClock;
  readonly #random: Random;
  readonly #files: FileStore;
  readonly #timing: BatchTiming;
  readonly #run: BatchRunner;

  constructor(
    clock: ScaledClock,
    random: Random,
    files: FileStore,
    timing: BatchTiming,
    run: BatchRunner,
  ) {
    this.#clock = clock;
    this.#random = random;
    this.#files = files;
    this.#timing = timing;
    this.#run = run;
  }

  /** Creates a job; its whole timeline is fixed now, in emulated time. */
  create(input: BatchCreate): string {
    const now = this.#clock.now();
    const id = randomId(this.#random, 22, ID_ALPHABET);
    const pendingUntil = now + this.#timing.pendingMs;
    const runningUntil =
      pendingUntil +
      Math.max(this.#timing.minRunningMs, input.items.length * this.#timing.msPerRequest);
    let endsAt = runningUntil;
    let endState: Batch['endState'] = 'BATCH_STATE_SUCCEEDED';
    if (input.outcome === 'failed') {
      endsAt = pendingUntil;
      endState = 'BATCH_STATE_FAILED';
    } else if (input.outcome === 'expired') {
      endState = 'BATCH_STATE_EXPIRED';
    } else if (runningUntil - now > this.#timing.expireAfterMs) {
      endsAt = now + this.#timing.expireAfterMs;
      endState = 'BATCH_STATE_EXPIRED';
    }
    this.#batches.set(id, {
      ...input,
      id,
      createdAt: now,
      pendingUntil,
      endsAt,
      endState,
      cancelledAt: undefined,
      random: this.#random.fork(),
      output: undefined,
    });
    return id;
  }

  has(id: string): boolean {
    return this.#batches.has(id);
  }

  /** The job's state now. */
  state(id: string): BatchState | undefined {
    const batch = this.#batches.get(id);
    return batch === undefined ? undefined : this.#stateOf(batch, this.#clock.now());
  }

  #stateOf(batch: Batch, now: number): BatchState {
    if (batch.cancelledAt !== undefined) return 'BATCH_STATE_CANCELLED';
    if (now < batch.pendingUntil) return 'BATCH_STATE_PENDING';
    if (now < batch.endsAt) return 'BATCH_STATE_RUNNING';
    return batch.endState;
  }

  /** Cancels a pending or running job; a finished one stays as it is (cancel is idempotent). */
  cancel(id: string): boolean {
    const batch = this.#batches.get(id);
    if (batch === undefined) return false;
    const now = this.#clock.now();
    const state = this.#stateOf(batch, now);
    if (state === 'BATCH_STATE_PENDING' || state === 'BATCH_STATE_RUNNING') batch.cancelledAt = now;
    return true;
  }

  delete(id: string): boolean {
    return this.#batches.delete(id);
  }

  /** Job ids, oldest first. */
  ids(): string[] {
    return [...this.#batches.keys()];
  }

  countByState(): Record<BatchState, number> {
    const counts = Object.fromEntries(BATCH_STATES.map((s) => [s, 0])) as Record<
      BatchState,
      number
    >;
    const now = this.#clock.now();
    for (const batch of this.#batches.values()) counts[this.#stateOf(batch, now)]++;
    return counts;
  }

  /** The job as the API returns it: a long-running Operation whose metadata is the batch. */
  operation(id: string): Record<string, unknown> | undefined {
    const batch = this.#batches.get(id);
    if (batch === undefined) return undefined;
    const now = this.#clock.now();
    const state = this.#stateOf(batch, now);
    const n = batch.items.length;
    let done = 0;
    if (state === 'BATCH_STATE_RUNNING') {
      done = Math.floor(
        (n * (now - batch.pendingUntil)) / Math.max(1, batch.endsAt - batch.pendingUntil),
      );
    } else if (state === 'BATCH_STATE_SUCCEEDED') {
      done = n;
    } else if (
      state === 'BATCH_STATE_CANCELLED' &&
      batch.cancelledAt !== undefined &&
      batch.cancelledAt >= batch.pendingUntil
    ) {
      done = Math.min(
        n,
        Math.floor(
          (n * (batch.cancelledAt - batch.pendingUntil)) /
            Math.max(1, batch.endsAt - batch.pendingUntil),
        ),
      );
    }
    let failed = 0;
    for (let i = 0; i < done; i++) {
      if (!batch.items[i]?.ok || batch.failIndices.has(i)) failed++;
    }
    const finished = state !== 'BATCH_STATE_PENDING' && state !== 'BATCH_STATE_RUNNING';
    const endTime = batch.cancelledAt ?? batch.endsAt;
    const metadata: Record<string, unknown> = {
      '@type': METADATA_TYPE,
      model: `models/${batch.model}`,
      displayName: batch.displayName,
      ...(batch.source.kind === 'file' ? { inputConfig: { fileName: batch.source.fileName } } : {}),
      createTime: this.#clock.timestamp(batch.createdAt),
      ...(finished ? { endTime: this.#clock.timestamp(endTime) } : {}),
      updateTime: this.#clock.timestamp(finished ? endTime : now),
      batchStats: {
        requestCount: String(n),
        successfulRequestCount: String(done - failed),
        failedRequestCount: String(failed),
        pendingRequestCount: String(n - done),
      },
      state,
      name: `batches/${batch.id}`,
    };
    const operation: Record<string, unknown> = { name: `batches/${batch.id}`, metadata };
    if (state === 'BATCH_STATE_SUCCEEDED') {
      const output = this.#materialise(batch);
      metadata.output = output;
      operation.done = true;
      operation.response = { '@type': OUTPUT_TYPE, ...output };
    } else if (state === 'BATCH_STATE_FAILED') {
      operation.done = true;
      operation.error = {
        code: RpcCode.internal,
        message: 'The batch failed: its requests could not be processed.',
      };
    } else if (finished) {
      operation.done = true;
    }
    return operation;
  }

  #materialise(batch: Batch): Record<string, unknown> {
    if (batch.output !== undefined) return batch.output;
    const results: ResultLine[] = batch.items.map((item, i) => {
      if (!item.ok) return { error: item.error };
      if (batch.failIndices.has(i)) {
        return { error: { code: RpcCode.internal, message: 'An internal error has occurred.' } };
      }
      return { response: this.#run(batch.model, item.request, batch.random) };
    });
    if (batch.source.kind === 'inline') {
      batch.output = {
        inlinedResponses: {
          inlinedResponses: results.map((result, i) => {
            const metadata = batch.items[i]?.metadata;
            return metadata === undefined ? result : { ...result, metadata };
          }),
        },
      };
    } else {
      const lines = results.map((result, i) => {
        const key = batch.items[i]?.key;
        return JSON.stringify(key === undefined ? result : { key, ...result });
      });
      const fileId = `batch-${batch.id}`;
      this.#files.addGenerated(
        fileId,
        'application/jsonl',
        Buffer.from(`${lines.join('\n')}\n`),
        `${batch.displayName} results`,
      );
      batch.output = { responsesFile: `files/${fileId}` };
    }
    return batch.output;
  }
}
