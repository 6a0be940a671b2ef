/**
 * The end-to-end test (issue 14): the emulator, the service (its lanes, `register()`'s
 * Prometheus endpoint and OTLP spans), a real Prometheus scraping it with the generated rules,
 * a real Alertmanager with the generated routing, a webhook receiver standing in for the pager
 * and a local OTLP receiver, all on free ports of 127.0.0.1 under a temp dir, stopped by the
 * test, also on failure. See test/e2e/README.md for the phases and how to read a failure.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as runFor } from 'node:timers/promises';
import { buildRules, RECORDED_QUANTILES, recordNames } from '@gemini-lanes/alerts';
import {
  ATTR,
  labelName,
  METRICS,
  type MetricKey,
  prometheusSeries,
  VALUES,
} from '@gemini-lanes/core';
import { buildDashboards } from '@gemini-lanes/dashboards';
import type { EmulatorStats } from '@gemini-lanes/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  BATCH_POLL,
  BATCH_REQUESTS_PER_SECOND,
  CACHE_MAX_BYTES,
  EMBEDDING_MODEL,
  e2eConfig,
  emulatorOptions,
  FALLBACK_MODEL,
  FIRST_BYTE_HOLD_MS,
  HEDGE_DELAY_MS,
  INTERVAL_SECONDS,
  JOB_LINES,
  MODEL,
  NOTIFICATION_TIMINGS,
  RATE_LIMITED_MODEL,
  RATE_LIMITED_RPM,
  REGRESSION_MULTIPLIER,
  REQUESTS_PER_SECOND,
  spareEmulatorOptions,
} from './e2e.config.ts';
import {
  EXPECTED_EMPTY_QUERIES,
  EXPECTED_SILENT_RECORDS,
  SERIES_EXPECTATIONS,
  type SeriesExpectation,
} from './expectations.ts';
import { type DashboardQuery, dashboardQueries } from './support/dashboard-queries.ts';
import { type E2eEnvironment, startE2eEnvironment } from './support/e2e-environment.ts';
import { controlEmulator } from './support/emulator-control.ts';
import { ejectEndpoint } from './support/endpoint-ejection.ts';
import { pollUntil } from './support/poll.ts';
import { type PrometheusApi, sampleValue } from './support/prometheus-api.ts';
import {
  findServiceBinaries,
  SETUP_COMMAND,
  type ServiceBinaries,
} from './support/service-binaries.ts';
import {
  abandonedStream,
  batchCall,
  batchKind,
  CACHE_ROUND,
  cacheRound,
  faultedCall,
  hedgedStreams,
  interactiveCall,
  interactiveKind,
  type JobOutcome,
  openLoop,
  rejectionBurst,
  runLaneJob,
  stalledCalls,
  TrafficLedger,
  writeJobInput,
} from './support/traffic.ts';

const config = e2eConfig;
const LANE = labelName(ATTR.lane);
const names = recordNames(config.prometheus.naming, config.prometheus.rateInterval);
const PAGE_ALERT = `${config.alerts.namePrefix}LatencyBudgetBurn`;
const PAGE = config.alerts.severities.page;

/** Emulator routes whose calls the lanes' requests counter counts (not the pools' warm-up probes). */
const MODEL_ROUTES = [
  'generateContent',
  'streamGenerateContent',
  'countTokens',
  'batchEmbedContents',
  'embedContent',
] as const;
/**
 * Emulator routes of the Batch API calls the lanes' instrumented client makes (its
 * `batches.create/get/list/cancel`, `gen_ai.operation.name` `batch`); the jobs' batches are
 * small enough to go inline, so no Files API call is made.
 */
const BATCH_ROUTES = ['batchGenerateContent', 'batches.get', 'batches.list', 'batches.cancel'];
/** The routes of the measured phase: generate calls and (micro-batched) embeddings. */
const MEASURED_ROUTES = MODEL_ROUTES.filter((r) => r !== 'countTokens');

/**
 * What the upstream served, from the stats of both emulators: the latency lane spreads its
 * calls over its two endpoints (the main emulator and the spare), the throughput lane calls the
 * main one.
 */
function upstreamStats(env: E2eEnvironment): EmulatorStats[] {
  return [env.emulator.stats(), env.spareEmulator.stats()];
}

function routeCount(stats: readonly EmulatorStats[], routes: readonly string[]): number {
  let sum = 0;
  for (const s of stats) for (const route of routes) sum += s.requestsByRoute[route] ?? 0;
  return sum;
}

/**
 * Billed tokens of the generate model. Embedding responses of the Gemini API carry no token
 * counts, so the lanes record none for them, while the emulator counts their input.
 */
function tokenCount(stats: readonly EmulatorStats[]): number {
  let sum = 0;
  for (const s of stats) {
    const t = s.models[MODEL]?.tokens;
    if (t !== undefined) sum += t.input + t.output + t.thoughts + t.toolUsePrompt;
  }
  return sum;
}

/**
 * Calls to the rate-limited model in each round. Each emulator admits RATE_LIMITED_RPM a minute
 * and the lane may send any call to either, so 2 × rpm + 1 calls get at least one 429 in the
 * first round however they are spread (one emulator gets more than rpm); after them at most
 * rpm calls are left on the two together, so rpm + 1 calls get one in the second round too.
 */
const RATE_LIMITED_CALLS = [2 * RATE_LIMITED_RPM + 1, RATE_LIMITED_RPM + 1] as const;

/** The two rounds of the mixed phase each run one job of each mode. */
const JOB_MODES = ['parallel', 'batch-api'] as const;
const ROUNDS = [0, 1] as const;

/** The measured phase: known traffic between two quiet points. */
interface Measurement {
  /** Unix ms: quiet before the traffic, quiet after it. */
  t0: number;
  t1: number;
  /** Calls the emulator served in between (generate, stream, embedding batches). */
  requests: number;
  /** Tokens of the generate model the emulator billed in between (prompt, output, thinking, tool use). */
  tokens: number;
}

/**
 * What the latency SLI records before the latency lane has refused or let time out any generate
 * call, seen at the first evaluation where the availability SLI of the same rule group records.
 */
interface SliProbe {
  /** `gemini_lanes_requests_total` series of refused or timed-out generate calls then (expected none). */
  refusalSeries: number;
  latencyRecorded: boolean;
}

/** Takes the `SliProbe` observation once the availability SLI records (both are in one rule group). */
async function probeLatencySli(api: PrometheusApi, job: string): Promise<SliProbe> {
  const sli = (slo: string) =>
    `${names.sliErrorRatio('5m')}{job="${job}", ${LANE}="latency", slo="${slo}"}`;
  await pollUntil(
    () => api.vector(sli('availability')),
    (samples) => samples.length > 0,
    { timeoutMs: 30_000, description: 'the availability SLI of the latency lane to record' },
  );
  const requests = prometheusSeries(METRICS.requests, config.prometheus.naming).name;
  const refused = await api.vector(
    `${requests}{job="${job}", ${LANE}="latency", ${labelName(ATTR.operationName)}="generate_content", ${labelName(ATTR.outcome)}=~"rejected|timed_out"}`,
  );
  return {
    refusalSeries: refused.length,
    latencyRecorded: (await api.vector(sli('latency'))).length > 0,
  };
}

/**
 * Waits until the recorded request rate of both lanes is 0: no call for a whole (scaled) rate
 * window, so every counter is flat, scraped, and evaluated by the rules.
 */
async function waitQuiet(api: PrometheusApi, job: string): Promise<void> {
  await pollUntil(
    () => api.value(`sum(${names.requests}{job="${job}"})`),
    (rate) => rate === 0,
    { timeoutMs: 30_000, intervalMs: 500, description: 'the recorded request rate to fall to 0' },
  );
}

/**
 * The largest finite value a dashboard query returns, as a Grafana panel would show it, or
 * undefined when it returns none (no series, or only NaN: an empty panel).
 */
async function largestValue(
  api: PrometheusApi,
  query: DashboardQuery,
): Promise<number | undefined> {
  let values: number[];
  if (query.kind === 'range') {
    const series = await api.queryRange(query.promql, query.start, query.end, query.step);
    values = series.flatMap((s) => s.values.map(([, v]) => sampleValue(v)));
  } else {
    const data = await api.query(query.promql, query.end);
    values =
      data.resultType === 'vector'
        ? data.result.map((s) => sampleValue(s.value[1]))
        : data.resultType === 'scalar'
          ? [sampleValue(data.result[1])]
          : [];
  }
  return values.reduce<number | undefined>(
    (max, v) => (Number.isFinite(v) && (max === undefined || v > max) ? v : max),
    undefined,
  );
}

/**
 * Panels whose data must be more than the zeros of pre-initialised counters: the test's cache
 * traffic and jobs must show in them, not only keep them from being empty.
 */
const NONZERO_QUERIES = [
  'gemini-lanes-latency › Cache hit ratio › A',
  'gemini-lanes-latency › Cache hit ratio › B',
  'gemini-lanes-latency › Hedges and fallbacks › A',
  'gemini-lanes-latency › Hedges and fallbacks › B',
  'gemini-lanes-latency › Endpoint ejections › A',
  'gemini-lanes-throughput › Job progress › A',
  'gemini-lanes-throughput › Items written (time range) › A',
  'gemini-lanes-throughput › Batch API jobs by state › A',
  'gemini-lanes-throughput › Batch API requests by final state › A',
];

function describeExpectation(expectation: SeriesExpectation): string {
  if ('absent' in expectation) return 'absent';
  if ('present' in expectation) return 'present';
  return `lanes: ${[...expectation.lanes].sort().join(',')}`;
}

/** Closed value sets by Prometheus label (`gemini_lanes_outcome` → success, error, …). */
const CLOSED_VALUES = new Map<string, readonly string[]>(
  Object.entries(VALUES).flatMap(([key, values]) => {
    const attribute = (ATTR as Readonly<Record<string, string>>)[key];
    return attribute === undefined ? [] : [[labelName(attribute), values] as const];
  }),
);

/** Labels Prometheus and the OpenTelemetry exporter add to every series. */
const SCRAPE_LABELS = [
  '__name__',
  'job',
  'instance',
  'otel_scope_name',
  'otel_scope_version',
  'otel_scope_schema_url',
];

function suite(binaries: ServiceBinaries): void {
  describe('end to end: emulator, service, Prometheus, Alertmanager, OTLP', () => {
    let env: E2eEnvironment;
    const ledger = new TrafficLedger();
    let trafficStart = 0;
    let measured: Measurement;
    let sliProbe: SliProbe;
    /** How long each round's ejection of the spare endpoint took, in ms (for failure messages). */
    const ejectionMs: number[] = [];
    /** The jobs of the mixed phase, by round and mode. */
    const jobs: Array<{ round: number; mode: (typeof JOB_MODES)[number]; outcome: JobOutcome }> =
      [];

    const api = () => env.prometheus.api;
    const job = () => env.job;
    /** Adds what the processes said and what the driver sent to a failing assertion. */
    const context = () =>
      `traffic ${ledger.summary()}; spare ejected after ${ejectionMs.join(', ')} ms\n${env.diagnostics()}`;

    beforeAll(async () => {
      env = await startE2eEnvironment({
        binaries,
        config,
        emulatorOptions,
        spareEmulatorOptions,
        apiKey: API_KEY,
        intervalSeconds: INTERVAL_SECONDS,
        notificationTimings: NOTIFICATION_TIMINGS,
      });
      const router = env.service.lanes.router;
      const throughput = env.service.lanes.throughput;
      const upstream = env.emulator.url;
      const models = { generate: MODEL, embed: EMBEDDING_MODEL };
      const jobDir = join(env.dir, 'jobs');
      await mkdir(jobDir);
      /** One job of each mode, at once, each over its own small JSONL file. */
      const runJobs = (round: number) =>
        Promise.all(
          JOB_MODES.map(async (mode) => {
            const name = `${mode}-${round}`;
            const input = join(jobDir, `${name}.jsonl`);
            await writeJobInput(input, JOB_LINES, MODEL, name);
            const outcome = await runLaneJob(
              throughput,
              input,
              join(jobDir, `${name}.results.jsonl`),
              { mode, ...(mode === 'batch-api' ? BATCH_POLL : {}) },
              ledger,
            );
            jobs.push({ round, mode, outcome });
          }),
        );
      trafficStart = Date.now();

      // Phase 1, mixed traffic through the router that exercises every panel the lanes can
      // fill: interactive streams, unary calls and token counts, and batch generate calls and
      // embeddings, each at a steady rate; a spell of injected faults (errors, retries); bursts
      // beyond the latency lane's capacity (queueing and refusals); the spare endpoint failing
      // until the latency lane ejects it; calls to a model whose upstream quota is exhausted
      // (429, and the fallback model answers); calls the upstream stalls until the lane's
      // deadline; a stream its reader abandons; calls failed by header on every attempt (500
      // interactive: retried on the other endpoint; 503 interactive: sent to the fallback model;
      // 503 batch: retried; then errors); streams held back before their first byte (hedged:
      // one hedge loses, one wins); deterministic calls the response cache answers (misses,
      // coalesced calls, hits, and evictions from its small memory bound); and a parallel job
      // and a batch-api job through the throughput lane. Each rare event happens at two moments
      // at least two scrapes apart: the first creates its series, and rate() sees only what the
      // second adds; none of the assertions depends on what the fault spell's random draws hit.
      const load = openLoop(REQUESTS_PER_SECOND, (n) =>
        interactiveCall(router, MODEL, interactiveKind(n), n, ledger),
      );
      const batch = openLoop(BATCH_REQUESTS_PER_SECOND, (n) =>
        batchCall(router, models, batchKind(n), n, ledger),
      );
      const twoScrapes = 2_500 * INTERVAL_SECONDS;
      const spare = env.spareEmulator.url;
      const spareEjections = {
        emulatorUrl: spare,
        metricsAddress: env.service.metricsAddress,
        series: prometheusSeries(METRICS.endpointEjections, config.prometheus.naming).name,
        labels: { [LANE]: 'latency', [labelName(ATTR.serverPort)]: new URL(spare).port },
      };
      await runFor(1_000);
      await controlEmulator(upstream, {
        faults: { rates: { '500': 0.04, '503': 0.03, reset: 0.02, 'malformed-chunk': 0.01 } },
      });
      await runFor(3_000);
      await controlEmulator(upstream, {
        faults: { rates: { '500': 0, '503': 0, reset: 0, 'malformed-chunk': 0 } },
      });
      sliProbe = await probeLatencySli(api(), job());
      for (const round of ROUNDS) {
        // The jobs run on the throughput lane while the latency lane takes the round's events.
        const roundJobs = runJobs(round);
        roundJobs.catch(() => {}); // awaited below; a failure must not be unhandled meanwhile
        await rejectionBurst(router, MODEL, 40, ledger);
        // Two streams held back past the hedge delay: one hedge loses, one wins (the emulators
        // apply a fault asked by header before any drawn from their rates, so the spare's 500s
        // below leave them alone). About 2 s, beside the round's other events, in two of the
        // latency lane's 16 slots; after the burst, which would refuse them.
        const hedged = hedgedStreams(
          router,
          MODEL,
          [env.emulator, env.spareEmulator],
          FIRST_BYTE_HOLD_MS,
          ledger,
        );
        hedged.catch(() => {}); // awaited below
        // The spare fails every call until the latency lane ejects it (a few calls), then heals;
        // it is back in rotation, on probation, `endpointHealth.ejectionMs` later.
        ejectionMs.push(Math.round(await ejectEndpoint(spareEjections)));
        await stalledCalls(router, MODEL, 1, 300, ledger);
        // 429s from the emulators (RATE_LIMITED_CALLS); the lane sends each of them to its
        // fallback model, which answers.
        for (let n = 0; n < RATE_LIMITED_CALLS[round]; n++) {
          await interactiveCall(router, RATE_LIMITED_MODEL, 'unary', n, ledger);
        }
        await abandonedStream(router, MODEL, ledger);
        await faultedCall(router, MODEL, 'interactive', '500', ledger);
        await faultedCall(router, MODEL, 'interactive', '503', ledger);
        await faultedCall(router, MODEL, 'batch', '503', ledger);
        // After the burst (so no shared call is refused at admission: see the counting test).
        await cacheRound(router, MODEL, round, ledger);
        await roundJobs;
        await hedged;
        await runFor(twoScrapes);
      }
      await Promise.all([load.stop(), batch.stop()]);

      // Phase 2, measured: quiet, then known traffic on both lanes (no faults, label sets that
      // exist already), then quiet again; the emulators count what they served.
      await waitQuiet(api(), job());
      const t0 = Date.now();
      const before = upstreamStats(env);
      const steady = openLoop(REQUESTS_PER_SECOND, (n) =>
        interactiveCall(router, MODEL, n % 2 === 0 ? 'stream' : 'unary', n, ledger),
      );
      const steadyBatch = openLoop(BATCH_REQUESTS_PER_SECOND, (n) =>
        batchCall(router, models, batchKind(n), n, ledger),
      );
      await runFor(8_000);
      await Promise.all([steady.stop(), steadyBatch.stop()]);
      await waitQuiet(api(), job());
      const t1 = Date.now();
      const after = upstreamStats(env);
      measured = {
        t0,
        t1,
        requests: routeCount(after, MEASURED_ROUTES) - routeCount(before, MEASURED_ROUTES),
        tokens: tokenCount(after) - tokenCount(before),
      };
    }, 180_000);

    afterAll(async () => {
      await env?.stop();
    }, 60_000);

    it('exports every catalog series with its labels, for the lanes that ran', async () => {
      const from = trafficStart / 1000 - 5;
      const to = measured.t1 / 1000;
      const observed: Record<string, string> = {};
      const problems: string[] = [];
      for (const key of Object.keys(METRICS) as MetricKey[]) {
        const spec = METRICS[key];
        const family = prometheusSeries(spec, config.prometheus.naming);
        const allowed = new Set([...SCRAPE_LABELS, ...spec.attributes.map((a) => labelName(a))]);
        const lanes = new Set<string>();
        const counts: number[] = [];
        for (const name of family.series) {
          const series = await api().series([`${name}{job="${job()}"}`], from, to);
          counts.push(series.length);
          for (const labels of series) {
            const extra = Object.keys(labels).filter(
              (l) => !allowed.has(l) && !(l === 'le' && name.endsWith('_bucket')),
            );
            if (extra.length > 0) problems.push(`${name}: unexpected labels ${extra.join(', ')}`);
            if (name.endsWith('_bucket') && labels.le === undefined) {
              problems.push(`${name}: a bucket without le`);
            }
            for (const [label, value] of Object.entries(labels)) {
              const closed = CLOSED_VALUES.get(label);
              if (closed !== undefined && !closed.includes(value)) {
                problems.push(`${name}: ${label}="${value}" is not one of ${closed.join(', ')}`);
              }
            }
            if (spec.attributes.some((a) => a === ATTR.lane)) {
              const lane = labels[LANE];
              if (lane === undefined) problems.push(`${name}: a series without ${LANE}`);
              else lanes.add(lane);
            }
          }
        }
        const found = counts.reduce((a, b) => a + b, 0);
        if (found > 0 && counts.includes(0)) {
          problems.push(`${family.name}: only some of ${family.series.join(', ')} exist`);
        }
        observed[key] =
          found === 0
            ? 'absent'
            : spec.attributes.some((a) => a === ATTR.lane)
              ? `lanes: ${[...lanes].sort().join(',')}`
              : 'present';
      }
      const expected = Object.fromEntries(
        Object.entries(SERIES_EXPECTATIONS).map(([k, e]) => [k, describeExpectation(e)]),
      );
      expect(problems, context()).toEqual([]);
      expect(observed, context()).toEqual(expected);
    }, 30_000);

    it('answers every dashboard query with data, except the listed panels', async () => {
      const queries = dashboardQueries(buildDashboards(config), {
        from: trafficStart - 2_000,
        to: measured.t1,
        maxDataPoints: 1000,
        scrapeIntervalMs: INTERVAL_SECONDS * 1000,
        selections: { service: job() },
      });
      const failures: string[] = [];
      const empty = new Map<string, DashboardQuery>();
      const largest = new Map<string, number>();
      for (const query of queries) {
        try {
          const value = await largestValue(api(), query);
          if (value === undefined) empty.set(query.key, query);
          else largest.set(query.key, value);
        } catch (error) {
          failures.push(`${query.key}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      expect(failures, 'queries Prometheus rejected').toEqual([]);
      const keys = new Set(queries.map((q) => q.key));
      const report = {
        unexpectedlyEmpty: [...empty.values()]
          .filter((q) => !(q.key in EXPECTED_EMPTY_QUERIES))
          .map((q) => `${q.key}: ${q.promql}`),
        unexpectedlyFilled: Object.keys(EXPECTED_EMPTY_QUERIES).filter(
          (k) => keys.has(k) && !empty.has(k),
        ),
        listedButNoSuchQuery: Object.keys(EXPECTED_EMPTY_QUERIES).filter((k) => !keys.has(k)),
        onlyZeros: NONZERO_QUERIES.filter((k) => !((largest.get(k) ?? 0) > 0)).map(
          (k) => `${k}: ${largest.get(k) ?? (keys.has(k) ? 'no data' : 'no such query')}`,
        ),
      };
      expect(report, context()).toEqual({
        unexpectedlyEmpty: [],
        unexpectedlyFilled: [],
        listedButNoSuchQuery: [],
        onlyZeros: [],
      });
    }, 30_000);

    it('loads every generated rule, healthy, and every recording rule records', async () => {
      const groups = await api().rules();
      expect(groups.map((g) => g.name)).toEqual(buildRules(config).map((g) => g.name));
      const unhealthy = groups.flatMap((g) =>
        g.rules
          .filter((r) => r.health !== 'ok' || (r.lastError ?? '') !== '')
          .map((r) => `${g.name} / ${r.name}: ${r.health} ${r.lastError ?? ''}`),
      );
      expect(unhealthy, context()).toEqual([]);

      const window = Math.ceil((measured.t1 - trafficStart) / 1000) + 5;
      const silent: string[] = [];
      for (const rule of groups.flatMap((g) => g.rules).filter((r) => r.type === 'recording')) {
        const matchers = [`__name__="${rule.name}"`, `job="${job()}"`];
        for (const [label, value] of Object.entries(rule.labels ?? {})) {
          matchers.push(`${label}="${value}"`);
        }
        const selector = `{${matchers.join(', ')}}`;
        const samples = await api().vector(
          `count_over_time(${selector}[${window}s])`,
          measured.t1 / 1000,
        );
        if (samples.length === 0) silent.push(`${rule.name}{${matchers.slice(2).join(', ')}}`);
      }
      expect(silent.sort(), context()).toEqual(Object.keys(EXPECTED_SILENT_RECORDS).sort());
      // The latency percentiles the dashboards and the TTFT alert read exist for the lane.
      for (const q of RECORDED_QUANTILES) {
        const ttft = await api().vector(
          `${names.timeToFirstChunk(q)}{job="${job()}"}`,
          measured.t0 / 1000,
        );
        expect(
          ttft.map((s) => s.metric[LANE]),
          names.timeToFirstChunk(q),
        ).toContain('latency');
      }
    }, 30_000);

    // The latency SLI must record before the lane has refused or timed out anything: a service
    // whose upstream slows down without ever shedding load must still be able to page. (The
    // rules once fell back on a series that appears only with the first refusal.)
    it('records the latency SLI before the lane has refused a generate call', () => {
      expect(sliProbe.refusalSeries).toBe(0);
      expect(sliProbe.latencyRecorded).toBe(true);
    }, 5_000);

    it('counts exactly the calls the emulator served, and the recording rules agree', async () => {
      const { t0, t1 } = measured;
      const at0 = t0 / 1000;
      const at1 = t1 / 1000;
      const sent = `${labelName(ATTR.outcome)}=~"success|error|cancelled"`;
      const requests = prometheusSeries(METRICS.requests, config.prometheus.naming).name;
      const tokens = prometheusSeries(METRICS.tokens, config.prometheus.naming).name;
      const value = async (expr: string, at: number) => (await api().value(expr, at)) ?? 0;
      const delta = async (expr: string) => (await value(expr, at1)) - (await value(expr, at0));

      // Over the whole run: every call the lanes made upstream is one the emulators answered
      // (both: the latency lane has two endpoints), and the other way round. Model calls and the
      // Batch API calls of the batch-api jobs (`batches.create/get`, operation `batch`) alike;
      // the attempt that lost a hedge race too: the lane aborts it (`cancelled`), and its
      // emulator counts it when the connection closes.
      const served = routeCount(upstreamStats(env), [...MODEL_ROUTES, ...BATCH_ROUTES]);
      // Upstream calls are exactly the operation-duration samples: the instrumentation records
      // one per call of the lanes' clients (each attempt of a retried call), with the same
      // `requests` increment; a call refused or cancelled before sending, a cache hit and a
      // call coalesced onto an identical one in flight record none.
      const durations = prometheusSeries(METRICS.operationDuration, config.prometheus.naming);
      const durationCount = durations.series.find((name) => name.endsWith('_count'));
      expect(durationCount, durations.series.join(', ')).toBeDefined();
      expect(await value(`sum(${durationCount}{job="${job()}"})`, at1), context()).toBe(served);
      // The requests counter of the outcomes of a call that was sent counts, besides those
      // calls, every caller the response cache answered: a hit (`success`, or `cancelled` for
      // a caller that had already left) and a coalesced caller (the shared call's `success` or
      // `error`, `cancelled` if it left; `rejected` only if the shared call was refused at
      // admission, which the test avoids: its cache traffic runs after the round's burst, on a
      // lane with free slots). So sent − (hits + coalesced) is exactly what the emulator served.
      // (`cancelled` is also what a lane records for a call cancelled while still queued, never
      // sent; the test cancels no such call: its only cancellation is a stream being read.)
      const lookups = prometheusSeries(METRICS.cacheLookups, config.prometheus.naming).name;
      const answeredByCache = await value(
        `sum(${lookups}{job="${job()}", ${labelName(ATTR.cacheResult)}=~"hit|coalesced"})`,
        at1,
      );
      expect(answeredByCache, context()).toBeGreaterThan(0);
      expect(
        (await value(`sum(${requests}{job="${job()}", ${sent}})`, at1)) - answeredByCache,
        context(),
      ).toBe(served);

      // The measured phase, from the raw counters: exact. It has no hedge: a healthy stream's
      // first chunk comes long before the hedge delay, unless this process stalls for that long
      // (the emulators bill the input of a hedge's aborted attempt; the lane records none).
      const hedges = prometheusSeries(METRICS.hedges, config.prometheus.naming).name;
      expect(
        await delta(`sum(${hedges}{job="${job()}"})`),
        `hedges during the measured phase: the test process stalled for ${HEDGE_DELAY_MS} ms or more\n${context()}`,
      ).toBe(0);
      expect(measured.requests).toBeGreaterThan(REQUESTS_PER_SECOND * 5);
      const requestsDelta = await delta(`sum(${requests}{job="${job()}", ${sent}})`);
      expect(requestsDelta, context()).toBe(measured.requests);
      const tokensDelta = await delta(
        `sum(${tokens}{job="${job()}", ${labelName(ATTR.requestModel)}="${MODEL}"})`,
      );
      expect(tokensDelta, context()).toBe(measured.tokens);

      // increase() over a fixed window ending at t1 and opening three scrapes before t0, inside
      // the quiet spell (so its first sample is one from before the traffic): the counters are
      // flat at both ends, so the delta is exact and only Prometheus's extrapolation to the
      // window's edges adds to it: at most the two scrape intervals the first and last samples
      // can sit inside the window.
      const scrape = INTERVAL_SECONDS;
      const window = Math.ceil((t1 - t0) / 1000) + 3 * scrape;
      // A series born inside the window would lose its first value to increase(): none may be.
      const selector = `${requests}{job="${job()}", ${sent}}`;
      const born = await api().vector(`${selector} unless ${selector} @ ${at0.toFixed(3)}`, at1);
      expect(
        born.map((s) => s.metric),
        context(),
      ).toEqual([]);
      const increase = await value(
        `sum(increase(${requests}{job="${job()}", ${sent}}[${window}s]))`,
        at1,
      );
      expect(increase, context()).toBeGreaterThanOrEqual(measured.requests);
      expect(increase, context()).toBeLessThanOrEqual(
        (measured.requests * window) / (window - 2 * scrape) + 1e-9,
      );

      // The recording rules: the recorded per-second rates, summed over every evaluation of the
      // window (one a second), give back the raw counters' deltas within the jitter of scrape
      // and evaluation times (each call is seen by about five overlapping 6 s windows), plus
      // rate()'s extrapolation to the edges of each window, which can add up to about one
      // scrape interval in six (1 s of a 6 s window) where traffic starts or stops: 20 %.
      const recorded = async (record: string) =>
        (await value(`sum(sum_over_time(${record}{job="${job()}"}[${window}s]))`, at1)) * scrape;
      const requestsRecorded = await recorded(names.requests);
      expect(Math.abs(requestsRecorded / requestsDelta - 1), context()).toBeLessThan(0.2);
      const allTokensDelta = await delta(`sum(${tokens}{job="${job()}"})`);
      const tokensRecorded = await recorded(names.tokens);
      expect(Math.abs(tokensRecorded / allTokensDelta - 1), context()).toBeLessThan(0.2);
    }, 30_000);

    it('answers repeated deterministic calls from the response cache, and evicts past its bound', async () => {
      const at1 = measured.t1 / 1000;
      const value = async (expr: string) => (await api().value(expr, at1)) ?? 0;
      const naming = config.prometheus.naming;
      const lookups = prometheusSeries(METRICS.cacheLookups, naming).name;
      const result = labelName(ATTR.cacheResult);
      const count = (r: string) =>
        value(`sum(${lookups}{job="${job()}", ${LANE}="latency", ${result}="${r}"})`);
      const [hit, coalesced, miss] = [
        await count('hit'),
        await count('coalesced'),
        await count('miss'),
      ];
      const { concurrent, repeats, fillers } = CACHE_ROUND;
      const rounds = ROUNDS.length;
      // Per round and kind (unary, stream): one miss and `concurrent − 1` coalesced calls, then
      // `repeats` calls after it: hits, or coalesced if one arrives before the store's write has
      // landed (the flight stays joinable until then), so only their sum is fixed. The fillers
      // all miss. Every other interactive call of the test has no temperature: `bypass`.
      expect({ answered: hit + coalesced, miss }, context()).toEqual({
        answered: rounds * 2 * (concurrent - 1 + repeats),
        miss: rounds * (2 + fillers),
      });
      expect(hit, context()).toBeGreaterThan(0);
      expect(coalesced, context()).toBeGreaterThan(0);
      // The memory store: bytes held within its bound, and the fillers evicted older entries.
      const size = await value(
        `sum(${prometheusSeries(METRICS.cacheSize, naming).name}{job="${job()}", ${LANE}="latency"})`,
      );
      expect(size, context()).toBeGreaterThan(0);
      expect(size, context()).toBeLessThanOrEqual(CACHE_MAX_BYTES);
      const evictions = await value(
        `sum(${prometheusSeries(METRICS.cacheEvictions, naming).name}{job="${job()}", ${LANE}="latency"})`,
      );
      expect(evictions, context()).toBeGreaterThan(0);
    }, 30_000);

    it('hedges held-back streams, falls back on 429 and 503, and ejects the failing endpoint', async () => {
      const at1 = measured.t1 / 1000;
      const naming = config.prometheus.naming;
      const count = async (key: MetricKey, matchers: string) =>
        (await api().value(
          `sum(${prometheusSeries(METRICS[key], naming).name}{job="${job()}", ${LANE}="latency"${matchers}})`,
          at1,
        )) ?? 0;
      const outcome = labelName(ATTR.hedgeOutcome);
      const reason = labelName(ATTR.fallbackReason);
      const rounds = ROUNDS.length;
      // Each round: a held-back stream whose hedge was held too (lost) and one whose hedge was
      // sent after the hold was lifted (won). Nothing else was slow enough to hedge before the
      // regression; a `won` short means the release came after the hedge: this process stalled
      // for about the hedge delay.
      expect(
        {
          won: await count('hedges', `, ${outcome}="won"`),
          lost: await count('hedges', `, ${outcome}="lost"`),
        },
        `hedges by outcome (one short, or one more: the test process stalled for about ${HEDGE_DELAY_MS} ms)\n${context()}`,
      ).toEqual({ won: rounds, lost: rounds });
      // Each round: a 503 by header (overloaded), and at least one 429 of the rate-limited
      // model (rate_limited); the fault spell's random 503s may add to the first. All to the
      // fallback model, the only one a fallback goes to.
      const model = labelName(ATTR.requestModel);
      const fallbacks = {
        overloaded: await count('fallbacks', `, ${reason}="overloaded"`),
        rateLimited: await count('fallbacks', `, ${reason}="rate_limited"`),
        queue: await count('fallbacks', `, ${reason}="queue"`),
        otherModel: await count('fallbacks', `, ${model}!="${FALLBACK_MODEL}"`),
      };
      const seen = `fallbacks ${JSON.stringify(fallbacks)}\n${context()}`;
      expect(fallbacks.overloaded, seen).toBeGreaterThanOrEqual(rounds);
      expect(fallbacks.rateLimited, seen).toBeGreaterThanOrEqual(rounds);
      expect({ queue: fallbacks.queue, otherModel: fallbacks.otherModel }, seen).toEqual({
        queue: 0,
        otherModel: 0,
      });
      // The spare, once a round (a failure while on probation, just back, would eject it again).
      const port = labelName(ATTR.serverPort);
      expect(
        await count('endpointEjections', `, ${port}="${new URL(env.spareEmulator.url).port}"`),
        context(),
      ).toBeGreaterThanOrEqual(rounds);
    }, 30_000);

    it('runs a parallel job and a batch-api job to one result per input line', async () => {
      const at1 = measured.t1 / 1000;
      const value = async (expr: string) => (await api().value(expr, at1)) ?? 0;
      const naming = config.prometheus.naming;
      const lines = Array.from({ length: JOB_LINES }, (_, i) => i + 1);
      expect(jobs.map((j) => `${j.mode}-${j.round}`).sort(), context()).toEqual(
        ROUNDS.flatMap((r) => JOB_MODES.map((m) => `${m}-${r}`)).sort(),
      );
      for (const { round, mode, outcome } of jobs) {
        const { summary, results } = outcome;
        const what = `${mode} job of round ${round}: ${JSON.stringify(results)}`;
        expect(summary, what).toMatchObject({
          done: JOB_LINES,
          failed: 0,
          written: JOB_LINES,
          resumed: false,
        });
        // Exactly one result per input line, each under its line's id, none an error.
        const ordered =
          mode === 'batch-api' ? results : [...results].sort((a, b) => a.line - b.line);
        expect(
          ordered.map((r) => r.line),
          what,
        ).toEqual(lines);
        expect(
          ordered.map((r) => r.id),
          what,
        ).toEqual(lines.map((n) => `${mode}-${round}-${n}`));
        expect(
          results.filter((r) => r.error !== undefined),
          what,
        ).toEqual([]);
      }
      // The job items counter: every line of every job, completed.
      const items = prometheusSeries(METRICS.jobItems, naming).name;
      const state = labelName(ATTR.itemState);
      expect(
        await value(`sum(${items}{job="${job()}", ${LANE}="throughput", ${state}="completed"})`),
        context(),
      ).toBe(jobs.length * JOB_LINES);
      expect(await value(`sum(${items}{job="${job()}", ${state}="failed"})`), context()).toBe(0);
      // The Batch API metrics: one inline batch per batch-api job (one chunk, one model), seen
      // through to `succeeded`, and each of its requests succeeded.
      const batchJobs = jobs.filter((j) => j.mode === 'batch-api').length;
      const batchState = labelName(ATTR.batchState);
      const batches = prometheusSeries(METRICS.batchJobs, naming).name;
      const batchRequests = prometheusSeries(METRICS.batchRequests, naming).name;
      expect(env.emulator.stats().batchesCreated, context()).toBe(batchJobs);
      expect(
        {
          waiting: await value(`sum(${batches}{job="${job()}", ${batchState}=~"pending|running"})`),
          succeeded: await value(`sum(${batches}{job="${job()}", ${batchState}="succeeded"})`),
          requestsSucceeded: await value(
            `sum(${batchRequests}{job="${job()}", ${batchState}="succeeded"})`,
          ),
          requestsOther: await value(
            `sum(${batchRequests}{job="${job()}", ${batchState}!="succeeded"})`,
          ),
        },
        context(),
      ).toEqual({
        waiting: 0,
        succeeded: batchJobs,
        requestsSucceeded: batchJobs * JOB_LINES,
        requestsOther: 0,
      });
    }, 30_000);

    it('exports spans over OTLP with the GenAI attributes and no API key', async () => {
      await env.service.sdk.forceFlush();
      const spans = await pollUntil(
        async () =>
          env.otlp.spans.filter((s) => s.attributes[ATTR.operationName] === 'generate_content'),
        (list) => list.length > 0,
        { timeoutMs: 15_000, description: 'generate_content spans at the OTLP receiver' },
      );
      for (const lane of ['latency', 'throughput'] as const) {
        const ok = spans.find(
          (s) =>
            s.attributes[ATTR.lane] === lane &&
            s.statusCode !== 2 &&
            s.attributes['gen_ai.usage.output_tokens'] !== undefined,
        );
        expect(ok, `a successful generate_content span of the ${lane} lane`).toBeDefined();
        expect(ok?.name).toBe(`generate_content ${MODEL}`);
        expect(ok?.kind).toBe(3); // CLIENT
        expect(ok?.resource['service.name']).toBe(config.service);
        expect(ok?.attributes).toMatchObject({
          [ATTR.operationName]: 'generate_content',
          [ATTR.requestModel]: MODEL,
          [ATTR.providerName]: 'gcp.gemini',
          [ATTR.lane]: lane,
          [ATTR.serverAddress]: '127.0.0.1',
          // The router's decision: the test's calls carry an explicit hint.
          [ATTR.routeReason]: 'explicit',
        });
        expect(ok?.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
        expect(ok?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
        expect(typeof ok?.attributes['gen_ai.response.id']).toBe('string');
      }
      // The faulted, rate-limited and stalled calls ended spans with error.type.
      const errorTypes = new Set(spans.map((s) => s.attributes[ATTR.errorType]).filter(Boolean));
      expect([...errorTypes], context()).toEqual(
        expect.arrayContaining(['timeout', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL']),
      );
      const streams = env.otlp.spans.filter((s) => s.attributes[ATTR.requestStream] === 'true');
      expect(streams.length).toBeGreaterThan(0);
      // The latency lane marks each attempt: a retry on the other endpoint (the interactive
      // 500), a hedge (the held-back streams), the fallback model after a 503 or a 429.
      const latencySpans = spans.filter((s) => s.attributes[ATTR.lane] === 'latency');
      const attempts = new Set(latencySpans.map((s) => s.attributes[ATTR.attemptKind]));
      expect([...attempts], context()).toEqual(
        expect.arrayContaining(['first', 'retry', 'hedge', 'fallback']),
      );
      const fallbacks = latencySpans.filter((s) => s.attributes[ATTR.attemptKind] === 'fallback');
      expect(
        [...new Set(fallbacks.map((s) => s.attributes[ATTR.fallbackReason]))],
        context(),
      ).toEqual(expect.arrayContaining(['overloaded', 'rate_limited']));
      expect(
        fallbacks.every((s) => s.attributes[ATTR.requestModel] === FALLBACK_MODEL),
        context(),
      ).toBe(true);
      expect(env.otlp.rawBodies.some((body) => body.includes(API_KEY))).toBe(false);
    }, 30_000);

    it('pages on a latency regression: fires in Prometheus, reaches Alertmanager as critical, clears after recovery', async () => {
      const router = env.service.lanes.router;
      // Both endpoints of the latency lane regress: it would move its traffic to a healthy one.
      const regress = (latencyMultiplier: number) =>
        Promise.all(
          [env.emulator.url, env.spareEmulator.url].map((url) =>
            controlEmulator(url, { latencyMultiplier }),
          ),
        );
      const isPage = (labels: Record<string, string>) =>
        labels.alertname === PAGE_ALERT &&
        labels.long_window === '1h' &&
        labels[LANE] === 'latency' &&
        labels.job === job();
      /** Waits until the pager webhook has been sent the page in `status`. */
      const pagerTold = (status: 'firing' | 'resolved', description: string) =>
        pollUntil(
          async () => env.webhook.notifications,
          (list) =>
            list.some(
              (n) =>
                n.path === '/page' && n.alerts.some((a) => a.status === status && isPage(a.labels)),
            ),
          { timeoutMs: 30_000, description },
        );

      // Quiet so far: the mixed phase's few bad events never made it page.
      const since = Math.ceil((Date.now() - trafficStart) / 1000) + 5;
      const everFired = await api().vector(
        `count_over_time(ALERTS{alertname="${PAGE_ALERT}", long_window="1h", alertstate="firing"}[${since}s])`,
      );
      expect(everFired, 'the page alert before the regression').toEqual([]);

      const load = openLoop(REQUESTS_PER_SECOND, (n) =>
        interactiveCall(router, MODEL, n % 2 === 0 ? 'stream' : 'unary', n, ledger),
      );
      try {
        await runFor(3_000);
        await regress(REGRESSION_MULTIPLIER);

        const firing = await pollUntil(
          () => api().alerts(),
          (alerts) => alerts.some((a) => isPage(a.labels) && a.state === 'firing'),
          { timeoutMs: 60_000, intervalMs: 500, description: `${PAGE_ALERT} (1h/5m pair) to fire` },
        );
        expect(firing.find((a) => isPage(a.labels))?.labels.severity).toBe(PAGE);

        const received = await pollUntil(
          () => env.alertmanager.api.alerts([`alertname="${PAGE_ALERT}"`, 'long_window="1h"']),
          (alerts) => alerts.some((a) => isPage(a.labels)),
          { timeoutMs: 30_000, description: `Alertmanager to hold ${PAGE_ALERT}` },
        );
        const held = received.find((a) => isPage(a.labels));
        expect(held?.labels.severity).toBe(PAGE);
        expect(held?.status.state).toBe('active');
        expect(held?.receivers.map((r) => r.name)).toEqual(['pager']);
        await pagerTold('firing', 'the pager webhook to be notified');

        await regress(1);
        await pollUntil(
          () => api().alerts(),
          (alerts) => !alerts.some((a) => isPage(a.labels)),
          {
            timeoutMs: 60_000,
            intervalMs: 500,
            description: `${PAGE_ALERT} (1h/5m pair) to clear`,
          },
        );
        await pagerTold('resolved', 'the pager webhook to be told it resolved');
        expect(
          env.webhook.notifications.filter(
            (n) => n.path === '/ticket' && n.alerts.some((a) => isPage(a.labels)),
          ),
          'a page routed to the ticket queue',
        ).toEqual([]);
      } finally {
        await regress(1).catch(() => {});
        await load.stop();
      }
    }, 150_000);
  });
}

const lookup = findServiceBinaries();
if (lookup.ok) {
  suite(lookup.binaries);
} else {
  // The README's test command (make test) installs them; a run without them is a failed run,
  // never a silently skipped one (the promtool tests of @gemini-lanes/alerts do the same).
  const message = `the end-to-end test needs ${lookup.missing.join(' and ')}: run ${SETUP_COMMAND} (as root; it installs them from Debian's archive)`;
  describe('end to end', () => {
    it('finds Prometheus and Alertmanager', () => {
      throw new Error(message);
    });
  });
}
