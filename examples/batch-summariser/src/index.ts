export {
  DEFAULT_MAX_LINE_BYTES,
  DEFAULT_MODEL,
  DocumentsToRequests,
  type DocumentsToRequestsOptions,
  type SummaryRequestOptions,
  summaryRequest,
} from './documents-to-requests.js';
export { etaMs, progressLine } from './progress-line.js';
export {
  type SummariseOptions,
  type SummariseRun,
  summariseDocuments,
  writeRequests,
} from './summarise.js';
