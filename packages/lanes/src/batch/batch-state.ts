import type { VALUES } from '@gemini-lanes/core';

/** A batch job's state as the metrics label it: `gemini_lanes.batch.state`. */
export type BatchState = (typeof VALUES.batchState)[number];

/** `gemini_lanes.batch.state` of a Batch API job state as the SDK reports it (`JOB_STATE_*`). */
const LABELS: Readonly<Record<string, BatchState>> = {
  JOB_STATE_QUEUED: 'pending',
  JOB_STATE_PENDING: 'pending',
  JOB_STATE_PAUSED: 'pending',
  JOB_STATE_RUNNING: 'running',
  JOB_STATE_UPDATING: 'running',
  JOB_STATE_CANCELLING: 'running',
  JOB_STATE_SUCCEEDED: 'succeeded',
  JOB_STATE_PARTIALLY_SUCCEEDED: 'succeeded',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
};

/**
 * The bounded state of a batch job. An unknown state (a newer API) counts as running: the job
 * keeps polling it rather than mistaking it for an end.
 */
export function batchStateOf(state: string | undefined): BatchState {
  return (state === undefined ? undefined : LABELS[state]) ?? 'running';
}

/** Whether a batch in this state will change no more. */
export function isFinal(state: BatchState): boolean {
  return state !== 'pending' && state !== 'running';
}
