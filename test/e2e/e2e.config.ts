/**
 * The end-to-end test profile: the production configuration with every time constant of the
 * alerts compressed (`alerts.timeScale`), an SLA the emulator's healthy latency clearly meets and
 * its regression clearly misses, and quotas that make 429s happen only where the test asks for
 * them. Real windows and `for` durations are covered by the promtool tests in alerts/tests/;
 * this profile only has to show that the same rules, loaded into a real Prometheus scraping a
 * real service, fire, route and clear.
 */
import { defineConfig } from '@gemini-lanes/core';
import type { EmulatorOptions } from '@gemini-lanes/emulator';

/**
 * Prometheus scrapes and evaluates rules every second, and the test tells Grafana's data source
 * the same (its "Scrape interval"), so `$__rate_interval` is 4 s.
 */
export const INTERVAL_SECONDS = 1;

/** The model of the generate traffic, the one whose upstream quota the test exhausts, and the embedding model. */
export const MODEL = 'gemini-2.5-flash';
export const RATE_LIMITED_MODEL = 'gemini-2.5-flash-lite';
export const EMBEDDING_MODEL = 'gemini-embedding-001';
/**
 * The latency lane's fallback model (`lanes.latency.fallbackModel`): a model with a quota of its
 * own, which takes one attempt when the primary answers 429 or 503. The emulators serve it as
 * fast as the generate model, so a fallback never costs the SLA.
 */
export const FALLBACK_MODEL = 'gemini-2.5-pro';

/** Requests a minute each emulator allows on `RATE_LIMITED_MODEL` (its own count: two emulators, two quotas). */
export const RATE_LIMITED_RPM = 3;

/** Any non-empty key works against the emulator; the test checks it never reaches a span. */
export const API_KEY = 'e2e-api-key-3f9c1d';

/**
 * Interactive calls per second, open loop. Enough that the page alert's minimum-traffic guard
 * (60 counted requests in the long window, a count that `timeScale` does not shrink) holds in
 * the compressed 72 s window many times over, and that the few bad events of the mixed phase
 * stay a small share of that window, so the page fires only when the regression starts.
 */
export const REQUESTS_PER_SECOND = 20;

/** Batch calls per second (generate calls and embeddings) through the throughput lane, open loop. */
export const BATCH_REQUESTS_PER_SECOND = 10;

/**
 * The latency regression the emulator is switched to: ×30 turns the healthy 40 ms median time
 * to first chunk into 1.2 s (96 % of streams over the 500 ms SLA) and a 70 ms unary call into
 * about 2 s (over the 1 s SLA); the calls piling up in the lane are refused, also bad events.
 */
export const REGRESSION_MULTIPLIER = 30;

/** Alertmanager's timers: the example's 30 s group wait and 5 m group interval would outlast the test. */
export const NOTIFICATION_TIMINGS = { groupWait: '1s', groupInterval: '1s', repeatInterval: '1m' };

/** The response cache's memory bound (see `lanes.latency.cache` below). */
export const CACHE_MAX_BYTES = 24 * 1024;

/**
 * Batch API timing of the jobs: the emulator keeps a batch pending `pendingMs`, then runs it
 * `msPerRequest` a request and at least `minRunningMs` (its defaults, 5 s and 5 s, would make a
 * job outlast the test's mixed phase); the job polls from `pollIntervalMs` up to
 * `maxPollIntervalMs` (the lane's default first poll is 30 s).
 */
export const BATCH_TIMING = { pendingMs: 300, msPerRequest: 20, minRunningMs: 300 };
export const BATCH_POLL = { pollIntervalMs: 100, maxPollIntervalMs: 250 };

/** Lines of each job the test runs, in each mode. */
export const JOB_LINES = 6;

/**
 * The latency lane's two endpoints (`lanes.latency.endpoints`): the main emulator, which the
 * throughput lane uses too, and a spare one, which the test makes fail until the lane ejects
 * it. Their URLs in `e2eConfig` are placeholders (`.invalid` never resolves): the environment
 * puts in the emulators' own, on free ports.
 */
export const ENDPOINTS = { main: 'main', spare: 'spare' } as const;

/**
 * The fixed hedge delay (`lanes.latency.hedging.delayMs`). Healthy, the emulators' time to first
 * chunk has a 90 ms p95, so no healthy stream is hedged: only the streams the test holds back
 * are, or a stall of the test process itself for a whole second (the emulators run in it). The
 * measured phase's exact counts depend on that: the emulator bills the input of a hedge's
 * aborted attempt, the lane records no usage for it.
 */
export const HEDGE_DELAY_MS = 1_000;

/**
 * How long the emulators hold back the first byte of the test's held-back streams
 * (`slow-first-byte`, asked by header, so wherever an attempt lands) while the test keeps the
 * hold on: a second past the hedge delay, so each is hedged; a hedge held too loses to its
 * stream's first attempt by that second, and one sent after the hold is lifted beats it by
 * about as much (`hedgedStreams` in support/traffic.ts).
 */
export const FIRST_BYTE_HOLD_MS = 2_000;

export const e2eConfig = defineConfig({
  service: 'gemini-lanes-e2e',
  quota: {
    models: {
      // Far above what the test sends: the lane's own limiter must never be what refuses a call.
      [MODEL]: { rpm: 1_000_000, inputTpm: 1_000_000_000, rpd: 100_000_000 },
      // The lane allows these; the emulator's tighter quota for this model answers 429.
      [RATE_LIMITED_MODEL]: { rpm: 1_000_000, inputTpm: 1_000_000_000, rpd: 100_000_000 },
      [EMBEDDING_MODEL]: { rpm: 1_000_000, inputTpm: 1_000_000_000, rpd: 100_000_000 },
      [FALLBACK_MODEL]: { rpm: 1_000_000, inputTpm: 1_000_000_000, rpd: 100_000_000 },
    },
  },
  lanes: {
    latency: {
      models: [MODEL],
      // Placeholders, replaced by the emulators' URLs at start (see ENDPOINTS).
      endpoints: [
        { url: 'http://main-emulator.invalid', name: ENDPOINTS.main },
        { url: 'http://spare-emulator.invalid', name: ENDPOINTS.spare },
      ],
      endpointHealth: {
        // Compressed like the alert windows: an endpoint that a held-back stream made look slow
        // (peak EWMA: up to 2 s) is back in the choice within about two seconds (about 30 s
        // with the default 10 s), so both keep taking traffic, and the spare is there to fail
        // when the test wants it ejected.
        decayMs: 500,
        ejectAfterFailures: 3,
        // Short, so the spare is soon back in rotation (on probation); the second ejection of a
        // run comes more than maxEjectionMs after the first, so it is not doubled.
        ejectionMs: 500,
        maxEjectionMs: 2_000,
      },
      hedging: {
        enabled: true,
        delayMs: HEDGE_DELAY_MS,
        // Over the last 10 s the lane starts about 100 streams: room for 20 hedges, where the
        // test asks for two a round.
        maxShare: 0.2,
      },
      fallbackModel: FALLBACK_MODEL,
      // A burst of 40 calls fills the 16 slots and the 8 queue places and is refused beyond.
      concurrency: 16,
      queue: { maxLength: 8 },
      sla: {
        // The production default. Healthy, the emulator's time to first chunk has a 40 ms
        // median and a 90 ms p95: a stream misses 500 ms only when the test process stalls for
        // over 400 ms (a loaded CI machine measures its own event loop too), which keeps the
        // page quiet until the regression.
        ttftMs: 500,
        // Healthy unary calls take 60-150 ms; regressed ones about 2 s.
        durationMs: 1_000,
        maxQueueWaitMs: 200,
        timeoutMs: 5_000,
      },
      cache: {
        // The production store (memory, on by default) with a small bound: a unary answer of
        // the emulator takes about 0.6 KB, a stream 1-6 KB, so the cache traffic's identical
        // calls are stored and hit, while its distinct "filler" calls (32 a round, 16 KB and
        // more) fill it past the bound by the second round and the oldest entries are evicted.
        maxBytes: CACHE_MAX_BYTES,
      },
    },
    throughput: {
      models: [MODEL],
      // The default first retry waits 0.5-60 s with jitter; a test's injected 5xx are retried
      // within a second instead, so the calls in flight drain before the measured phase.
      retry: { baseDelayMs: 50, maxDelayMs: 500 },
      timeoutMs: 10_000,
    },
  },
  alerts: {
    // 0.02: the page pair's 1 h / 5 m windows become 72 s / 6 s and its `for` 2m30s becomes 3 s,
    // so the page fires about 10 s into the regression and clears about 10 s after recovery;
    // the 5 m rate interval of the recording rules becomes 6 s. A 6 s window holds six 1 s
    // scrapes; much smaller scales (0.005: 1.5 s) leave rate() fewer than two samples, and the
    // SLI, the recording rules and the alerts would read nothing.
    timeScale: 0.02,
  },
});

/**
 * The main emulator as the test runs it: the real protocol with latency profiles fast enough to
 * be healthy against the SLA above (no thinking, short answers), no quota on the generate,
 * embedding and fallback models, 3 requests per minute on the model the test rate-limits, and
 * the `slow-first-byte` hold of FIRST_BYTE_HOLD_MS.
 */
/** The generate model's latency profile: fast and steady, so only what the test injects is slow. */
const FAST_GENERATION = {
  ttftMs: { median: 40, p95: 90 },
  thinking: 'default-off',
  outputTokens: { median: 48, p95: 120 },
  decodeTokensPerSecond: { median: 2_000, p95: 2_600 },
  loadSlowdown: 0,
} as const;

export const emulatorOptions: EmulatorOptions = {
  seed: 14,
  models: {
    [MODEL]: FAST_GENERATION,
    [RATE_LIMITED_MODEL]: {
      ttftMs: { median: 30, p95: 60 },
      thinking: 'default-off',
      outputTokens: { median: 32, p95: 64 },
      decodeTokensPerSecond: { median: 2_000, p95: 2_600 },
      loadSlowdown: 0,
    },
    // The built-in profile of this model thinks for seconds; as a fallback it must be as fast.
    [FALLBACK_MODEL]: FAST_GENERATION,
  },
  batch: BATCH_TIMING,
  quota: {
    [MODEL]: { rpm: null, inputTpm: null, rpd: null },
    [EMBEDDING_MODEL]: { rpm: null, inputTpm: null, rpd: null },
    [FALLBACK_MODEL]: { rpm: null, inputTpm: null, rpd: null },
    [RATE_LIMITED_MODEL]: { rpm: RATE_LIMITED_RPM },
  },
  faults: { slowFirstByteMs: FIRST_BYTE_HOLD_MS },
};

/**
 * The spare emulator behind the latency lane's second endpoint: the same models, quotas (its own
 * count of them) and faults, its own seed.
 */
export const spareEmulatorOptions: EmulatorOptions = { ...emulatorOptions, seed: 15 };
