import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GeminiLanesConfig } from '@gemini-lanes/core';
import {
  createLatencyLane,
  createQuotaLimiter,
  createRouter,
  createThroughputLane,
  type LatencyLane,
  type QuotaLimiter,
  type Router,
  type ThroughputLane,
} from '@gemini-lanes/lanes';
import type { Telemetry } from '@gemini-lanes/otel';
import { errorResponse } from './http/error-response.js';
import { badRequest, HttpError, notFound } from './http/http-error.js';
import { sendError, sendJson } from './http/responses.js';
import { JobRegistry } from './job-registry.js';
import { chat } from './routes/chat.js';
import { embed } from './routes/embed.js';
import { generate } from './routes/generate.js';
import { cancelJob, getJob, jobResults, listJobs, startJob } from './routes/jobs.js';
import type { RouteContext } from './routes/route-context.js';

export interface MixedServiceOptions {
  /** The configuration the lanes run with (`defineConfig(...)`). */
  config: GeminiLanesConfig;
  /** The process's telemetry: `createTelemetry(config, register()'s providers)`. */
  telemetry: Telemetry;
  /** Gemini API key; default `GEMINI_API_KEY`. Never logged. */
  apiKey?: string | undefined;
  /** Upstream base URL for both lanes (the emulator); default the configuration's endpoints, else Google. */
  baseUrl?: string | undefined;
  /** The shared quota limiter; default one from `config.quota`, closed with the service. */
  quota?: QuotaLimiter | undefined;
  /** Address to listen on, e.g. `127.0.0.1`. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Job files named by path (`POST /jobs { input }`) must be inside this directory. Default: the working directory. */
  filesRoot?: string | undefined;
  /** Where inline jobs (`POST /jobs { requests }`) are written. Default: a temporary directory removed at close. */
  jobsDir?: string | undefined;
  /** Model of `/embed` requests that name none. Default `gemini-embedding-001`. */
  embeddingModel?: string | undefined;
  /** Largest body of a chat, generate or embed request, in bytes. Default 1 MiB. */
  bodyLimitBytes?: number | undefined;
  /** How long `close()` lets requests under way finish before aborting them, in ms. Default 2000. */
  closeGraceMs?: number | undefined;
  /** Where unexpected errors are reported. Default: a line on stderr. */
  log?: ((message: string, error?: unknown) => void) | undefined;
}

/** A running service. */
export interface MixedService {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly router: Router;
  readonly latency: LatencyLane;
  readonly throughput: ThroughputLane;
  readonly quota: QuotaLimiter;
  readonly jobs: JobRegistry;
  /**
   * Stops listening, lets requests under way finish (up to `closeGraceMs`, then aborts them),
   * cancels running jobs (their checkpoints stay), closes the lanes and the quota limiter it made.
   */
  close(): Promise<void>;
}

type Handler = (ctx: RouteContext) => Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

function route(method: string, path: string, handler: Handler): Route {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:([a-z]+)/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  return { method, pattern, names, handler };
}

const ROUTES: readonly Route[] = [
  route('POST', '/chat', chat),
  route('POST', '/generate', generate),
  route('POST', '/embed', embed),
  route('POST', '/jobs', startJob),
  route('GET', '/jobs', listJobs),
  route('GET', '/jobs/:id', getJob),
  route('DELETE', '/jobs/:id', cancelJob),
  route('GET', '/jobs/:id/results', jobResults),
  route('GET', '/healthz', async (ctx) => sendJson(ctx.res, 200, { status: 'ok' })),
];

function defaultLog(message: string, error?: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : error;
  process.stderr.write(`mixed-service: ${message}${detail === undefined ? '' : `\n${detail}`}\n`);
}

/**
 * Starts the example service: one shared quota limiter, a latency lane and a throughput lane on
 * it, a router in front, and an HTTP server (node:http) with `POST /chat` (SSE), `POST
 * /generate`, `POST /embed`, `POST /jobs`, `GET /jobs/:id`, `DELETE /jobs/:id` and `GET
 * /healthz`. A client that goes away cancels its lane call. Resolves once it listens.
 */
export async function startMixedService(options: MixedServiceOptions): Promise<MixedService> {
  const { config, telemetry } = options;
  const ownQuota = options.quota === undefined;
  const quota = options.quota ?? createQuotaLimiter(config.quota);
  const laneOptions = {
    telemetry,
    quota,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
  };
  const latency = createLatencyLane(config.lanes.latency, laneOptions);
  let throughput: ThroughputLane;
  try {
    throughput = createThroughputLane(config.lanes.throughput, laneOptions);
  } catch (error) {
    await latency.close();
    throw error;
  }
  const router = createRouter({ latency, throughput, telemetry });
  const jobs = new JobRegistry({
    lane: throughput,
    filesRoot: options.filesRoot ?? process.cwd(),
    jobsDir: options.jobsDir,
  });
  const log = options.log ?? defaultLog;
  const models = {
    generate: config.lanes.latency.models[0] ?? 'gemini-2.5-flash',
    embed: options.embeddingModel ?? 'gemini-embedding-001',
  };
  const bodyLimitBytes = options.bodyLimitBytes ?? 1024 * 1024;
  /** Requests under way, each with the controller that cancels its lane call. */
  const active = new Map<ServerResponse, AbortController>();
  let closing = false;
  let whenIdle: (() => void) | undefined;

  const server = createServer((req, res) => {
    void serve(req, res);
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    active.set(res, controller);
    // The client went away before the answer was complete: cancel whatever it was waiting for.
    res.once('close', () => {
      active.delete(res);
      if (!res.writableFinished) controller.abort(new Error('the client closed the connection'));
      if (active.size === 0) whenIdle?.();
    });
    try {
      if (closing) throw new HttpError(503, 'shutting_down', 'the service is shutting down');
      const url = new URL(req.url ?? '/', 'http://service.invalid');
      const match = matchRoute(req.method ?? 'GET', url.pathname);
      await match.route.handler({
        req,
        res,
        url,
        signal: controller.signal,
        params: match.params,
        router,
        jobs,
        models,
        bodyLimitBytes,
      });
    } catch (error) {
      // The client has gone: nobody to answer (the shutdown's own abort still gets its 503).
      if (controller.signal.aborted && !(controller.signal.reason instanceof HttpError)) return;
      const answer = errorResponse(error);
      if (answer.code === 'internal') log(`${req.method} ${req.url} failed`, error);
      if (res.headersSent) res.end();
      else sendError(res, answer);
    }
  }

  function matchRoute(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } {
    let pathMatched = false;
    for (const r of ROUTES) {
      const m = r.pattern.exec(path);
      if (m === null) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      for (const [i, name] of r.names.entries()) {
        try {
          params[name] = decodeURIComponent(m[i + 1] ?? '');
        } catch {
          throw badRequest(`malformed path ${path}`);
        }
      }
      return { route: r, params };
    }
    if (pathMatched)
      throw new HttpError(405, 'method_not_allowed', `${method} ${path} is not served`);
    throw notFound(`no route ${method} ${path}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          whenIdle = resolve;
          timer = setTimeout(resolve, options.closeGraceMs ?? 2000);
        });
        clearTimeout(timer);
      }
      for (const controller of active.values()) {
        controller.abort(new HttpError(503, 'shutting_down', 'the service is shutting down'));
      }
      await jobs.close();
      server.closeAllConnections();
      await stopped;
      await Promise.all([latency.close(), throughput.close()]);
      if (ownQuota) await quota.close();
    })();
    return closed;
  };

  return {
    url: `http://${host}:${address.port}`,
    router,
    latency,
    throughput,
    quota,
    jobs,
    close,
  };
}
