import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineConfig, type GeminiLanesConfig } from '@gemini-lanes/core';
import { createLatencyLane, createQuotaLimiter, type LatencyLane } from '@gemini-lanes/lanes';
import { GoogleGenAI } from '@google/genai';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import {
  createGenAIInstrumentation,
  type InstrumentationStyle,
  instrumentClient,
  telemetryOnGlobalProviders,
} from './gemini-instrumentation.js';
import { type MetricReader, type SpanProcessor, startOpenTelemetry } from './opentelemetry.js';

export const SERVICE_NAME = 'support-api';
export const DEFAULT_PORT = 8081;
const MODEL = 'gemini-2.5-flash';

export interface SupportServiceOptions {
  /** How the service's own `GoogleGenAI` client is instrumented. Default `instrumentGenAI`. */
  instrumentation?: InstrumentationStyle;
  /** Gemini API key; default `GEMINI_API_KEY`. Any non-empty string for the emulator. */
  apiKey?: string;
  /** The upstream's base URL (the emulator's `url`); default the Gemini API. */
  baseUrl?: string;
  host?: string;
  /** Default 8081; 0 picks a free port. */
  port?: number;
  /** The service's exporters; default from the `OTEL_*` variables (see `startOpenTelemetry`). */
  metricReaders?: MetricReader[];
  spanProcessors?: SpanProcessor[];
  config?: GeminiLanesConfig;
}

export interface SupportService {
  readonly url: string;
  /** Stops listening, closes the lane, shuts the SDK down. */
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * A support desk API that already had OpenTelemetry (its own `NodeSDK`, exporters and resource)
 * and a `GoogleGenAI` client, and adds gemini-lanes: `POST /draft-reply` calls its own client,
 * now instrumented; `POST /ask` goes through a latency lane. Both record into the SDK the
 * service started, on one `createTelemetry`. Each request gets the service's own SERVER span,
 * and the GenAI span of its call nests under it.
 */
export async function startSupportService(
  options: SupportServiceOptions = {},
): Promise<SupportService> {
  const style = options.instrumentation ?? 'instrumentGenAI';
  const config = options.config ?? defineConfig({ service: SERVICE_NAME });
  const apiKey = options.apiKey ?? process.env.GEMINI_API_KEY;

  // 1. The existing set-up. Way 2 adds its instrumentation to the SDK's list; way 1 adds nothing.
  const genaiInstrumentation =
    style === 'GoogleGenAIInstrumentation' ? createGenAIInstrumentation() : undefined;
  const sdk: NodeSDK = startOpenTelemetry({
    serviceName: SERVICE_NAME,
    ...(options.metricReaders ? { metricReaders: options.metricReaders } : {}),
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: genaiInstrumentation ? [genaiInstrumentation] : [],
  });

  // 2. gemini-lanes: one telemetry on the SDK's providers, for the client and the lane.
  const telemetry = telemetryOnGlobalProviders(config);
  const ai = instrumentClient(
    new GoogleGenAI({
      ...(apiKey ? { apiKey } : {}),
      ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}),
    }),
    telemetry,
    style,
    genaiInstrumentation,
  );
  const lane: LatencyLane = createLatencyLane(config.lanes.latency, {
    apiKey,
    baseUrl: options.baseUrl,
    telemetry,
    quota: createQuotaLimiter(config.quota),
  });

  // 3. The service's own code: its tracer, from the same global provider.
  const tracer = trace.getTracer(SERVICE_NAME);
  const routes: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    '/draft-reply': async (body) => {
      const response = await ai.models.generateContent({
        model: MODEL,
        contents: `Draft a short, friendly reply to this customer message:\n\n${String(body.message ?? '')}`,
      });
      return { reply: response.text ?? '' };
    },
    '/ask': async (body) => {
      const response = await lane.generateContent({
        model: MODEL,
        contents: String(body.question ?? ''),
      });
      return { answer: response.text ?? '' };
    },
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes[path];
    if (route === undefined || req.method !== 'POST') {
      send(res, 404, { error: 'POST /draft-reply or POST /ask' });
      return;
    }
    void tracer.startActiveSpan(`POST ${path}`, { kind: SpanKind.SERVER }, async (span) => {
      try {
        send(res, 200, await route(await readJson(req)));
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        send(res, 502, { error: 'the call to Gemini failed' });
      } finally {
        span.end();
      }
    });
  });
  server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    await lane.close();
    genaiInstrumentation?.disable();
    await sdk.shutdown();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await lane.close();
        genaiInstrumentation?.disable();
        await sdk.shutdown();
      })();
      return closed;
    },
  };
}
