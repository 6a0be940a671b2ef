import { costOf, type PriceTable } from '@gemini-lanes/core';
import type { GenerateContentResponse, InlinedResponse, JobError } from '@google/genai';
import { failure, messageOf, responseData } from '../jobs/job-result.js';
import type { JobResult, JobResultError } from '../jobs/job-types.js';
import type { BatchState } from './batch-state.js';

/**
 * google.rpc.Code by number, the name `describeUpstreamError` gives the same failure of a
 * direct call (`status` in the error body), and the HTTP status the API maps it to.
 */
const RPC_CODES: ReadonlyArray<readonly [name: string, http: number] | undefined> = [
  undefined, // OK
  ['CANCELLED', 499],
  ['UNKNOWN', 500],
  ['INVALID_ARGUMENT', 400],
  ['DEADLINE_EXCEEDED', 504],
  ['NOT_FOUND', 404],
  ['ALREADY_EXISTS', 409],
  ['PERMISSION_DENIED', 403],
  ['RESOURCE_EXHAUSTED', 429],
  ['FAILED_PRECONDITION', 400],
  ['ABORTED', 409],
  ['OUT_OF_RANGE', 400],
  ['UNIMPLEMENTED', 501],
  ['INTERNAL', 500],
  ['UNAVAILABLE', 503],
  ['DATA_LOSS', 500],
  ['UNAUTHENTICATED', 401],
];

/**
 * A request's error inside a batch (a `google.rpc.Status`) as a result's `error`: its type is
 * the status name, as a direct call failing the same way reports it (`INVALID_ARGUMENT`,
 * `INTERNAL`, ...), `_OTHER` for a code outside google.rpc.Code; its `status` is the HTTP status
 * the API maps that code to.
 */
export function requestErrorOf(error: JobError): JobResultError {
  const code = typeof error.code === 'number' ? RPC_CODES[error.code] : undefined;
  const result: JobResultError = {
    type: code?.[0] ?? '_OTHER',
    message: messageOf(error.message ?? `batch request failed with code ${String(error.code)}`),
  };
  if (code !== undefined) result.status = code[1];
  return result;
}

/** The `error.type` of lines a batch never answered, by how its last submission ended. */
export function unansweredType(state: BatchState | 'lost' | 'missing'): string {
  switch (state) {
    case 'expired':
      return 'batch_expired';
    case 'failed':
      return 'batch_failed';
    case 'cancelled':
      return 'batch_cancelled';
    case 'lost':
      return 'batch_lost';
    default:
      return 'batch_missing_result';
  }
}

/** Where a result came from, to price and number it. */
export interface ResultContext {
  id: string;
  line: number;
  model: string;
  /** The submission that answered: its generation + 1. */
  attempts: number;
  prices: PriceTable;
}

/**
 * One answered request of a batch as its result line: the same fields as the parallel mode's,
 * priced at the Batch API tier (half the standard price).
 */
export function batchResultOf(answer: InlinedResponse, context: ResultContext): JobResult {
  const { id, line, attempts } = context;
  if (answer.error !== undefined && answer.error !== null) {
    return { id, line, error: requestErrorOf(answer.error), usage: null, costUsd: null, attempts };
  }
  const response = answer.response as GenerateContentResponse | undefined;
  if (typeof response !== 'object' || response === null) {
    return failure(id, line, 'invalid_response', 'the batch answered without a response', attempts);
  }
  const usage = response.usageMetadata;
  let costUsd: number | null = null;
  if (usage !== undefined) {
    const breakdown = costOf(usage, context.model, 'batch', context.prices);
    if (breakdown.known && Number.isFinite(breakdown.usd.total)) costUsd = breakdown.usd.total;
  }
  return {
    id,
    line,
    response: responseData(response),
    usage: usage ?? null,
    costUsd,
    attempts,
  };
}
