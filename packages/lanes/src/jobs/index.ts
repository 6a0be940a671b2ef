export {
  JobCancelledError,
  JobCheckpointError,
  JobInputChangedError,
  JobNotResumableError,
  JobOutputExistsError,
} from './job-errors.js';
export { type JobInputRecord, type JsonlFileSource, readJsonl } from './job-source.js';
export type {
  Job,
  JobExecutionContext,
  JobExecutor,
  JobFailure,
  JobProgress,
  JobRequestLine,
  JobResponse,
  JobResult,
  JobResultError,
  JobSuccess,
  JobSummary,
  ReplayableJobSource,
  RunJobOptions,
} from './job-types.js';
export { type JobInput, runJob } from './run-job.js';
