import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { JobProgress, JobResult, JobSummary, ThroughputLane } from '@gemini-lanes/lanes';
import { DocumentsToRequests, type DocumentsToRequestsOptions } from './documents-to-requests.js';

export interface SummariseOptions extends DocumentsToRequestsOptions {
  /** JSONL of `{ id, text }` documents. */
  input: string;
  /** Results JSONL, one line per document; `<output>.ckpt` and `<output>.requests.jsonl` sit beside it. */
  output: string;
  /** The throughput lane that sends the requests. */
  lane: ThroughputLane;
  /** Stops the job; run again with the same arguments to continue where it stopped. */
  signal?: AbortSignal;
  /** Start from scratch instead of continuing a stopped run. */
  overwrite?: boolean;
  /** Every second while the job runs (`total`: documents in the input). */
  onProgress?: (progress: JobProgress & { total: number }) => void;
  /** After each result line is written. */
  onResult?: (result: JobResult) => void;
}

export interface SummariseRun {
  /** Document lines in the input. */
  documents: number;
  /** Of those, lines that were not documents (each has an `invalid_input` result). */
  invalid: number;
  /** The job input written from the documents. */
  requests: string;
  summary: JobSummary;
}

/**
 * Writes the job input from the documents in one streaming pass (to a temporary file, renamed
 * when whole), so memory stays bounded and a stopped write never leaves half a file behind.
 * Returns the counts.
 */
export async function writeRequests(
  input: string,
  requests: string,
  options: DocumentsToRequestsOptions & { signal?: AbortSignal } = {},
): Promise<{ documents: number; invalid: number }> {
  const transform = new DocumentsToRequests(options);
  const partial = `${requests}.partial`;
  await mkdir(dirname(requests), { recursive: true });
  try {
    const { signal } = options;
    if (signal) {
      await pipeline(createReadStream(input), transform, createWriteStream(partial), { signal });
    } else {
      await pipeline(createReadStream(input), transform, createWriteStream(partial));
    }
    await rename(partial, requests);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { documents: transform.lines, invalid: transform.invalid };
}

/**
 * Summarises every document of `input` through the throughput lane, writing one result line per
 * document to `output`, checkpointed: when it is stopped (the signal, Ctrl-C, a crash), running
 * it again with the same arguments continues where it stopped, and the output still ends with
 * exactly one result per document. Rejects with the job's `JobCancelledError` when stopped.
 */
export async function summariseDocuments(options: SummariseOptions): Promise<SummariseRun> {
  const requests = `${options.output}.requests.jsonl`;
  // Rewritten on every run: the same documents give the same bytes, so the checkpoint's record
  // of its input still matches; changed documents make the job refuse to resume (pass overwrite).
  const { documents, invalid } = await writeRequests(options.input, requests, options);
  const job = options.lane.run(requests, {
    output: options.output,
    checkpoint: `${options.output}.ckpt`,
    ...(options.overwrite ? { overwrite: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const { onProgress, onResult } = options;
  if (onProgress) job.on('progress', (progress) => onProgress({ ...progress, total: documents }));
  if (onResult) job.on('result', onResult);
  const summary = await job.done;
  return { documents, invalid, requests, summary };
}
