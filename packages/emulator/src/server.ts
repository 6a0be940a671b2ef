/**
 * The emulator's HTTP server: accepts connections (after the network model's set-up delay),
 * serves the API routes, the Files and Batch APIs and its own control, stats and metrics
 * routes, and closes cleanly. Every call gets its own random stream, forked in arrival order
 * from the seed, so a seed replays a run.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { ApiCall } from './api-call.js';
import { authenticate } from './api-key.js';
import { BatchStore } from './batches.js';
import { ScaledClock } from './clock.js';
import type { EmulatorContext, ModelRuntime } from './context.js';
import { type ControlPatch, type ControlState, RuntimeControl } from './control.js';
import { HttpError, internalError, methodNotFound, unavailable } from './errors.js';
import { FAULT_HEADER, faultFromHeader, rollFault } from './faults.js';
import { FileStore } from './files.js';
import { GenerationSlots } from './generation-slots.js';
import { LatencyModel } from './latency-model.js';
import { EmulatorMetrics, type EmulatorStats, emptyTokens, type ModelStats } from './metrics.js';
import { type EmulatorOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { QuotaTracker } from './quota.js';
import { Random } from './random.js';
import { parseJsonBody, readBody } from './request-body.js';
import { MODEL_CALLS, matchRoute } from './router.js';
import { cancelBatch, createBatch, deleteBatch, getBatch, listBatches } from './routes/batches.js';
import { handleCountTokens } from './routes/count-tokens.js';
import { handleEmbed } from './routes/embed.js';
import { handleEmulatorRoute } from './routes/emulator.js';
import { deleteFile, downloadFile, getFile, handleUpload, listFiles } from './routes/files.js';
import { answerOffline, handleGenerate } from './routes/generate.js';
import { getModel, listModels } from './routes/models.js';
import { generateCertificate } from './tls-certificate.js';

/** A running emulator. */
export interface EmulatorHandle {
  /** Base URL for `httpOptions.baseUrl`, e.g. `http://127.0.0.1:8089` (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** With `network.tls`: the self-signed certificate (PEM) clients must trust. */
  readonly certificate: string | undefined;
  /** The options it runs with, defaults applied. */
  readonly options: ResolvedOptions;
  /** Counters and gauges now. */
  stats(): EmulatorStats;
  /** Switches latency regression, faults or quota while it runs; returns the new state. */
  control(patch: ControlPatch): ControlState;
  /** Stops listening, drops every connection (in-flight calls end) and resolves when closed. */
  close(): Promise<void>;
}

/** Shared by every request without a query string; never written to. */
const NO_QUERY = new URLSearchParams();

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function buildContext(options: ResolvedOptions, baseUrl: () => string) {
  const clock = new ScaledClock(options.speed);
  const seed = new Random(options.seed);
  // Separate streams, so creating a file or a batch never shifts the draws of model calls.
  const requestRandom = seed.fork();
  const fileRandom = seed.fork();
  const batchRandom = seed.fork();
  const quota = new QuotaTracker();
  const control = new RuntimeControl(options, quota);
  const metrics = new EmulatorMetrics(Object.keys(options.models));
  const models = new Map<string, ModelRuntime>();
  for (const [name, profile] of Object.entries(options.models)) {
    models.set(name, {
      name,
      profile,
      latency: new LatencyModel(profile),
      slots: new GenerationSlots(profile.slots, profile.maxQueue),
      inFlight: 0,
    });
  }
  const files = new FileStore(clock, fileRandom, options.uploadLimitBytes);
  const batches = new BatchStore(
    clock,
    batchRandom,
    files,
    options.batch,
    (model, request, random) => answerOffline(ctx, model, request, random),
  );
  const ctx: EmulatorContext = {
    options,
    clock,
    control,
    quota,
    metrics,
    models,
    files,
    batches,
    baseUrl,
  };
  return { ctx, requestRandom };
}

function collectStats(ctx: EmulatorContext): EmulatorStats {
  const { metrics } = ctx;
  const now = ctx.clock.now();
  const requestsByRoute: Record<string, number> = {};
  const responsesByStatus: Record<string, number> = {};
  const requestsByModel = new Map<string, number>();
  let requests = 0;
  for (const [key, count] of metrics.requests) {
    const [route = '', model = '', status = ''] = key.split('\u0000');
    requests += count;
    requestsByRoute[route] = (requestsByRoute[route] ?? 0) + count;
    responsesByStatus[status] = (responsesByStatus[status] ?? 0) + count;
    requestsByModel.set(model, (requestsByModel.get(model) ?? 0) + count);
  }
  const tokens = emptyTokens();
  const models: Record<string, ModelStats> = {};
  let queueDepth = 0;
  let slotsInUse = 0;
  let inFlight = 0;
  for (const runtime of ctx.models.values()) {
    const modelTokens = { ...(metrics.tokensByModel.get(runtime.name) ?? emptyTokens()) };
    for (const kind of Object.keys(tokens) as Array<keyof typeof tokens>)
      tokens[kind] += modelTokens[kind];
    queueDepth += runtime.slots.queueDepth;
    slotsInUse += runtime.slots.inUse;
    inFlight += runtime.inFlight;
    models[runtime.name] = {
      requests: requestsByModel.get(runtime.name) ?? 0,
      inFlight: runtime.inFlight,
      queueDepth: runtime.slots.queueDepth,
      slotsInUse: runtime.slots.inUse,
      tokens: modelTokens,
      quota: ctx.quota.usage(runtime.name, now),
    };
  }
  return {
    requests,
    requestsByRoute,
    responsesByStatus,
    connectionsAccepted: metrics.connectionsAccepted,
    openConnections: metrics.openConnections,
    inFlight,
    batchesCreated: metrics.batchesCreated,
    batchesByState: ctx.batches.countByState(),
    files: ctx.files.size,
    queueDepth,
    slotsInUse,
    rateLimited: metrics.rateLimited,
    rateLimitedByLimit: { ...metrics.rateLimitedByLimit },
    tokens,
    tokensGenerated: tokens.output + tokens.thoughts,
    faultsInjected: { ...metrics.faults },
    internalErrors: metrics.internalErrors,
    models,
  };
}

async function dispatch(ctx: EmulatorContext, call: ApiCall, body: Buffer): Promise<void> {
  switch (call.match.route) {
    case 'generateContent':
      return handleGenerate(ctx, call, parseJsonBody(body), false);
    case 'streamGenerateContent':
      return handleGenerate(ctx, call, parseJsonBody(body), true);
    case 'countTokens':
      return handleCountTokens(ctx, call, parseJsonBody(body));
    case 'batchEmbedContents':
      return handleEmbed(ctx, call, parseJsonBody(body), false);
    case 'embedContent':
      return handleEmbed(ctx, call, parseJsonBody(body), true);
    case 'batchGenerateContent':
      return createBatch(ctx, call, parseJsonBody(body));
    case 'models.get':
      return getModel(ctx, call);
    case 'models.list':
      return listModels(ctx, call);
    case 'batches.get':
      return getBatch(ctx, call);
    case 'batches.list':
      return listBatches(ctx, call);
    case 'batches.cancel':
      return cancelBatch(ctx, call);
    case 'batches.delete':
      return deleteBatch(ctx, call);
    case 'files.upload':
      return handleUpload(ctx, call, body);
    case 'files.get':
      return getFile(ctx, call);
    case 'files.list':
      return listFiles(ctx, call);
    case 'files.delete':
      return deleteFile(ctx, call);
    case 'files.download':
      return downloadFile(ctx, call);
  }
}

async function serveApi(ctx: EmulatorContext, call: ApiCall): Promise<void> {
  const { options, clock } = ctx;
  if (options.network.rttMs > 0 && !(await clock.sleep(options.network.rttMs, call.signal))) return;
  authenticate(call, options.apiKeys);
  const control = ctx.control.current;
  const fault =
    faultFromHeader(call.req.headers[FAULT_HEADER]) ??
    (MODEL_CALLS.has(call.match.route) ? rollFault(control.faults.rates, call.random) : undefined);
  if (fault !== undefined) {
    call.fault = fault;
    ctx.metrics.faults[fault]++;
  }
  const method = call.req.method;
  const uploadStep = call.match.route === 'files.upload' && call.query.has('upload_id');
  const body =
    method === 'GET' || method === 'DELETE' || method === 'HEAD'
      ? Buffer.alloc(0)
      : await readBody(call.req, uploadStep ? options.uploadLimitBytes : options.bodyLimitBytes);

  if (
    fault === 'slow-first-byte' &&
    !(await clock.sleep(control.faults.slowFirstByteMs, call.signal))
  )
    return;
  if (fault === '500') throw internalError();
  if (fault === '503') throw unavailable();
  if (call.match.route !== 'streamGenerateContent') {
    if (fault === 'reset') return call.reset();
    if (fault === 'stall') return call.stalled();
  }
  await dispatch(ctx, call, body);
}

/**
 * Starts an emulator of the Gemini API that the unmodified `@google/genai` client talks to via
 * `httpOptions.baseUrl`. Rejects with `EmulatorOptionsError` naming the field for bad options.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const resolved = resolveOptions(options);
  let baseUrl = '';
  const { ctx, requestRandom } = buildContext(resolved, () => baseUrl);
  const stats = () => collectStats(ctx);
  const certificate = resolved.network.tls ? await generateCertificate(resolved.host) : undefined;

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handleRequest(req, res).catch((error: unknown) => {
      // Only a bug gets here; record it and make sure the client is not left hanging.
      ctx.metrics.internalErrors++;
      process.emitWarning(
        `gemini-lanes emulator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!res.headersSent) res.destroy();
    });
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    if (await handleEmulatorRoute(ctx, stats, req, res, path)) return;
    const query = q < 0 ? NO_QUERY : new URLSearchParams(target.slice(q + 1));
    const match = matchRoute(req.method ?? 'GET', path);
    if (match === undefined) {
      ctx.metrics.countRequest('unknown', '', 404);
      const error = methodNotFound();
      const text = JSON.stringify(error.body);
      res.writeHead(404, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const call = new ApiCall(req, res, match, query, requestRandom.fork());
    call.onClose = () =>
      ctx.metrics.countRequest(match.route, call.model, res.headersSent ? res.statusCode : 0);
    try {
      await serveApi(ctx, call);
    } catch (error) {
      if (error instanceof HttpError) {
        call.error(error);
        return;
      }
      if (call.closed) return; // the client went away mid-request; nobody to answer
      throw error;
    }
  };

  const server: Server = certificate
    ? createHttpsServer({ key: certificate.key, cert: certificate.cert }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = resolved.keepAliveTimeoutMs;
  server.headersTimeout = resolved.keepAliveTimeoutMs + 1000;
  server.requestTimeout = 0;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (socket.writable && error.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else {
      socket.destroy();
    }
  });

  const sockets = new Set<Socket>();
  const pendingConnects = new Set<NodeJS.Timeout>();
  const connectDelayMs = ctx.clock.toRealMs(resolved.network.connectDelayMs);
  // A plain TCP listener in front hands sockets to the HTTP(S) server, after the connection
  // set-up delay when the network model has one.
  const front = createNetServer({ noDelay: true }, (socket) => {
    ctx.metrics.connectionsAccepted++;
    ctx.metrics.openConnections++;
    sockets.add(socket);
    socket.on('error', () => {
      // Resets by clients are normal traffic; the close handler does the bookkeeping.
    });
    socket.once('close', () => {
      sockets.delete(socket);
      ctx.metrics.openConnections--;
    });
    if (connectDelayMs < 1) {
      server.emit('connection', socket);
      return;
    }
    const timer = setTimeout(() => {
      pendingConnects.delete(timer);
      if (!socket.destroyed) server.emit('connection', socket);
    }, connectDelayMs);
    pendingConnects.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(resolved.port, resolved.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const address = front.address();
  const port = typeof address === 'object' && address !== null ? address.port : resolved.port;
  baseUrl = `${certificate ? 'https' : 'http'}://${urlHost(resolved.host)}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    host: resolved.host,
    port,
    certificate: certificate?.cert,
    options: resolved,
    stats,
    control: (patch) => ctx.control.apply(patch),
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of pendingConnects) clearTimeout(timer);
        pendingConnects.clear();
        front.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
