import {
  checkOutputAndTotals,
  checkVersionAndState,
  isCount,
  type JobTotals,
  readCheckpointFile,
} from '../jobs/job-checkpoint.js';
import { JobCheckpointError } from '../jobs/job-errors.js';
import type { SourceIdentity } from '../jobs/job-source.js';

export const BATCH_CHECKPOINT_KIND = 'gemini-lanes/batch-job-checkpoint';
export const BATCH_CHECKPOINT_VERSION = 1;

/** How the input is cut into chunks: fixed for the life of a job, so chunk k is always the same lines. */
export interface Chunking {
  chunkSize: number;
  chunkBytes: number;
}

/** One submission of a part, recorded before it is created. */
export interface GenerationRecord {
  generation: number;
  displayName: string;
  /** The batch's resource name once `create` returned; absent while the create may or may not have happened. */
  name?: string;
}

/** The submissions of one part (a chunk's requests for one model) not yet written out. */
export interface PartRecord {
  chunk: number;
  part: number;
  /** The part's content hash, to refuse a resume against a changed chunk. */
  hash: string;
  generations: GenerationRecord[];
}

/**
 * A batch-api job's resumable state. Its claims: every input line before `watermark` has
 * exactly one result line within the first `outputBytes` bytes of the output (results are
 * written chunk by chunk in input order, so the watermark is always a chunk boundary and
 * `watermark.chunk` the index of the next chunk); and every batch this job may have created for
 * a later chunk is in `parts`, by display name, before its create is sent.
 */
export interface BatchCheckpoint {
  kind: typeof BATCH_CHECKPOINT_KIND;
  version: typeof BATCH_CHECKPOINT_VERSION;
  state: 'running' | 'complete';
  source: SourceIdentity | null;
  /** The job's key in display names. */
  jobKey: string;
  chunking: Chunking;
  watermark: { position: number; line: number; chunk: number };
  outputBytes: number;
  totals: JobTotals;
  parts: PartRecord[];
  updatedAt: string;
}

function isGeneration(value: unknown): value is GenerationRecord {
  const g = value as Partial<GenerationRecord> | null;
  return (
    typeof g === 'object' &&
    g !== null &&
    isCount(g.generation) &&
    typeof g.displayName === 'string' &&
    (g.name === undefined || typeof g.name === 'string')
  );
}

function isPart(value: unknown): value is PartRecord {
  const p = value as Partial<PartRecord> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    isCount(p.chunk) &&
    isCount(p.part) &&
    typeof p.hash === 'string' &&
    Array.isArray(p.generations) &&
    p.generations.every(isGeneration)
  );
}

function validate(path: string, value: unknown): BatchCheckpoint {
  const c = value as Partial<BatchCheckpoint> | null;
  const fail = (detail: string) => new JobCheckpointError(path, detail);
  if (typeof c !== 'object' || c === null || c.kind !== BATCH_CHECKPOINT_KIND) {
    const kind = (c as { kind?: unknown } | null)?.kind;
    throw fail(
      kind === 'gemini-lanes/job-checkpoint'
        ? 'it is the checkpoint of a parallel-mode job; resume it in parallel mode, or pass overwrite: true'
        : 'it is not a gemini-lanes batch-api job checkpoint',
    );
  }
  checkVersionAndState(c, BATCH_CHECKPOINT_VERSION, fail);
  if (typeof c.jobKey !== 'string' || c.jobKey === '') throw fail('"jobKey" is missing');
  if (
    !(isCount(c.chunking?.chunkSize) && c.chunking.chunkSize > 0) ||
    !(isCount(c.chunking.chunkBytes) && c.chunking.chunkBytes > 0)
  ) {
    throw fail('"chunking" is malformed');
  }
  const w = c.watermark;
  if (!isCount(w?.position) || !isCount(w.line) || !isCount(w.chunk)) {
    throw fail('"watermark" is malformed');
  }
  checkOutputAndTotals(c, fail);
  if (!Array.isArray(c.parts) || !c.parts.every(isPart)) throw fail('"parts" is malformed');
  if (typeof c.source !== 'object') throw fail('"source" is missing');
  return c as BatchCheckpoint;
}

/** The batch-api checkpoint at `path`, or undefined when there is none. */
export function readBatchCheckpoint(path: string): Promise<BatchCheckpoint | undefined> {
  return readCheckpointFile(path, validate);
}
