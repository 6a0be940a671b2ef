import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineConfig, type GeminiLanesConfig } from '@gemini-lanes/core';
import { createLatencyLane, createQuotaLimiter, type LatencyLane } from '@gemini-lanes/lanes';
import { createTelemetry } from '@gemini-lanes/otel';
import { register } from '@gemini-lanes/otel/register';
import type { GenerateContentResponse } from '@google/genai';
import { parseChatRequest } from './chat-request.js';
import { type ErrorResponse, errorResponse } from './error-response.js';
import { openEventStream, type UsageSummary, writeEvent } from './event-stream.js';

/** Default port of the chat API. */
export const DEFAULT_PORT = 8080;
/** Default port of the Prometheus endpoint (the examples use 9465 to 9467; see examples/observability). */
export const DEFAULT_METRICS_PORT = 9465;
/** Largest request body accepted. */
const MAX_BODY_BYTES = 256 * 1024;

export interface ChatServiceOptions {
  /** Default: the defaults, with `service: 'chat-service'`. */
  config?: GeminiLanesConfig;
  /** Gemini API key; default `GEMINI_API_KEY`. Any non-empty string for the emulator. */
  apiKey?: string;
  /** The upstream's base URL (the emulator's `url`); default the Gemini API. */
  baseUrl?: string;
  /** Where the chat API listens; default `127.0.0.1`. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** The Prometheus endpoint (default `127.0.0.1:9465`, port 0 picks a free one); `false` serves none. */
  metrics?: { host?: string; port?: number } | false;
}

export interface ChatService {
  /** `http://host:port` of the chat API. */
  readonly url: string;
  /** The Prometheus scrape URL; undefined when not served. */
  readonly metricsUrl: string | undefined;
  /** The latency lane every chat goes through. */
  readonly lane: LatencyLane;
  /** Stops listening, ends open streams, closes the lane and the telemetry. */
  close(): Promise<void>;
}

class BodyError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, `the body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BodyError(400, 'the body is not valid JSON');
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

function sendError(res: ServerResponse, error: ErrorResponse): void {
  const headers: Record<string, string> =
    error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
  sendJson(res, error.status, { error: error.message, type: error.type }, headers);
}

function usageOf(chunk: GenerateContentResponse | undefined): UsageSummary | undefined {
  const usage = chunk?.usageMetadata;
  if (usage === undefined) return undefined;
  return {
    promptTokens: usage.promptTokenCount ?? 0,
    outputTokens: usage.candidatesTokenCount ?? 0,
    thinkingTokens: usage.thoughtsTokenCount ?? 0,
  };
}

/**
 * Streams one answer. The first chunk is awaited before anything is written, so a call the
 * lane refuses (queue wait over its limit, queue full, quota) still gets a plain 503 with
 * `Retry-After`; after it, chunks are written as they arrive, waiting for the client to drain
 * its socket rather than buffering. A client that goes away aborts the call, which frees the
 * lane's slot and is counted as `cancelled`.
 */
async function chat(
  lane: LatencyLane,
  models: readonly string[],
  req: IncomingMessage,
  res: ServerResponse,
) {
  const parsed = parseChatRequest(await readJsonBody(req), models);
  if (!parsed.ok) {
    sendJson(res, 400, { error: parsed.problem, type: 'invalid_request' });
    return;
  }
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort(new Error('the client closed the connection'));
  };
  res.on('close', onClose);
  const stream = lane.generateContentStream(
    { model: parsed.model, contents: parsed.contents },
    { signal: gone.signal },
  );
  try {
    let next: IteratorResult<GenerateContentResponse>;
    try {
      next = await stream.next();
    } catch (error) {
      if (!gone.signal.aborted) sendError(res, errorResponse(error));
      return;
    }
    openEventStream(res);
    let last: GenerateContentResponse | undefined;
    try {
      while (!next.done) {
        last = next.value;
        const text = next.value.text;
        if (text && !writeEvent(res, { event: 'chunk', data: { text } })) {
          await once(res, 'drain', { signal: gone.signal });
        }
        next = await stream.next();
      }
    } catch (error) {
      if (gone.signal.aborted) return;
      // The status line is out: the failure travels as the stream's last event.
      writeEvent(res, {
        event: 'error',
        data: { error: 'the answer was cut short', type: errorResponse(error).type },
      });
      res.end();
      return;
    }
    writeEvent(res, {
      event: 'done',
      data: {
        model: parsed.model,
        finishReason: last?.candidates?.[0]?.finishReason,
        usage: usageOf(last),
      },
    });
    res.end();
  } finally {
    res.off('close', onClose);
    // Ends the lane's stream if it is still open (the client left): the slot is released.
    await stream.return(undefined).catch(() => undefined);
  }
}

/**
 * Starts the chat service: `POST /chat` streams Gemini's answer over Server-Sent Events through
 * a latency lane (admission with a queue-wait limit, the shared quota, a deadline to the first
 * chunk); `GET /healthz`; the OpenTelemetry SDK with a Prometheus endpoint on 127.0.0.1 that
 * serves the lane's and the instrumentation's metrics.
 */
export async function startChatService(options: ChatServiceOptions = {}): Promise<ChatService> {
  const config = options.config ?? defineConfig({ service: 'chat-service' });
  const sdk = await register({
    serviceName: config.service,
    prometheus:
      options.metrics === false
        ? false
        : {
            host: options.metrics?.host ?? '127.0.0.1',
            port: options.metrics?.port ?? DEFAULT_METRICS_PORT,
          },
  });
  let lane: LatencyLane;
  try {
    const telemetry = createTelemetry(config, sdk);
    lane = createLatencyLane(config.lanes.latency, {
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      telemetry,
      quota: createQuotaLimiter(config.quota),
    });
  } catch (error) {
    await sdk.shutdown();
    throw error;
  }
  const models = config.lanes.latency.models;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz' && req.method === 'GET') {
      sendJson(res, 200, { ok: true });
      return;
    }
    if (path !== '/chat') {
      sendJson(res, 404, { error: `no route ${path}`, type: 'not_found' });
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'use POST', type: 'method_not_allowed' }, { allow: 'POST' });
      return;
    }
    chat(lane, models, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (error instanceof BodyError)
        sendJson(res, error.status, { error: error.message, type: 'invalid_request' });
      else sendJson(res, 500, { error: 'internal error', type: 'internal' });
    });
  });
  try {
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1');
    await once(server, 'listening');
  } catch (error) {
    await lane.close();
    await sdk.shutdown();
    throw error;
  }
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    metricsUrl: sdk.prometheusUrl,
    lane,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Open streams end now; their handlers see the close and abort their calls.
        server.closeAllConnections();
        await stopped;
        await lane.close();
        await sdk.shutdown();
      })();
      return closed;
    },
  };
}
