/**
 * Benchmark of hedged streams in the latency lane (issue 7): the p99 time to first chunk with
 * and without hedging under injected stalls. Run with the Node 24 toolchain after `pnpm build`:
 *
 *   node test/bench/hedging.ts            full run (about four minutes), results in hedging.*
 *   node test/bench/hedging.ts --quick    one stall rate, 25 s (under a minute), hedging.quick.*
 *
 * Two emulator processes (support/emulator-process.ts) stand in for two regions: the same
 * latency model (`gemini-2.5-flash-lite` of the `default` profile: time to first token median
 * 300 / p95 700 ms, short answers), each with `slow-first-byte` stalls injected at a rate (a
 * sweep: 1 % and 5 % of model calls wait `SLOW_FIRST_BYTE_MS` = 2 s, four times the lane's TTFT
 * SLA of 500 ms, before answering). Latency lanes on both endpoints run side by side:
 *   - `unhedged`: hedging off (endpoints chosen by their peak-EWMA only);
 *   - `hedged-p95`: hedging with the defaults (observed p95 of time to first chunk, maxShare 0.1);
 *   - `hedged-p95-max20`: the same with maxShare 0.2, to show what the default cap costs;
 *   - `hedged-fixed-1s`: hedging after a fixed `FIXED_DELAY_MS`.
 * One seeded Poisson arrival process (open loop, so a stall does not slow the arrivals down
 * and hide itself) feeds them all, each arrival going to the next contender of a shuffled block
 * of one per contender: the contenders are interleaved request by request rather than in rounds,
 * so machine noise and the emulators' load hit them alike. The price: they share the two
 * emulators, whose request counters cannot be split by contender; so each lane counts its own
 * upstream calls, hedges and retries through its telemetry on an in-memory meter, and their sum
 * is checked against what the emulators counted. Every lane is warmed up first with streams that
 * are not measured (the observed-percentile delay needs 20 streams per model before it hedges).
 *
 * Time to first chunk is measured at the caller: `performance.now()` from calling
 * `lane.generateContentStream` to the first chunk; each stream is then read to its end. Reported
 * per contender: p50/p95/p99 (with a distribution-free 95 % interval of the p99)/max, the share
 * over the SLA and over the stall, the hedge rate (hedges / streams) and the share the hedge
 * won, upstream calls per stream, and the p99 ratio hedged / unhedged. Targets are reported, not
 * asserted (the issue gives none). Quota is not limited here (hedges take quota in the lane).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { EmulatorOptions, EmulatorStats } from '@gemini-lanes/emulator';
import type { GenerateContentParameters, GenerateContentResponse } from '@google/genai';
import { distFingerprint } from './support/build-fingerprint.ts';
import { builtPackages, say } from './support/built-packages.ts';
import { emulatorStats } from './support/emulator-client.ts';
import { type EmulatorProcess, startEmulatorProcess } from './support/emulator-process.ts';
import { stoppedOnInterrupt } from './support/interrupt.ts';
import { seeded } from './support/seeded.ts';

const quick = process.argv.includes('--quick');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
/** A quick run writes its own files, so it never overwrites the full run's figures. */
const NAME = quick ? 'hedging.quick' : 'hedging';
const MODEL = 'gemini-2.5-flash-lite';
const API_KEY = 'bench-key';
/** Share of model calls that stall, one phase each. */
const STALL_RATES = quick ? [0.05] : [0.01, 0.05];
const SLOW_FIRST_BYTE_MS = 2_000;
/** The lane's TTFT SLA (its default): the stall is well above it. */
const SLA_TTFT_MS = 500;
const FIXED_DELAY_MS = 1_000;
/** Arrivals per second, all contenders together. */
const RATE_PER_SECOND = 48;
const MEASURE_MS = quick ? 25_000 : 100_000;
const WARMUP_PER_CONTENDER = quick ? 40 : 60;
/** Short answers: time to first chunk does not depend on the length, and the machine is shared. */
const OUTPUT_TOKENS = { median: 64, p95: 200 };

// The packages under test, by name, as packages/lanes resolves them; their built dist/ runs.
const load = builtPackages('lanes');

interface EndpointStats {
  name: string;
  estimateMs: number;
  inflight: number;
  ejected: boolean;
}
interface LaneLike {
  generateContentStream(params: GenerateContentParameters): AsyncGenerator<GenerateContentResponse>;
  prewarm(): Promise<void>;
  stats(): { running: number; queued: number; endpoints: EndpointStats[] };
  close(): Promise<void>;
}
interface LanesModule {
  createLatencyLane(config: unknown, options: { apiKey: string; telemetry?: unknown }): LaneLike;
}
interface CoreModule {
  defineConfig(input: object): { lanes: { latency: unknown } };
}
interface OtelModule {
  createTelemetry(config: unknown, providers: { meterProvider?: unknown }): unknown;
}
interface Collected {
  resourceMetrics: {
    scopeMetrics: Array<{
      metrics: Array<{
        descriptor: { name: string };
        dataPoints: Array<{ attributes: Record<string, unknown>; value: unknown }>;
      }>;
    }>;
  };
}
interface SdkMetricsModule {
  MeterProvider: new (options: { readers: unknown[] }) => { shutdown(): Promise<void> };
  MetricReader: abstract new (options?: object) => { collect(): Promise<Collected> };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}
/** Nearest-rank quantile of sorted values. */
function rank(sorted: readonly number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
/**
 * A distribution-free 95 % confidence interval of the `q` quantile: the order statistics
 * around rank n·q, ±1.96 binomial standard deviations.
 */
function quantileInterval(sorted: readonly number[], q: number): [number, number] {
  const n = sorted.length;
  const spread = 1.96 * Math.sqrt(n * q * (1 - q));
  const lo = Math.max(1, Math.floor(n * q - spread));
  const hi = Math.min(n, Math.ceil(n * q + spread) + 1);
  return [sorted[lo - 1] ?? Number.NaN, sorted[hi - 1] ?? Number.NaN];
}
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const loadAverage = () => loadavg().map((l) => round(l, 2));
const percent = (x: number, digits = 1) => `${round(x * 100, digits)} %`;

const REQUEST: GenerateContentParameters = {
  model: MODEL,
  contents: 'Explain request hedging in two sentences.',
};

// ---------------------------------------------------------------------------------------------
// Contenders

interface ContenderSpec {
  name: string;
  describe: string;
  hedging: object;
}
const CONTENDERS: ContenderSpec[] = [
  { name: 'unhedged', describe: 'hedging off', hedging: { enabled: false } },
  {
    name: 'hedged-p95',
    describe: 'the defaults: hedge at the observed p95, minDelayMs 50, maxShare 0.1',
    hedging: { enabled: true },
  },
  {
    name: 'hedged-p95-max20',
    describe: 'hedge at the observed p95, maxShare 0.2',
    hedging: { enabled: true, maxShare: 0.2 },
  },
  {
    name: 'hedged-fixed-1s',
    describe: `hedge after a fixed ${FIXED_DELAY_MS} ms, maxShare 0.1`,
    hedging: { enabled: true, delayMs: FIXED_DELAY_MS },
  },
];
const BASELINE = 'unhedged';

interface Contender {
  spec: ContenderSpec;
  lane: LaneLike;
  /** Sum of a counter over the points whose attributes match. */
  counter(name: string, match?: Record<string, unknown>): Promise<number>;
  /** The lane's upstream calls by `gemini_lanes.outcome`. */
  attemptsByOutcome(): Promise<Record<string, number>>;
  shutdown(): Promise<void>;
}

interface Counters {
  hedgesWon: number;
  hedgesLost: number;
  hedgesRefused: number;
  retries: number;
  attempts: Record<string, number>;
}

async function counters(c: Contender): Promise<Counters> {
  return {
    hedgesWon: await c.counter('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'won' }),
    hedgesLost: await c.counter('gemini_lanes.hedges', { 'gemini_lanes.hedge.outcome': 'lost' }),
    hedgesRefused: await c.counter('gemini_lanes.hedges', {
      'gemini_lanes.hedge.outcome': 'refused',
    }),
    retries: await c.counter('gemini_lanes.retries'),
    attempts: await c.attemptsByOutcome(),
  };
}

function minus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (a[key] ?? 0) - (b[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------
// Load

interface StreamRecord {
  contender: number;
  ttfcMs: number | undefined;
  error: string | undefined;
}

async function oneStream(lane: LaneLike): Promise<{ ttfcMs: number } | { error: string }> {
  const start = performance.now();
  const stream = lane.generateContentStream(REQUEST);
  try {
    const first = await stream.next();
    const ttfcMs = performance.now() - start;
    if (first.done === true) return { error: 'empty stream' };
    for (let next = await stream.next(); next.done !== true; next = await stream.next()) {
      // read to the end, as a caller would
    }
    return { ttfcMs };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      error: typeof code === 'string' ? code : ((error as Error).name ?? 'Error'),
    };
  }
}

/**
 * Seeded Poisson arrivals at `ratePerSecond` for `durationMs` (or `count` arrivals), each to the
 * next contender of a shuffled block; resolves when every stream has ended.
 */
async function openLoop(
  lanes: readonly LaneLike[],
  ratePerSecond: number,
  limit: { durationMs: number } | { count: number },
  seed: number,
): Promise<{ records: StreamRecord[]; lagMs: number; elapsedMs: number }> {
  const random = seeded(seed);
  const records: StreamRecord[] = [];
  const pending: Promise<void>[] = [];
  let block: number[] = [];
  let lagMs = 0;
  const start = performance.now();
  let offset = 0;
  for (let i = 0; ; i++) {
    offset += -Math.log(random()) * (1000 / ratePerSecond);
    if ('durationMs' in limit ? offset >= limit.durationMs : i >= limit.count) break;
    if (block.length === 0) {
      block = lanes.map((_, k) => k);
      for (let k = block.length - 1; k > 0; k--) {
        const j = Math.floor(random() * (k + 1));
        [block[k], block[j]] = [block[j] as number, block[k] as number];
      }
    }
    const contender = block.pop() as number;
    const wait = start + offset - performance.now();
    if (wait >= 1) await sleep(wait);
    lagMs = Math.max(lagMs, performance.now() - start - offset);
    pending.push(
      oneStream(lanes[contender] as LaneLike).then((r) => {
        records.push({
          contender,
          ttfcMs: 'ttfcMs' in r ? r.ttfcMs : undefined,
          error: 'error' in r ? r.error : undefined,
        });
      }),
    );
  }
  await Promise.all(pending);
  return { records, lagMs, elapsedMs: performance.now() - start };
}

// ---------------------------------------------------------------------------------------------
// One phase: one stall rate, fresh emulators and lanes

interface Distribution {
  p50: number;
  p95: number;
  p99: number;
  /** Distribution-free 95 % interval of the p99. */
  p99Interval: [number, number];
  max: number;
}

interface ContenderResult {
  name: string;
  describe: string;
  streams: number;
  errors: number;
  errorKinds: Record<string, number>;
  ttfcMs: Distribution;
  /** Share of streams whose first chunk came later than the TTFT SLA. */
  overSlaShare: number;
  /** Share of streams whose first chunk came after the stall length (the stall reached the caller). */
  overStallShare: number;
  hedges: number;
  hedgesWon: number;
  /** Hedges that were due but refused by the hedge share (quota is not limited here). */
  hedgesRefused: number;
  /** Hedges / streams. */
  hedgeRate: number;
  /** Hedges won / hedges. */
  wonShare: number;
  retries: number;
  /** The lane's upstream calls (its telemetry's requests by outcome), and per stream. */
  upstreamCalls: number;
  upstreamCallsByOutcome: Record<string, number>;
  upstreamPerStream: number;
  /** p99 / the unhedged p99 (and p50 / p50). */
  p99Ratio: number;
  p50Ratio: number;
  endpointsAtEnd: EndpointStats[];
}

interface PhaseResult {
  stallRate: number;
  slowFirstByteMs: number;
  ratePerSecond: number;
  measureMs: number;
  arrivals: number;
  warmupPerContender: number;
  maxArrivalLagMs: number;
  loadAverage: { before: number[]; after: number[] };
  contenders: ContenderResult[];
  emulators: Array<{
    region: string;
    streamRequests: number;
    closedBeforeHeaders: number;
    slowFirstByteInjected: number;
    otherRequests: number;
  }>;
  /**
   * Σ lanes' upstream calls against Σ emulators' stream requests over the measured phase. A hedge
   * race's loser aborted within moments of being sent may never reach the emulator, so the
   * emulators may count a few fewer: consistent when 0 ≤ lanes − emulators ≤ the calls cancelled.
   */
  accounting: {
    lanesUpstreamCalls: number;
    emulatorStreamRequests: number;
    lanesCancelled: number;
    consistent: boolean;
  };
}

function emulatorOptions(stallRate: number, seed: number): EmulatorOptions {
  return {
    profile: 'default',
    quota: false,
    seed,
    models: { [MODEL]: { outputTokens: OUTPUT_TOKENS } },
    faults: { rates: { 'slow-first-byte': stallRate }, slowFirstByteMs: SLOW_FIRST_BYTE_MS },
  };
}

async function phase(
  modules: { lanes: LanesModule; core: CoreModule; otel: OtelModule; sdk: SdkMetricsModule },
  stallRate: number,
  index: number,
): Promise<PhaseResult> {
  const before = loadAverage();
  const regions = ['region-a', 'region-b'];
  const servers: EmulatorProcess[] = await Promise.all(
    regions.map(async (_, r) =>
      stoppedOnInterrupt(await startEmulatorProcess(emulatorOptions(stallRate, 100 * index + r))),
    ),
  );
  const contenders: Contender[] = [];
  try {
    for (const spec of CONTENDERS) {
      const config = modules.core.defineConfig({
        lanes: {
          latency: {
            models: [MODEL],
            endpoints: servers.map((s, r) => ({ url: s.url, name: regions[r] })),
            pool: { prewarm: 4 },
            cache: { enabled: false },
            hedging: spec.hedging,
          },
          throughput: { models: [MODEL] },
        },
      });
      class Reader extends modules.sdk.MetricReader {
        protected async onShutdown(): Promise<void> {}
        protected async onForceFlush(): Promise<void> {}
      }
      const reader = new Reader();
      const meterProvider = new modules.sdk.MeterProvider({ readers: [reader] });
      const telemetry = modules.otel.createTelemetry(config, { meterProvider });
      const lane = modules.lanes.createLatencyLane(config.lanes.latency, {
        apiKey: API_KEY,
        telemetry,
      });
      const points = async (name: string) => {
        const { resourceMetrics } = await reader.collect();
        return resourceMetrics.scopeMetrics
          .flatMap((s) => s.metrics)
          .filter((m) => m.descriptor.name === name)
          .flatMap((m) => m.dataPoints);
      };
      contenders.push({
        spec,
        lane,
        async counter(name, match = {}) {
          let total = 0;
          for (const p of await points(name)) {
            if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) {
              total += typeof p.value === 'number' ? p.value : 0;
            }
          }
          return total;
        },
        async attemptsByOutcome() {
          const out: Record<string, number> = {};
          for (const p of await points('gemini_lanes.requests')) {
            if (p.attributes['gemini_lanes.lane'] !== 'latency') continue;
            const outcome = String(p.attributes['gemini_lanes.outcome']);
            out[outcome] = (out[outcome] ?? 0) + (typeof p.value === 'number' ? p.value : 0);
          }
          return out;
        },
        shutdown: () => meterProvider.shutdown(),
      });
    }
    const lanes = contenders.map((c) => c.lane);
    await Promise.all(lanes.map((l) => l.prewarm()));

    // Warm-up: the same interleaved arrivals, not measured.
    const warm = await openLoop(
      lanes,
      RATE_PER_SECOND,
      { count: WARMUP_PER_CONTENDER * lanes.length },
      1000 + index,
    );
    const warmErrors = warm.records.filter((r) => r.error !== undefined).length;
    say(
      `  warm-up: ${warm.records.length} streams in ${round(warm.elapsedMs / 1000)} s, ${warmErrors} errors`,
    );
    await settled(servers);
    const countersBefore = await Promise.all(contenders.map(counters));
    const statsBefore = await Promise.all(servers.map((s) => emulatorStats(s.url)));

    const measured = await openLoop(
      lanes,
      RATE_PER_SECOND,
      { durationMs: MEASURE_MS },
      2000 + index,
    );
    await settled(servers);
    const countersAfter = await Promise.all(contenders.map(counters));
    const statsAfter = await Promise.all(servers.map((s) => emulatorStats(s.url)));

    const emulators = servers.map((_, r) => {
      const a = statsAfter[r] as EmulatorStats;
      const b = statsBefore[r] as EmulatorStats;
      const streams =
        (a.requestsByRoute.streamGenerateContent ?? 0) -
        (b.requestsByRoute.streamGenerateContent ?? 0);
      return {
        region: regions[r] as string,
        streamRequests: streams,
        // Status 0: the client went away before the answer's headers (a hedge race's loser).
        closedBeforeHeaders: (a.responsesByStatus['0'] ?? 0) - (b.responsesByStatus['0'] ?? 0),
        slowFirstByteInjected:
          (a.faultsInjected['slow-first-byte'] ?? 0) - (b.faultsInjected['slow-first-byte'] ?? 0),
        // The lanes' pools keeping their sockets warm (`GET /`, no API call).
        otherRequests: a.requests - b.requests - streams,
      };
    });

    const baseline = distributionOf(measured.records, CONTENDERS.indexOf(baselineSpec()));
    const results: ContenderResult[] = contenders.map((c, k) => {
      const mine = measured.records.filter((r) => r.contender === k);
      const ttfc = mine.flatMap((r) => (r.ttfcMs === undefined ? [] : [r.ttfcMs]));
      const errorKinds: Record<string, number> = {};
      for (const r of mine) {
        if (r.error !== undefined) errorKinds[r.error] = (errorKinds[r.error] ?? 0) + 1;
      }
      const after = countersAfter[k] as Counters;
      const before = countersBefore[k] as Counters;
      const won = after.hedgesWon - before.hedgesWon;
      const hedges = won + after.hedgesLost - before.hedgesLost;
      const attempts = minus(after.attempts, before.attempts);
      const d = distributionOf(measured.records, k);
      return {
        name: c.spec.name,
        describe: c.spec.describe,
        streams: mine.length,
        errors: mine.length - ttfc.length,
        errorKinds,
        ttfcMs: d,
        overSlaShare: round(ttfc.filter((t) => t > SLA_TTFT_MS).length / ttfc.length, 4),
        overStallShare: round(ttfc.filter((t) => t >= SLOW_FIRST_BYTE_MS).length / ttfc.length, 4),
        hedges,
        hedgesWon: won,
        hedgesRefused: after.hedgesRefused - before.hedgesRefused,
        hedgeRate: round(hedges / mine.length, 4),
        wonShare: hedges === 0 ? 0 : round(won / hedges, 3),
        retries: after.retries - before.retries,
        upstreamCalls: sum(attempts),
        upstreamCallsByOutcome: attempts,
        upstreamPerStream: round(sum(attempts) / mine.length, 3),
        p99Ratio: round(d.p99 / baseline.p99, 3),
        p50Ratio: round(d.p50 / baseline.p50, 3),
        endpointsAtEnd: c.lane.stats().endpoints.map((e) => ({
          ...e,
          estimateMs: round(e.estimateMs),
        })),
      };
    });
    const lanesUpstreamCalls = results.reduce((a, r) => a + r.upstreamCalls, 0);
    const emulatorStreamRequests = emulators.reduce((a, e) => a + e.streamRequests, 0);
    const lanesCancelled = results.reduce(
      (a, r) => a + (r.upstreamCallsByOutcome.cancelled ?? 0),
      0,
    );
    const unseen = lanesUpstreamCalls - emulatorStreamRequests;
    return {
      stallRate,
      slowFirstByteMs: SLOW_FIRST_BYTE_MS,
      ratePerSecond: RATE_PER_SECOND,
      measureMs: MEASURE_MS,
      arrivals: measured.records.length,
      warmupPerContender: WARMUP_PER_CONTENDER,
      maxArrivalLagMs: round(measured.lagMs),
      loadAverage: { before, after: loadAverage() },
      contenders: results,
      emulators,
      accounting: {
        lanesUpstreamCalls,
        emulatorStreamRequests,
        lanesCancelled,
        consistent: unseen >= 0 && unseen <= lanesCancelled,
      },
    };
  } finally {
    await Promise.all(contenders.map((c) => c.lane.close()));
    await Promise.all(contenders.map((c) => c.shutdown()));
    await Promise.all(servers.map((s) => s.stop()));
  }
}

function baselineSpec(): ContenderSpec {
  return CONTENDERS.find((c) => c.name === BASELINE) as ContenderSpec;
}

function distributionOf(records: readonly StreamRecord[], contender: number): Distribution {
  const sorted = sortedCopy(
    records.flatMap((r) => (r.contender === contender && r.ttfcMs !== undefined ? [r.ttfcMs] : [])),
  );
  const [lo, hi] = quantileInterval(sorted, 0.99);
  return {
    p50: round(rank(sorted, 0.5)),
    p95: round(rank(sorted, 0.95)),
    p99: round(rank(sorted, 0.99)),
    p99Interval: [round(lo), round(hi)],
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/**
 * Waits (with a deadline) until the emulators have no generation under way and their request
 * counts have stopped moving: a request is counted when its socket closes, a moment after its
 * generation ends (or after the client aborted it).
 */
async function settled(servers: readonly EmulatorProcess[]): Promise<void> {
  const deadline = performance.now() + 5_000;
  let last = -1;
  while (performance.now() < deadline) {
    const stats = await Promise.all(servers.map((s) => emulatorStats(s.url)));
    const requests = stats.reduce((a, s) => a + s.requests, 0);
    if (stats.every((s) => s.inFlight === 0) && requests === last) return;
    last = requests;
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

interface Results {
  benchmark: 'hedging';
  command: string;
  date: string;
  machine: string;
  node: string;
  quick: boolean;
  build: { lanes: string; core: string };
  model: string;
  latencyModel: string;
  slaTtftMs: number;
  fixedDelayMs: number;
  durationS: number;
  loadAverage: { before: number[]; after: number[] };
  phases: PhaseResult[];
}

function accountingNote(a: PhaseResult['accounting']): string {
  const unseen = a.lanesUpstreamCalls - a.emulatorStreamRequests;
  if (unseen === 0) return ' (the same)';
  return a.consistent
    ? ` (${unseen} losers aborted before they reached an emulator)`
    : ' (**inconsistent**: more than the lanes cancelled, or more at the emulators)';
}

function markdown(r: Results): string {
  const sections = r.phases.map((p) => {
    const rows = p.contenders.map(
      (c) =>
        `| ${c.name} | ${c.streams} | ${c.ttfcMs.p50} | ${c.ttfcMs.p95} | **${c.ttfcMs.p99}** [${c.ttfcMs.p99Interval.join('–')}] | ${c.ttfcMs.max} | ${percent(c.overSlaShare)} | ${percent(c.overStallShare)} | ${percent(c.hedgeRate)} | ${c.hedges === 0 ? '–' : percent(c.wonShare, 0)} | ${c.hedgesRefused} | ${c.upstreamPerStream} | ${c.errors} | ${c.name === BASELINE ? '–' : `×${c.p99Ratio}`} |`,
    );
    const emulatorLine = p.emulators
      .map(
        (e) =>
          `${e.region} ${e.streamRequests} stream requests (${e.closedBeforeHeaders} closed by the client before the answer's headers), ${e.slowFirstByteInjected} stalls injected, ${e.otherRequests} keep-warm probes`,
      )
      .join('; ');
    return `## Stalls on ${percent(p.stallRate, 0)} of model calls (${p.slowFirstByteMs} ms)

${p.arrivals} streams in ${p.measureMs / 1000} s (Poisson, ${p.ratePerSecond}/s over all contenders, interleaved), after ${p.warmupPerContender} warm-up streams per lane; latest arrival ${p.maxArrivalLagMs} ms behind plan; load average ${p.loadAverage.before.join(' ')} → ${p.loadAverage.after.join(' ')}.

| contender | streams | TTFC p50 ms | p95 ms | p99 ms [95 % CI] | max ms | > ${r.slaTtftMs} ms | ≥ ${p.slowFirstByteMs} ms | hedge rate | hedge won | hedges refused | upstream calls / stream | errors | p99 / unhedged |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Emulators: ${emulatorLine}. Upstream calls counted by the lanes ${p.accounting.lanesUpstreamCalls} (${p.accounting.lanesCancelled} of them cancelled race losers), by the emulators ${p.accounting.emulatorStreamRequests}${accountingNote(p.accounting)}.
`;
  });
  return `# Hedged streams: time to first chunk under injected stalls

\`pnpm build && ${r.command}\` on ${r.machine} (Node ${r.node}), ${r.date}, ${r.durationS} s; build lanes ${r.build.lanes}, core ${r.build.core}.
Two emulator processes on 127.0.0.1 as two regions, ${r.latencyModel}; \`slow-first-byte\` stalls injected at a rate per model call.
${CONTENDERS.length} latency lanes on both endpoints, side by side, fed by one seeded open-loop Poisson process, request by request in shuffled blocks:
${CONTENDERS.map((c) => `\`${c.name}\` (${c.describe})`).join(', ')}. TTFC is timed at the caller, from \`generateContentStream()\` to the first chunk; every stream is read to its end.
Hedge rate = hedges / streams (the lane's \`gemini_lanes.hedges\` counter); hedge won = share of hedges whose chunk came first; hedges refused = due but over \`maxShare\` (the same counter, outcome \`refused\`); upstream calls / stream from the lane's \`gemini_lanes.requests\` (losers count as cancelled).
The p99's interval is distribution-free (order statistics). Targets are reported, not asserted.

${sections.join('\n')}`;
}

async function main(): Promise<void> {
  const lanes = await load<LanesModule>('@gemini-lanes/lanes');
  const core = await load<CoreModule>('@gemini-lanes/core');
  const otel = await load<OtelModule>('@gemini-lanes/otel');
  const sdk = await load<SdkMetricsModule>('@opentelemetry/sdk-metrics');
  const before = loadAverage();
  const began = performance.now();
  say(
    `hedging benchmark${quick ? ' (quick)' : ''}: ${MODEL}, stalls of ${SLOW_FIRST_BYTE_MS} ms at ${STALL_RATES.map((s) => percent(s, 0)).join(', ')}; ${RATE_PER_SECOND}/s for ${MEASURE_MS / 1000} s per rate (load ${before.join(' ')})`,
  );
  const phases: PhaseResult[] = [];
  for (const [index, stallRate] of STALL_RATES.entries()) {
    say(`stalls on ${percent(stallRate, 0)} of calls`);
    const p = await phase({ lanes, core, otel, sdk }, stallRate, index);
    for (const c of p.contenders) {
      say(
        `  ${c.name.padEnd(16)} ${String(c.streams).padStart(5)} streams  TTFC p50 ${c.ttfcMs.p50}  p95 ${c.ttfcMs.p95}  p99 ${c.ttfcMs.p99} [${c.ttfcMs.p99Interval.join('–')}]  max ${c.ttfcMs.max} ms; ≥ ${SLOW_FIRST_BYTE_MS} ms ${percent(c.overStallShare)}; hedges ${percent(c.hedgeRate)} (won ${percent(c.wonShare, 0)}, ${c.hedgesRefused} refused); ${c.upstreamPerStream} calls/stream; errors ${c.errors}${c.name === BASELINE ? '' : `; p99 ×${c.p99Ratio}`}`,
      );
    }
    say(
      `  upstream calls: lanes ${p.accounting.lanesUpstreamCalls}, emulators ${p.accounting.emulatorStreamRequests}${accountingNote(p.accounting)}; arrival lag max ${p.maxArrivalLagMs} ms`,
    );
    phases.push(p);
  }
  const results: Results = {
    benchmark: 'hedging',
    command: `node test/bench/hedging.ts${quick ? ' --quick' : ''}`,
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    node: process.version,
    quick,
    build: { lanes: await distFingerprint('lanes'), core: await distFingerprint('core') },
    model: MODEL,
    latencyModel: `\`${MODEL}\` of the \`default\` profile (TTFT median 300 / p95 700 ms), output tokens median ${OUTPUT_TOKENS.median} / p95 ${OUTPUT_TOKENS.p95}`,
    slaTtftMs: SLA_TTFT_MS,
    fixedDelayMs: FIXED_DELAY_MS,
    durationS: round((performance.now() - began) / 1000),
    loadAverage: { before, after: loadAverage() },
    phases,
  };
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, `${NAME}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS, `${NAME}.md`), markdown(results));
  say(`\nwrote ${join(RESULTS, `${NAME}.json`)} and ${NAME}.md (${results.durationS} s)`);
}

await main();
