import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GoogleGenAIInstrumentation } from '@gemini-lanes/otel';
import * as genai from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { emulator } from './support/emulator.js';
import { type Harness, harness, pointsOf, sumOf } from './support/harness.js';

const run = promisify(execFile);
const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/instrumentation/${name}`, import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface AppOutput {
  text: boolean;
  className: string;
  spans: Array<{ name: string; attributes: Record<string, unknown> }>;
}

/** Runs a fixture service in its own Node process against `url`; it prints what it recorded. */
async function app(url: string, args: string[]): Promise<AppOutput> {
  const { stdout } = await run(process.execPath, args, {
    cwd: packageDir,
    env: { ...process.env, EMULATOR_URL: url, NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as AppOutput;
}

function generateSpans(output: AppOutput) {
  return output.spans.filter((s) => s.name === 'generate_content gemini-2.5-flash');
}

describe('GoogleGenAIInstrumentation in a service process (built package, real SDK)', () => {
  it('ESM: with the import-in-the-middle hook, a client created after enabling is instrumented', async () => {
    const handle = await emulator();
    const output = await app(handle.url, [
      '--import',
      fixture('register-hook.mjs'),
      fixture('esm-app.mjs'),
    ]);
    expect(output.text).toBe(true);
    expect(output.className).toBe('GoogleGenAI');
    const [span] = generateSpans(output);
    expect(span?.attributes).toMatchObject({
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.provider.name': 'gcp.gemini',
      'gemini_lanes.lane': 'latency',
    });
    expect(output.spans.map((s) => s.name)).toEqual(['generate_content gemini-2.5-flash']);
  });

  it('ESM: a static import of @google/genai evaluated before enabling is patched too', async () => {
    const handle = await emulator();
    const output = await app(handle.url, [
      '--import',
      fixture('register-hook.mjs'),
      fixture('esm-static-app.mjs'),
    ]);
    expect(generateSpans(output)).toHaveLength(1);
  });

  it('ESM: without the loader hook nothing can be patched (the reason the hook is required)', async () => {
    const handle = await emulator();
    const output = await app(handle.url, [fixture('esm-app.mjs')]);
    expect(output.text).toBe(true);
    expect(output.spans).toEqual([]);
  });

  it('CommonJS: require after enabling is instrumented; disabled, calls pass straight through', async () => {
    const handle = await emulator();
    const output = await app(handle.url, [fixture('cjs-app.cjs')]);
    expect(output.text).toBe(true);
    expect(output.className).toBe('GoogleGenAI');
    // Two calls: the second ran after disable() and left no span.
    const spans = generateSpans(output);
    expect(spans).toHaveLength(1);
    expect(spans[0]?.attributes['gemini_lanes.lane']).toBe('throughput');
  });
});

describe('GoogleGenAIInstrumentation in process', () => {
  let h: Harness;
  let instrumentation: GoogleGenAIInstrumentation | undefined;
  afterEach(async () => {
    instrumentation?.disable();
    instrumentation = undefined;
    await h.shutdown();
  });

  it('patches the module exports: new clients record through the providers it was given', async () => {
    h = harness();
    instrumentation = new GoogleGenAIInstrumentation({ lane: 'latency', enabled: false });
    instrumentation.setTracerProvider(h.tracerProvider);
    instrumentation.setMeterProvider(h.meterProvider);
    instrumentation.enable();
    const moduleExports: Record<string, unknown> = { ...genai };
    const [definition] = instrumentation.getModuleDefinitions();
    definition?.patch?.(moduleExports, '3.1.0');
    const Patched = moduleExports.GoogleGenAI as typeof genai.GoogleGenAI;
    expect(Patched).not.toBe(genai.GoogleGenAI);
    const handle = await emulator();
    const ai = new Patched({
      apiKey: 'k',
      httpOptions: { baseUrl: handle.url, apiVersion: 'v1beta' },
    });
    expect(ai).toBeInstanceOf(genai.GoogleGenAI);
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' });
    const m = await h.metrics();
    const requests = pointsOf(m, 'gemini_lanes.requests', {
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gemini_lanes.outcome': 'success',
    });
    expect(requests.map(sumOf)).toEqual([1]);
    expect(h.spans().some((s) => s.name === 'generate_content gemini-2.5-flash')).toBe(true);

    definition?.unpatch?.(moduleExports, '3.1.0');
    expect(moduleExports.GoogleGenAI).toBe(genai.GoogleGenAI);
  });

  it('instrument(client) covers a client created before enabling', async () => {
    h = harness();
    const handle = await emulator();
    const early = new genai.GoogleGenAI({
      apiKey: 'k',
      httpOptions: { baseUrl: handle.url, apiVersion: 'v1beta' },
    });
    instrumentation = new GoogleGenAIInstrumentation({ telemetry: h.telemetry });
    instrumentation.instrument(early);
    await early.models.countTokens({ model: 'gemini-2.5-flash', contents: 'abcd' });
    const span = h.spans().find((s) => s.name === 'count_tokens gemini-2.5-flash');
    expect(span).toBeDefined();
    expect(span?.attributes['gemini_lanes.lane']).toBeUndefined();
  });
});
