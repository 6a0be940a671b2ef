import type { Lane, PriceTable } from '@gemini-lanes/core';
import type { Telemetry } from '@gemini-lanes/otel';
import type { GoogleGenAI } from '@google/genai';
import type { SharedJobOptions } from '../jobs/job-settings.js';
import type { Sleep } from '../throughput/throughput-executor.js';
import type { BatchRetryOptions } from './batch-service.js';

/** How a batch-api job uses the Batch API. */
export interface BatchApiOptions {
  /** Input lines per chunk at most; a chunk is one batch per model in it. Default 1000. */
  chunkSize?: number;
  /** ... and the chunk ends at the line that brings its requests' JSON to this many bytes. Default 64 MiB. */
  chunkBytes?: number;
  /** Chunks submitted and not yet written out, at most (reading pauses while full). Default 16. */
  maxChunksInFlight?: number;
  /** First poll of a batch after this long (ms); each poll waits 1.5 times longer, up to `maxPollIntervalMs`. Default `lanes.throughput.batch.pollIntervalMs`. */
  pollIntervalMs?: number;
  /** Ceiling of the poll interval (ms). Default 10 × `pollIntervalMs`. */
  maxPollIntervalMs?: number;
  /** Requests go inline while the create body is at most this size (bytes), else as a JSONL file through the Files API. Default `lanes.throughput.batch.inlineLimitBytes` (20 MiB). */
  inlineLimitBytes?: number;
  /**
   * Submissions of a part that may fail (batch `FAILED`, `EXPIRED`, lost, or answers missing)
   * before its unanswered lines get error results. Cancelled batches do not count. Default 3.
   */
  maxSubmissions?: number;
}

/** Options of `runBatchJob`: the job runner's file handling, and the Batch API's. */
export interface BatchJobOptions extends SharedJobOptions, BatchApiOptions {}

/** What a batch-api job talks through and records to. */
export interface BatchJobContext {
  /**
   * The client for `batches.*` and `files.*` (the lane's own, instrumented one: each call is
   * traced and measured). Batch and Files calls go to `v1beta` whatever its `apiVersion`.
   */
  client: GoogleGenAI;
  /** Records tokens and cost of each result at the batch tier, and the batch metrics. */
  telemetry?: Telemetry | undefined;
  /** Default: the telemetry's prices, else the built-in table. */
  prices?: PriceTable | undefined;
  /** The lane label of the usage metrics. */
  lane?: Lane | undefined;
  /** Retries of Batch and Files API calls. Default: 6 attempts, 500 ms base, 60 s ceiling. */
  retry?: BatchRetryOptions | undefined;
  sleep?: Sleep | undefined;
  random?: (() => number) | undefined;
}
