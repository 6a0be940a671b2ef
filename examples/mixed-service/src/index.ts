export type { ErrorResponse } from './http/error-response.js';
export { errorResponse } from './http/error-response.js';
export { HttpError } from './http/http-error.js';
export {
  JobRegistry,
  type JobRegistryOptions,
  type JobState,
  type JobStatus,
} from './job-registry.js';
export { type MixedService, type MixedServiceOptions, startMixedService } from './mixed-service.js';
export { embedRequest, type GenerateRequest, generateRequest } from './request-params.js';
