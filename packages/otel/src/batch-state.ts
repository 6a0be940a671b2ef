/** `gemini_lanes.batch.state` of a Batch API job state (`JOB_STATE_*`, `BATCH_STATE_*`). */
export const BATCH_STATES: Readonly<Record<string, string>> = {
  JOB_STATE_QUEUED: 'pending',
  JOB_STATE_PENDING: 'pending',
  JOB_STATE_RUNNING: 'running',
  JOB_STATE_SUCCEEDED: 'succeeded',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLING: 'running',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
  JOB_STATE_PAUSED: 'pending',
  BATCH_STATE_PENDING: 'pending',
  BATCH_STATE_RUNNING: 'running',
  BATCH_STATE_SUCCEEDED: 'succeeded',
  BATCH_STATE_FAILED: 'failed',
  BATCH_STATE_CANCELLED: 'cancelled',
  BATCH_STATE_EXPIRED: 'expired',
};
