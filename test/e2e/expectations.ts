/**
 * What the end-to-end test expects to find missing, and why. Every entry is asserted exactly: a
 * query or series listed here that starts returning data fails the test too, so the lists only
 * shrink, and never hide a regression.
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
  // The memory store of the latency lane's response cache; the cache traffic's fillers exceed
  // its small test bound (`lanes.latency.cache.maxBytes`), so older entries are evicted.
  cacheSize: { lanes: ['latency'] },
  cacheEvictions: { lanes: ['latency'] },
  retries: { lanes: ['latency', 'throughput'] },
  // The latency lane's tail levers (the throughput lane has none of them): the held-back streams
  // are hedged, the 503s and 429s go to the fallback model, and the spare endpoint is ejected.
  hedges: { lanes: ['latency'] },
  fallbacks: { lanes: ['latency'] },
  endpointEjections: { lanes: ['latency'] },
  poolConnections: { lanes: ['latency', 'throughput'] },
  tokens: { lanes: ['latency', 'throughput'] },
  cost: { lanes: ['latency', 'throughput'] },
  routed: { lanes: ['latency', 'throughput'] },
  // Recorded by the batch runner of the batch-api jobs, without a lane label.
  batchJobs: { present: true },
  batchRequests: { present: true },
  jobItems: { lanes: ['latency', 'throughput'] },
} as const satisfies Record<MetricKey, SeriesExpectation>;

/**
 * Dashboard queries (`<dashboard uid> › <panel title> › <refId>`) that return no data, or only
 * NaN, for the test's traffic, with the reason. Every other query must return data.
 */
export const EXPECTED_EMPTY_QUERIES: Readonly<Record<string, string>> = {};

/** Recording rules (`<record>{<rule labels>}`) expected to record nothing, with the reason. */
export const EXPECTED_SILENT_RECORDS: Readonly<Record<string, string>> = {};
