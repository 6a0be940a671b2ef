import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { defineConfig, METRICS, type MetricKey, prometheusSeries } from '@gemini-lanes/core';
import { createTelemetry, GoogleGenAIInstrumentation, instrumentGenAI } from '@gemini-lanes/otel';
import { type RegisteredTelemetry, register } from '@gemini-lanes/otel/register';
import { GoogleGenAI } from '@google/genai';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { client, emulator, failure, waitFor } from './support/emulator.js';
import { captureDiag } from './support/harness.js';

let sdk: RegisteredTelemetry | undefined;
let receiver: Server | undefined;
const savedEnv = { ...process.env };
afterEach(async () => {
  await sdk?.shutdown();
  sdk = undefined;
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  receiver = undefined;
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

interface OtlpRequest {
  path: string;
  body: Record<string, unknown>;
}

/** A local OTLP/HTTP receiver (JSON, gzip or not) on a free port of 127.0.0.1. */
async function otlpReceiver(): Promise<{ url: string; received: OtlpRequest[] }> {
  const received: OtlpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      expect(req.headers['content-type']).toBe('application/json');
      received.push({ path: req.url ?? '', body: JSON.parse(raw.toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver = server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; arrayValue?: unknown };
interface OtlpSpan {
  name: string;
  attributes: Array<{ key: string; value: OtlpValue }>;
}

function otlpSpans(received: OtlpRequest[]) {
  const out: Array<{
    span: OtlpSpan;
    scope: { name: string };
    schemaUrl: string;
    resource: Record<string, unknown>;
  }> = [];
  for (const request of received.filter((r) => r.path === '/v1/traces')) {
    const resourceSpans = request.body.resourceSpans as Array<{
      resource: { attributes: Array<{ key: string; value: OtlpValue }> };
      scopeSpans: Array<{ scope: { name: string }; schemaUrl: string; spans: OtlpSpan[] }>;
    }>;
    for (const rs of resourceSpans) {
      const resource = Object.fromEntries(
        rs.resource.attributes.map((a) => [a.key, a.value.stringValue]),
      );
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans)
          out.push({ span, scope: ss.scope, schemaUrl: ss.schemaUrl, resource });
      }
    }
  }
  return out;
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe('register()', () => {
  it('serves every catalog series through the real Prometheus exporter, on 127.0.0.1 by default', async () => {
    sdk = await register({ serviceName: 'chat-api', prometheus: { port: 0 } });
    expect(sdk.prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const config = defineConfig({});
    const telemetry = createTelemetry(config, sdk);
    const ai = instrumentGenAI(client(await emulator()), { lane: 'latency', telemetry });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    for await (const _ of await ai.models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'y',
    })) {
      // drain
    }
    // What the lanes record: one value on every other instrument, through the same object.
    const keys = Object.keys(METRICS) as MetricKey[];
    for (const key of keys) {
      const instrument = telemetry.instruments[key] as unknown as {
        add?: (v: number, a: object) => void;
        record?: (v: number, a: object) => void;
      };
      if (instrument.add) instrument.add(1, { 'gemini_lanes.lane': 'throughput' });
      else instrument.record?.(1, { 'gemini_lanes.lane': 'throughput' });
    }

    const response = await fetch(sdk.prometheusUrl ?? '');
    expect(response.status).toBe(200);
    const text = await response.text();
    const sampleNames = new Set(
      text
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.split(/[{ ]/)[0]),
    );
    for (const key of keys) {
      const series = prometheusSeries(METRICS[key], config.prometheus.naming);
      expect(text, series.name).toContain(`# TYPE ${series.name} ${series.type}`);
      for (const name of series.series) expect(sampleNames.has(name), name).toBe(true);
    }
    // The SLA threshold is an exact bucket, and the pre-initialised counters read 0.
    expect(text).toMatch(
      /gen_ai_client_operation_time_to_first_chunk_bucket\{[^}]*le="0\.5"[^}]*\} 1/,
    );
    expect(text).toMatch(
      /gemini_lanes_requests_total\{[^}]*gemini_lanes_lane="latency"[^}]*gemini_lanes_outcome="rejected"[^}]*\} 0/,
    );
    expect(text).toMatch(/target_info\{[^}]*service_name="chat-api"/);
    expect((await fetch(`${sdk.prometheusUrl}x`)).status).toBe(404);
  });

  it('exports spans over OTLP/HTTP (JSON) to the URL given, with the catalog schema URL', async () => {
    const { url, received } = await otlpReceiver();
    sdk = await register({ prometheus: false, otlp: { traces: { url: `${url}/v1/traces` } } });
    const telemetry = createTelemetry(defineConfig({}), sdk);
    const ai = instrumentGenAI(client(await emulator()), { lane: 'throughput', telemetry });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    await failure(() =>
      ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'x',
        config: { httpOptions: { headers: { 'x-emulator-fault': '503' } } },
      }),
    );
    await sdk.forceFlush();
    const spans = await waitFor(() => {
      const found = otlpSpans(received).filter(
        (s) => s.span.name === 'generate_content gemini-2.5-flash',
      );
      return found.length === 2 ? found : undefined;
    });
    const [ok, failed] = spans.map((s) => s.span);
    if (ok === undefined || failed === undefined) throw new Error('two spans expected');
    expect(spans[0]?.scope.name).toBe('@gemini-lanes/otel');
    expect(spans[0]?.schemaUrl).toBe('https://opentelemetry.io/schemas/1.41.0');
    expect(attribute(ok, 'gen_ai.provider.name')).toBe('gcp.gemini');
    expect(attribute(ok, 'gemini_lanes.lane')).toBe('throughput');
    expect(attribute(ok, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
    expect(attribute(failed, 'error.type')).toBe('UNAVAILABLE');
  });

  it('follows OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, and exports metrics when asked', async () => {
    const { url, received } = await otlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = url;
    process.env.OTEL_SERVICE_NAME = 'batch-worker';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=staging,team=ml';
    sdk = await register({ prometheus: false, otlp: { metrics: true } });
    const telemetry = createTelemetry(defineConfig({}), sdk);
    const ai = instrumentGenAI(client(await emulator()), { lane: 'throughput', telemetry });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    await sdk.shutdown();
    const spans = otlpSpans(received);
    const span = spans.find((s) => s.span.name === 'generate_content gemini-2.5-flash');
    expect(span?.resource).toMatchObject({
      'service.name': 'batch-worker',
      'deployment.environment.name': 'staging',
      team: 'ml',
    });
    const metrics = received.filter((r) => r.path === '/v1/metrics');
    expect(metrics.length).toBeGreaterThan(0);
    const names = JSON.stringify(metrics.map((m) => m.body));
    expect(names).toContain('"name":"gen_ai.client.operation.duration"');
    expect(names).toContain('"name":"gemini_lanes.tokens"');
  });

  it('exports no spans over OTLP unless asked', async () => {
    const { received } = await otlpReceiver();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    delete process.env.OTEL_TRACES_EXPORTER;
    const memory = new InMemorySpanExporter();
    sdk = await register({
      prometheus: false,
      spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    });
    const telemetry = createTelemetry(defineConfig({}), sdk);
    const ai = instrumentGenAI(client(await emulator()), { lane: 'latency', telemetry });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    await sdk.forceFlush();
    expect(memory.getFinishedSpans().length).toBeGreaterThan(0);
    await sdk.shutdown();
    expect(received).toEqual([]);
  });

  it('coexists with an SDK already started: its global providers stay', async () => {
    const diagCapture = captureDiag();
    try {
      const theirs = new TracerProvider();
      expect(trace.setGlobalTracerProvider(theirs)).toBe(true);
      sdk = await register({ prometheus: false });
      expect(sdk.registeredGlobally).toEqual({ tracerProvider: false, meterProvider: true });
      const global = trace.getTracerProvider() as ProxyTracerProvider;
      expect(global).toBeInstanceOf(ProxyTracerProvider);
      expect(global.getDelegate()).toBe(theirs);
      await sdk.shutdown();
      sdk = undefined;
      expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(theirs);
      expect(diagCapture.seen.filter((s) => s.level === 'error')).toEqual([]);
    } finally {
      trace.disable();
      diagCapture.restore();
    }
  });

  it('registers instrumentations with its providers: their clients show up on the Prometheus endpoint', async () => {
    const instrumentation = new GoogleGenAIInstrumentation({ lane: 'throughput' });
    sdk = await register({ prometheus: { port: 0 }, instrumentations: [instrumentation] });
    const handle = await emulator();
    const ai = instrumentation.instrument(
      new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: handle.url, apiVersion: 'v1beta' } }),
    );
    await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'abcd' });
    const text = await (await fetch(sdk.prometheusUrl ?? '')).text();
    expect(text).toMatch(
      /gen_ai_client_operation_duration_count\{[^}]*gen_ai_operation_name="count_tokens"[^}]*gemini_lanes_lane="throughput"[^}]*\} 1/,
    );
    instrumentation.disable();
  });

  it('starts nothing with OTEL_SDK_DISABLED=true', async () => {
    process.env.OTEL_SDK_DISABLED = 'true';
    sdk = await register({ prometheus: { port: 0 } });
    expect(sdk.prometheusUrl).toBeUndefined();
    expect(sdk.registeredGlobally).toEqual({ tracerProvider: false, meterProvider: false });
  });
});
