/**
 * CPU cost of `@gemini-lanes/otel`'s instrumentation per call, run with the Node 24 toolchain
 * after `pnpm build`:
 *
 *   node test/bench/otel-overhead.ts            full run (a few minutes)
 *   node test/bench/otel-overhead.ts --quick    fewer samples
 *
 * The emulator runs in a child process (support/emulator-process.ts), latency model at zero, so
 * only this process's CPU is measured: the client, the SDK, undici and the instrumentation.
 * Three clients of the real `@google/genai` SDK call it: bare; instrumented with spans and
 * metrics (an always-on sampler, a batch span processor in front of an exporter that drops what
 * it gets, a meter provider with a cumulative reader, as Prometheus reads); instrumented with
 * metrics only (the API's no-op tracer provider, so spans do not record). Unary
 * `generateContent` and a 10-chunk `generateContentStream`, each measured two ways after a
 * warm-up, CPU from `process.cpuUsage()` deltas (user + system):
 *   - single calls: groups of one call per contender in a shuffled order, each call timed on
 *     its own; medians, and the median of the per-group differences from bare;
 *   - runs: runs of consecutive calls per contender (shuffled order per round), CPU averaged
 *     over the run, so a run pays for the garbage it makes (its young-generation collections).
 * Results go to test/bench/results/otel-overhead.json and .md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoogleGenAI } from '@google/genai';
import { builtPackages, say } from './support/built-packages.ts';
import { startEmulatorProcess } from './support/emulator-process.ts';

const quick = process.argv.includes('--quick');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const TARGET_MICROS = 50;
const MODEL = 'gemini-2.5-flash';

// The packages under test, by name, as packages/otel resolves them; their built dist/ runs.
const load = builtPackages('otel');

interface OtelModule {
  createTelemetry(
    config: unknown,
    providers: { meterProvider?: unknown; tracerProvider?: unknown },
  ): unknown;
  instrumentGenAI<T extends object>(client: T, options: { lane: 'latency'; telemetry: unknown }): T;
}
interface CoreModule {
  defineConfig(input: object): unknown;
}
interface SdkMetricsModule {
  MeterProvider: new (options: { readers: unknown[] }) => { shutdown(): Promise<void> };
  MetricReader: abstract new (options?: object) => object;
}
interface SpanExporterLike {
  export(spans: unknown[], done: (result: { code: number }) => void): void;
  shutdown(): Promise<void>;
}
interface SdkTraceModule {
  TracerProvider: new (options: { spanProcessors: unknown[] }) => { shutdown(): Promise<void> };
  BatchSpanProcessor: new (options: { exporter: SpanExporterLike }) => unknown;
}

// ---------------------------------------------------------------------------------------------

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const loadAverage = () => loadavg().map((l) => round(l, 2));

type Call = (ai: GoogleGenAI) => Promise<void>;

const unary: Call = async (ai) => {
  await ai.models.generateContent({
    model: MODEL,
    contents: 'Explain latency and throughput.',
    config: { thinkingConfig: { thinkingBudget: 0 } },
  });
};

const streaming: Call = async (ai) => {
  let chunks = 0;
  for await (const _ of await ai.models.generateContentStream({
    model: MODEL,
    contents: 'Explain latency and throughput.',
    config: { thinkingConfig: { thinkingBudget: 0 } },
  })) {
    chunks++;
  }
  if (chunks !== 10) throw new Error(`expected 10 chunks, got ${chunks}`);
};

/** A seeded shuffle, so a run replays the same contender order. */
function shuffler(seed: number): <T>(items: readonly T[]) => T[] {
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
  return (items) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
    }
    return out;
  };
}

/** CPU µs (user + system) of one call. */
async function cpuOf(ai: GoogleGenAI, call: Call): Promise<number> {
  const before = process.cpuUsage();
  await call(ai);
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

interface Measurement {
  /** Median CPU µs per call of each contender. */
  medianMicrosPerCall: Record<string, number>;
  /** Median of the paired differences from the bare client (same group or round). */
  overheadMicrosPerCall: Record<string, number>;
  /** Median instrumented / median bare. */
  ratio: Record<string, number>;
}

function summarize(names: string[], samples: Record<string, number[]>): Measurement {
  const bare = samples.bare ?? [];
  const others = names.filter((n) => n !== 'bare');
  return {
    medianMicrosPerCall: Object.fromEntries(names.map((n) => [n, round(median(samples[n] ?? []))])),
    overheadMicrosPerCall: Object.fromEntries(
      others.map((n) => [n, round(median((samples[n] ?? []).map((v, i) => v - (bare[i] ?? 0))))]),
    ),
    ratio: Object.fromEntries(
      others.map((n) => [n, round(median(samples[n] ?? []) / median(bare), 3)]),
    ),
  };
}

/**
 * Single calls, one per contender per group, in an order shuffled for every group, each
 * timed on its own: every contender meets the same machine, and no contender always follows
 * the same other (whose garbage it would otherwise always be the one to collect).
 */
async function interleaved(
  call: Call,
  contenders: Record<string, GoogleGenAI>,
  groups: number,
): Promise<Measurement & { groups: number }> {
  const names = Object.keys(contenders);
  const shuffle = shuffler(1);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let g = 0; g < groups; g++) {
    for (const name of shuffle(names)) {
      samples[name]?.push(await cpuOf(contenders[name] as GoogleGenAI, call));
    }
  }
  return { groups, ...summarize(names, samples) };
}

/**
 * Runs of consecutive calls per contender, contenders in a shuffled order every round, CPU
 * averaged over the run: a run long enough to go through several young-generation
 * collections pays for the garbage it makes, so this one counts the instrumentation's
 * allocations too. (A forced full collection before each run would not help: it throws away
 * compiled code and feedback, and the run after it measures recompilation.)
 */
async function runs(
  call: Call,
  contenders: Record<string, GoogleGenAI>,
  rounds: number,
  callsPerRun: number,
): Promise<Measurement & { rounds: number; callsPerRun: number }> {
  const names = Object.keys(contenders);
  const shuffle = shuffler(2);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of shuffle(names)) {
      const ai = contenders[name] as GoogleGenAI;
      const before = process.cpuUsage();
      for (let i = 0; i < callsPerRun; i++) await call(ai);
      const used = process.cpuUsage(before);
      samples[name]?.push((used.user + used.system) / callsPerRun);
    }
  }
  return { rounds, callsPerRun, ...summarize(names, samples) };
}

interface ScenarioResult {
  scenario: string;
  interleaved: Measurement & { groups: number };
  runs: Measurement & { rounds: number; callsPerRun: number };
}

async function scenario(
  name: string,
  call: Call,
  contenders: Record<string, GoogleGenAI>,
  size: { warmUp: number; groups: number; rounds: number; callsPerRun: number },
): Promise<ScenarioResult> {
  for (let i = 0; i < size.warmUp; i++) {
    for (const ai of Object.values(contenders)) await call(ai);
  }
  const result = {
    scenario: name,
    interleaved: await interleaved(call, contenders, size.groups),
    runs: await runs(call, contenders, size.rounds, size.callsPerRun),
  };
  for (const [label, m] of [
    ['single calls', result.interleaved],
    ['runs', result.runs],
  ] as const) {
    say(
      `  ${name}, ${label}: ${Object.entries(m.medianMicrosPerCall)
        .map(([n, v]) => `${n} ${v} µs`)
        .join(', ')}; overhead ${Object.entries(m.overheadMicrosPerCall)
        .map(([n, v]) => `${n} +${v} µs (×${m.ratio[n]})`)
        .join(', ')}`,
    );
  }
  return result;
}

function markdown(results: {
  date: string;
  machine: string;
  node: string;
  scenarios: ScenarioResult[];
  loadAverage: { before: number[]; after: number[] };
}): string {
  const rows = results.scenarios.flatMap((s) =>
    Object.keys(s.interleaved.overheadMicrosPerCall).map((n) => {
      const a = s.interleaved;
      const b = s.runs;
      return `| ${s.scenario} | ${n} | ${a.medianMicrosPerCall.bare} | ${a.medianMicrosPerCall[n]} | **${a.overheadMicrosPerCall[n]}** (×${a.ratio[n]}) | ${b.medianMicrosPerCall.bare} | ${b.medianMicrosPerCall[n]} | **${b.overheadMicrosPerCall[n]}** (×${b.ratio[n]}) |`;
    }),
  );
  const first = results.scenarios[0];
  return `# Instrumentation overhead (@gemini-lanes/otel)

\`node test/bench/otel-overhead.ts${quick ? ' --quick' : ''}\` on ${results.machine} (Node ${results.node}), ${results.date}.
CPU time of this process per call (\`process.cpuUsage()\`, user + system), the emulator in its own process with
its latency model at zero; the real \`@google/genai\` client in every contender. *Single calls*: ${first?.interleaved.groups} groups of
one call per contender in a shuffled order, each call timed alone; overhead = median of the per-group differences
from bare. *Runs*: ${first?.runs.rounds} rounds of ${first?.runs.callsPerRun} (unary) consecutive calls per contender in a shuffled order, CPU averaged over
the run, so a run pays for its own garbage collection. Target: < ${TARGET_MICROS} µs per call. Load average before / after:
${results.loadAverage.before.join(' ')} / ${results.loadAverage.after.join(' ')} (a shared machine).

| scenario | instrumented with | single calls: bare µs | instrumented µs | overhead µs | runs: bare µs | instrumented µs | overhead µs |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`;
}

async function main(): Promise<void> {
  const otel = await load<OtelModule>('@gemini-lanes/otel');
  const core = await load<CoreModule>('@gemini-lanes/core');
  const sdkMetrics = await load<SdkMetricsModule>('@opentelemetry/sdk-metrics');
  const sdkTrace = await load<SdkTraceModule>('@opentelemetry/sdk-trace');
  const api = await load<{ trace: { getTracerProvider(): unknown } }>('@opentelemetry/api');

  const server = await startEmulatorProcess({
    profile: 'zero',
    quota: false,
    seed: 1,
    models: { [MODEL]: { outputTokens: { median: 160, p95: 160 }, chunkTokens: 16 } },
  });
  const before = loadAverage();
  let exported = 0;
  const dropping: SpanExporterLike = {
    export: (spans, done) => {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  class Reader extends sdkMetrics.MetricReader {
    protected async onShutdown(): Promise<void> {}
    protected async onForceFlush(): Promise<void> {}
  }
  const meterProvider = new sdkMetrics.MeterProvider({ readers: [new Reader()] });
  const tracerProvider = new sdkTrace.TracerProvider({
    spanProcessors: [new sdkTrace.BatchSpanProcessor({ exporter: dropping })],
  });
  const config = core.defineConfig({});
  const newClient = () =>
    new GoogleGenAI({
      apiKey: 'bench',
      httpOptions: { baseUrl: server.url, apiVersion: 'v1beta' },
    });
  const contenders = {
    bare: newClient(),
    'spans + metrics': otel.instrumentGenAI(newClient(), {
      lane: 'latency',
      telemetry: otel.createTelemetry(config, { meterProvider, tracerProvider }),
    }),
    // Without an SDK tracer provider (the API's no-op one), spans do not record.
    'metrics only': otel.instrumentGenAI(newClient(), {
      lane: 'latency',
      telemetry: otel.createTelemetry(config, {
        meterProvider,
        tracerProvider: api.trace.getTracerProvider(),
      }),
    }),
  };

  say(`otel overhead: emulator at ${server.url} (load ${before.join(' ')})`);
  const scenarios: ScenarioResult[] = [];
  try {
    scenarios.push(
      await scenario('unary', unary, contenders, {
        warmUp: 500,
        groups: quick ? 800 : 3000,
        rounds: quick ? 12 : 40,
        callsPerRun: 50,
      }),
    );
    scenarios.push(
      await scenario('streaming', streaming, contenders, {
        warmUp: 300,
        groups: quick ? 400 : 1500,
        rounds: quick ? 8 : 30,
        callsPerRun: 30,
      }),
    );
  } finally {
    await server.stop();
    await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);
  }
  if (exported === 0)
    throw new Error('no span reached the exporter: the instrumented client recorded nothing');
  const results = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    node: process.version,
    quick,
    targetMicrosPerCall: TARGET_MICROS,
    spansExported: exported,
    scenarios,
    loadAverage: { before, after: loadAverage() },
  };
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, 'otel-overhead.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS, 'otel-overhead.md'), markdown(results));
  say(`\nwrote ${join(RESULTS, 'otel-overhead.json')} and otel-overhead.md`);
  say(
    `summary: ${scenarios
      .map(
        (s) =>
          `${s.scenario} +${s.interleaved.overheadMicrosPerCall['spans + metrics']} µs/call with spans and metrics (+${s.runs.overheadMicrosPerCall['spans + metrics']} in runs), +${s.interleaved.overheadMicrosPerCall['metrics only']} µs metrics only (+${s.runs.overheadMicrosPerCall['metrics only']}); bare ${s.interleaved.medianMicrosPerCall.bare} µs`,
      )
      .join('; ')}; target < ${TARGET_MICROS} µs`,
  );
}

await main();
