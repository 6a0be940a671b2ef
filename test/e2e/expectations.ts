/**
 * What the end-to-end test expects to find missing, and why. Every entry is asserted exactly: a
 * query or series listed here that starts returning data fails the test too, so the lists shrink
 * as the cache, hedging, the fallback model and Batch API jobs land, and never hide a regression.
 */
import type { Lane, MetricKey } from '@gemini-lanes/core';

/** Where a catalog metric's series must exist after the test's traffic. */
export type SeriesExpectation =
  /** Series exist for exactly these lanes (`gemini_lanes_lane` values). */
  | { lanes: readonly Lane[] }
  /** The metric has no lane label; series exist. */
  | { present: true }
  /** No series at all, for this reason. */
  | { absent: string };

const NO_BATCH_API_JOB =
  'no Batch API job runs yet: the throughput lane has no batch-api job mode (issue: job runner, batch-api)';
const NO_CACHE = 'the latency lane has no response cache yet (lanes.latency.cache)';

/**
 * Every metric of core's catalog (`satisfies Record<MetricKey, …>`: a metric added to the catalog
 * fails the typecheck here until the test says where it should appear). Counters the catalog
 * pre-initialises (`preinitialize`) exist for both lanes from the start; the rest appear with
 * their first recording.
 */
export const SERIES_EXPECTATIONS = {
  operationDuration: { lanes: ['latency', 'throughput'] },
  tokenUsage: { lanes: ['latency', 'throughput'] },
  // Only interactive traffic streams (the router sends streams to the latency lane).
  timeToFirstChunk: { lanes: ['latency'] },
  timePerOutputChunk: { lanes: ['latency'] },
  requests: { lanes: ['latency', 'throughput'] },
  // The latency lane's admission queue; the throughput lane's waiting work is its backlog.
  queueDepth: { lanes: ['latency'] },
  queueWait: { lanes: ['latency'] },
  rejections: { lanes: ['latency', 'throughput'] },
  backlog: { lanes: ['throughput'] },
  inflight: { lanes: ['latency', 'throughput'] },
  concurrencyLimit: { lanes: ['latency', 'throughput'] },
  quotaUtilization: { lanes: ['latency', 'throughput'] },
  cacheLookups: { lanes: ['latency', 'throughput'] },
  cacheSize: { absent: NO_CACHE },
  cacheEvictions: { absent: NO_CACHE },
  retries: { lanes: ['latency', 'throughput'] },
  hedges: { absent: 'the latency lane does not hedge yet (lanes.latency.hedging)' },
  fallbacks: {
    absent: 'the latency lane has no fallback model yet (lanes.latency.fallbackModel)',
  },
  poolConnections: { lanes: ['latency', 'throughput'] },
  tokens: { lanes: ['latency', 'throughput'] },
  cost: { lanes: ['latency', 'throughput'] },
  routed: { lanes: ['latency', 'throughput'] },
  batchJobs: { absent: NO_BATCH_API_JOB },
  batchRequests: { absent: NO_BATCH_API_JOB },
  jobItems: { lanes: ['latency', 'throughput'] },
} as const satisfies Record<MetricKey, SeriesExpectation>;

const NAN_FROM_ZEROS =
  'only the pre-initialised zero counters exist, so the ratio is 0/0 = NaN (Grafana shows no value)';

/**
 * Dashboard queries (`<dashboard uid> › <panel title> › <refId>`) that return no data, or only
 * NaN, for the test's traffic, with the reason. Every other query must return data.
 */
export const EXPECTED_EMPTY_QUERIES: Readonly<Record<string, string>> = {
  'gemini-lanes-latency › Cache hit ratio › A': `${NO_CACHE}: ${NAN_FROM_ZEROS}`,
  'gemini-lanes-latency › Cache hit ratio › B': `${NO_CACHE}: ${NAN_FROM_ZEROS}`,
  'gemini-lanes-throughput › Batch API jobs by state › A': NO_BATCH_API_JOB,
  'gemini-lanes-throughput › Batch API requests by final state › A': NO_BATCH_API_JOB,
};

/** Recording rules (`<record>{<rule labels>}`) expected to record nothing, with the reason. */
export const EXPECTED_SILENT_RECORDS: Readonly<Record<string, string>> = {};
