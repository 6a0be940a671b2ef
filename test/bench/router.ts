/**
 * Cost of the router's classification (issue 12), run with the Node 24 toolchain after
 * `pnpm build`:
 *
 *   node test/bench/router.ts            full run (a few seconds)
 *   node test/bench/router.ts --quick    fewer rounds
 *
 * No network and no emulator: the lanes are in-process fakes that answer at once, so only the
 * router's own code is measured. Two scenarios, contenders side by side in one process run,
 * alternating in a shuffled order every round, after a warm-up:
 *   1. `router.decide()` on each rule path (explicit lane, classifier, caller hint, stream,
 *      size, default, and a classifier that returns undefined so the default rule decides), and
 *      all of them in turn (so no branch sees one input only), against a baseline: the same loop
 *      calling an empty function of the same shape (with the same input loads for the mix). A round
 *      times a batch of consecutive calls per contender (`process.hrtime.bigint()`); ns per call
 *      is the batch time over its length; medians over the rounds, and the median of the
 *      per-round differences from the baseline;
 *   2. a whole routed call: `router.generateContent()` against the same fake lane called
 *      directly, with the AsyncLocalStorage context manager installed (as `register()` does),
 *      without telemetry and with it (the decision counted in `gemini_lanes.router.decisions` on
 *      an SDK meter provider with a cumulative reader): decision, metric, `context.with`, the
 *      option hand-off, and the extra promise of an async method.
 * Results go to test/bench/results/router.json and .md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const quick = process.argv.includes('--quick');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const TARGET_NS = 1000;
const WARM_UP_BATCHES = 20;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// The packages under test, by name. `@gemini-lanes/lanes` and the OpenTelemetry SDK are
// dependencies of packages/lanes and packages/otel, not of this test package, so they are
// resolved from there; their built `dist/` is what runs.

const fromLanes = createRequire(new URL('../../packages/lanes/package.json', import.meta.url));
const fromOtel = createRequire(new URL('../../packages/otel/package.json', import.meta.url));
async function load<T>(from: NodeJS.Require, name: string): Promise<T> {
  return (await import(pathToFileURL(from.resolve(name)).href)) as T;
}

type Lane = 'latency' | 'throughput';
interface Params {
  model: string;
  contents: string;
  config?: { maxOutputTokens?: number };
}
interface RouteInput {
  stream: boolean;
  lane?: Lane;
  hint?: 'interactive' | 'batch';
}
interface Decision {
  lane: Lane;
  reason: string;
}
interface RouterLike {
  decide(params: Params, input: RouteInput): Decision;
  generateContent(params: Params, options?: object): Promise<unknown>;
}
interface FakeLane {
  generateContent(params: Params, options?: object): Promise<unknown>;
  generateContentStream(params: Params, options?: object): AsyncIterable<unknown>;
  countTokens(params: Params, options?: object): Promise<unknown>;
  embedContent(params: Params, options?: object): Promise<unknown>;
}
interface LanesModule {
  createRouter(options: {
    latency: FakeLane;
    throughput: FakeLane;
    classify?: (request: { params: Params; stream: boolean; hint?: string }) => Lane | undefined;
    telemetry?: unknown;
  }): RouterLike;
}
interface OtelModule {
  createTelemetry(config: unknown, providers: { meterProvider?: unknown }): unknown;
}
interface CoreModule {
  defineConfig(input: object): unknown;
}
interface SdkMetricsModule {
  MeterProvider: new (options: { readers: unknown[] }) => { shutdown(): Promise<void> };
  MetricReader: abstract new (options?: object) => { collect(): Promise<Collected> };
}
interface Collected {
  resourceMetrics: {
    scopeMetrics: Array<{
      metrics: Array<{ descriptor: { name: string }; dataPoints: Array<{ value: unknown }> }>;
    }>;
  };
}
interface ContextModule {
  AsyncLocalStorageContextManager: new () => { enable(): unknown };
}
interface ApiModule {
  context: { setGlobalContextManager(manager: unknown): boolean; disable(): void };
}

// ---------------------------------------------------------------------------------------------
// Helpers

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const loadAverage = () => loadavg().map((l) => round(l, 2));

/** A seeded shuffle, so a run replays the same contender order. */
function shuffler(seed: number): <T>(items: readonly T[]) => T[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 0x1_0000_0000;
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

interface Summary {
  /** Median ns per call over the rounds. */
  medianNs: number;
  p10Ns: number;
  p90Ns: number;
  /** Median of the per-round differences from the reference contender. */
  overNs: number;
  /** The contender compared with, when not the scenario's reference. */
  against?: string;
}

interface ScenarioResult {
  rounds: number;
  callsPerBatch: number;
  reference: string;
  contenders: Record<string, Summary>;
}

/** Medians per contender, each compared with `reference` unless `compareWith` names another. */
function summarize(
  samples: Record<string, number[]>,
  reference: string,
  compareWith: Record<string, string> = {},
): Record<string, Summary> {
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => {
      const against = compareWith[name] ?? reference;
      const base = samples[against] ?? [];
      const summary: Summary = {
        medianNs: round(median(values)),
        p10Ns: round(quantile(values, 0.1)),
        p90Ns: round(quantile(values, 0.9)),
        overNs: round(median(values.map((v, i) => v - (base[i] ?? 0)))),
      };
      if (against !== reference) summary.against = against;
      return [name, summary];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// 1. decide() on each rule path

const SMALL: Params = {
  model: 'gemini-2.5-flash',
  contents: 'hi',
  config: { maxOutputTokens: 64 },
};
const LARGE: Params = {
  model: 'gemini-2.5-flash',
  contents: 'write a report',
  config: { maxOutputTokens: 8192 },
};
const BULK: Params = { model: 'bulk-model', contents: 'x', config: { maxOutputTokens: 64 } };

/** The expected decision of each path, checked once before timing. */
const EXPECTED: Record<string, Decision | undefined> = {
  'baseline (empty function)': undefined,
  explicit: { lane: 'throughput', reason: 'explicit' },
  classifier: { lane: 'throughput', reason: 'classifier' },
  'hint (explicit)': { lane: 'throughput', reason: 'explicit' },
  stream: { lane: 'latency', reason: 'stream' },
  size: { lane: 'throughput', reason: 'size' },
  default: { lane: 'latency', reason: 'default' },
  'classifier → default': { lane: 'latency', reason: 'default' },
  'baseline, mixed inputs': undefined,
  'all paths in turn': { lane: 'throughput', reason: 'explicit' },
};

async function decideScenario(lanes: LanesModule, fake: FakeLane): Promise<ScenarioResult> {
  const plain = lanes.createRouter({ latency: fake, throughput: fake });
  // A classifier of the usual kind: one look at the request, a lane for some, undefined for the rest.
  const classified = lanes.createRouter({
    latency: fake,
    throughput: fake,
    classify: (request) => (request.params.model === 'bulk-model' ? 'throughput' : undefined),
  });
  const empty = (_params: Params, _input: RouteInput): Decision | undefined => undefined;
  const UNARY: RouteInput = { stream: false };
  const STREAM: RouteInput = { stream: true };
  const EXPLICIT: RouteInput = { stream: false, lane: 'throughput' };
  const HINT: RouteInput = { stream: false, hint: 'batch' };

  // Every path in turn, so neither the branch predictor nor the compiler sees one input only.
  const MIXED: Array<[RouterLike, Params, RouteInput]> = [
    [plain, SMALL, EXPLICIT],
    [classified, BULK, UNARY],
    [plain, SMALL, HINT],
    [plain, LARGE, STREAM],
    [plain, LARGE, UNARY],
    [plain, SMALL, UNARY],
    [classified, SMALL, UNARY],
    [classified, LARGE, STREAM],
  ];
  const MIXED_MASK = MIXED.length - 1;

  // One loop per contender (its own call site), each counting a result so nothing is dead code.
  const loops: Record<string, (n: number) => number> = {
    'baseline (empty function)': (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (empty(SMALL, UNARY) === undefined) s++;
      return s;
    },
    'baseline, mixed inputs': (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const [, params, input] = MIXED[i & MIXED_MASK] as [RouterLike, Params, RouteInput];
        if (empty(params, input) === undefined) s++;
      }
      return s;
    },
    'all paths in turn': (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const [router, params, input] = MIXED[i & MIXED_MASK] as [RouterLike, Params, RouteInput];
        if (router.decide(params, input).lane !== undefined) s++;
      }
      return s;
    },
    explicit: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (plain.decide(SMALL, EXPLICIT).reason === 'explicit') s++;
      return s;
    },
    classifier: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (classified.decide(BULK, UNARY).reason === 'classifier') s++;
      return s;
    },
    'hint (explicit)': (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (plain.decide(SMALL, HINT).reason === 'explicit') s++;
      return s;
    },
    stream: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (plain.decide(LARGE, STREAM).reason === 'stream') s++;
      return s;
    },
    size: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (plain.decide(LARGE, UNARY).reason === 'size') s++;
      return s;
    },
    default: (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (plain.decide(SMALL, UNARY).reason === 'default') s++;
      return s;
    },
    'classifier → default': (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) if (classified.decide(SMALL, UNARY).reason === 'default') s++;
      return s;
    },
  };
  const inputs: Record<string, () => Decision | undefined> = {
    'baseline (empty function)': () => empty(SMALL, UNARY),
    explicit: () => plain.decide(SMALL, EXPLICIT),
    classifier: () => classified.decide(BULK, UNARY),
    'hint (explicit)': () => plain.decide(SMALL, HINT),
    stream: () => plain.decide(LARGE, STREAM),
    size: () => plain.decide(LARGE, UNARY),
    default: () => plain.decide(SMALL, UNARY),
    'classifier → default': () => classified.decide(SMALL, UNARY),
    'baseline, mixed inputs': () => empty(SMALL, UNARY),
    'all paths in turn': () => plain.decide(SMALL, EXPLICIT),
  };
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const got = inputs[name]?.();
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
    }
  }

  const callsPerBatch = 100_000;
  const rounds = quick ? 40 : 200;
  const names = Object.keys(loops);
  const shuffle = shuffler(1);
  for (let w = 0; w < 20; w++) for (const name of names) loops[name]?.(callsPerBatch);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of shuffle(names)) {
      const loop = loops[name] as (n: number) => number;
      const start = process.hrtime.bigint();
      const counted = loop(callsPerBatch);
      const elapsed = Number(process.hrtime.bigint() - start);
      if (counted !== callsPerBatch) throw new Error(`${name}: a decision changed while timing`);
      samples[name]?.push(elapsed / callsPerBatch);
    }
  }
  return {
    rounds,
    callsPerBatch,
    reference: 'baseline (empty function)',
    contenders: summarize(samples, 'baseline (empty function)', {
      'all paths in turn': 'baseline, mixed inputs',
      'baseline, mixed inputs': 'baseline (empty function)',
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. A whole routed call against the lane called directly

async function callScenario(
  lanes: LanesModule,
  fake: FakeLane,
  telemetry: unknown,
): Promise<ScenarioResult> {
  const bare = lanes.createRouter({ latency: fake, throughput: fake });
  const counted = lanes.createRouter({ latency: fake, throughput: fake, telemetry });
  const calls: Record<string, (n: number) => Promise<void>> = {
    'lane called directly': async (n) => {
      for (let i = 0; i < n; i++) await fake.generateContent(SMALL, { timeoutMs: 1000 });
    },
    'router, no telemetry': async (n) => {
      for (let i = 0; i < n; i++) await bare.generateContent(SMALL, { timeoutMs: 1000 });
    },
    'router, decisions counted': async (n) => {
      for (let i = 0; i < n; i++) await counted.generateContent(SMALL, { timeoutMs: 1000 });
    },
  };
  const callsPerBatch = 5_000;
  const rounds = quick ? 30 : 150;
  const names = Object.keys(calls);
  const shuffle = shuffler(2);
  for (let w = 0; w < WARM_UP_BATCHES; w++) {
    for (const name of names) await calls[name]?.(callsPerBatch);
  }
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of shuffle(names)) {
      const run = calls[name] as (n: number) => Promise<void>;
      const start = process.hrtime.bigint();
      await run(callsPerBatch);
      samples[name]?.push(Number(process.hrtime.bigint() - start) / callsPerBatch);
    }
  }
  return {
    rounds,
    callsPerBatch,
    reference: 'lane called directly',
    contenders: summarize(samples, 'lane called directly'),
  };
}

/** The sum of `gemini_lanes.router.decisions` over its series. */
function decisionsOf(collected: Collected): number {
  let total = 0;
  for (const scope of collected.resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== 'gemini_lanes.router.decisions') continue;
      for (const point of metric.dataPoints)
        total += typeof point.value === 'number' ? point.value : 0;
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------

interface Results {
  date: string;
  machine: string;
  node: string;
  quick: boolean;
  targetNs: number;
  decide: ScenarioResult;
  call: ScenarioResult;
  decisionsCounted: number;
  loadAverage: { before: number[]; after: number[] };
}

function table(s: ScenarioResult, overLabel: string): string {
  const rows = Object.entries(s.contenders).map(
    ([name, c]) =>
      `| ${name} | **${c.medianNs}** | ${c.p10Ns} – ${c.p90Ns} | ${name === s.reference ? '–' : `+${c.overNs}${c.against === undefined ? '' : ` (over ${c.against})`}`} |`,
  );
  return `| contender | ns per call (median) | p10 – p90 over rounds | ${overLabel} |
| --- | ---: | ---: | ---: |
${rows.join('\n')}`;
}

function markdown(r: Results): string {
  return `# Router classification cost (@gemini-lanes/lanes)

\`node test/bench/router.ts${r.quick ? ' --quick' : ''}\` on ${r.machine} (Node ${r.node}), ${r.date}.
Load average before / after: ${r.loadAverage.before.join(' ')} / ${r.loadAverage.after.join(' ')} (a shared machine).
In-process fake lanes that answer at once: only the router's own code is timed (\`process.hrtime.bigint()\`).

## \`router.decide()\` by rule path

${r.decide.rounds} rounds of a batch of ${r.decide.callsPerBatch.toLocaleString('en')} consecutive calls per contender, contenders in a
shuffled order every round; ns per call = batch time / batch length. The baseline is the same loop calling an
empty function of the same shape. Target: well under ${r.targetNs} ns (classification must cost microseconds at most).

${table(r.decide, 'over baseline, ns (median of per-round differences)')}

## A whole routed call

\`router.generateContent()\` against the same fake lane called directly, AsyncLocalStorage context manager installed
(as \`register()\` does): the decision, the metric, \`context.with\`, the options handed on, the router's own promise.
${r.call.rounds} rounds of ${r.call.callsPerBatch.toLocaleString('en')} sequential awaited calls per contender, shuffled.

${table(r.call, 'over the direct call, ns')}
`;
}

async function main(): Promise<void> {
  const lanes = await load<LanesModule>(fromLanes, '@gemini-lanes/lanes');
  const otel = await load<OtelModule>(fromLanes, '@gemini-lanes/otel');
  const core = await load<CoreModule>(fromLanes, '@gemini-lanes/core');
  const sdkMetrics = await load<SdkMetricsModule>(fromLanes, '@opentelemetry/sdk-metrics');
  const api = await load<ApiModule>(fromLanes, '@opentelemetry/api');
  const contextModule = await load<ContextModule>(fromOtel, '@opentelemetry/context-async-hooks');

  const answer = Promise.resolve({ text: 'ok' });
  const fake: FakeLane = {
    generateContent: () => answer,
    async *generateContentStream() {
      yield { text: 'ok' };
    },
    countTokens: async () => ({ totalTokens: 1 }),
    embedContent: async () => ({ embeddings: [] }),
  };
  class Reader extends sdkMetrics.MetricReader {
    protected async onShutdown(): Promise<void> {}
    protected async onForceFlush(): Promise<void> {}
  }
  const reader = new Reader();
  const meterProvider = new sdkMetrics.MeterProvider({ readers: [reader] });
  const telemetry = otel.createTelemetry(core.defineConfig({}), { meterProvider });

  const before = loadAverage();
  say(`router bench${quick ? ' (quick)' : ''} (load ${before.join(' ')})`);
  const decide = await decideScenario(lanes, fake);
  for (const [name, c] of Object.entries(decide.contenders)) {
    say(
      `  decide ${name}: ${c.medianNs} ns/call (p10 ${c.p10Ns}, p90 ${c.p90Ns})${name === decide.reference ? '' : `, +${c.overNs} ns over ${c.against ?? 'baseline'}`}`,
    );
  }
  api.context.setGlobalContextManager(new contextModule.AsyncLocalStorageContextManager().enable());
  let call: ScenarioResult;
  try {
    call = await callScenario(lanes, fake, telemetry);
  } finally {
    api.context.disable();
  }
  for (const [name, c] of Object.entries(call.contenders)) {
    say(
      `  call ${name}: ${c.medianNs} ns/call${name === call.reference ? '' : `, +${c.overNs} ns over the direct call`}`,
    );
  }
  // The counted router really counted: one decision per call of its contender, warm-up included.
  const decisionsCounted = decisionsOf(await reader.collect());
  const expected = (WARM_UP_BATCHES + call.rounds) * call.callsPerBatch;
  if (decisionsCounted !== expected) {
    throw new Error(
      `gemini_lanes.router.decisions counted ${decisionsCounted}, expected ${expected}`,
    );
  }
  await meterProvider.shutdown();

  const results: Results = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    node: process.version,
    quick,
    targetNs: TARGET_NS,
    decide,
    call,
    decisionsCounted,
    loadAverage: { before, after: loadAverage() },
  };
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, 'router.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS, 'router.md'), markdown(results));
  say(`\nwrote ${join(RESULTS, 'router.json')} and router.md`);
  const worst = Math.max(
    ...Object.entries(decide.contenders)
      .filter(([name]) => !name.startsWith('baseline'))
      .map(([, c]) => c.medianNs),
  );
  say(
    `summary: decide() ${worst} ns/call at most (baseline ${decide.contenders[decide.reference]?.medianNs} ns); a routed call +${call.contenders['router, decisions counted']?.overNs} ns over the lane called directly (metric counted); target < ${TARGET_NS} ns`,
  );
}

await main();
