import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from '@gemini-lanes/lanes';
import type { JobRegistry } from '../job-registry.js';

/** What a route handler gets for one request. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Aborted when the client goes away before the answer is complete, or the service closes. */
  signal: AbortSignal;
  /** The path's parameters (`:id`). */
  params: Record<string, string>;
  router: Router;
  jobs: JobRegistry;
  /** Models used when a request names none. */
  models: { generate: string; embed: string };
  /** Largest JSON body of a generate or embed request, in bytes. */
  bodyLimitBytes: number;
}
