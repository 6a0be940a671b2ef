import { ATTR, type Lane, METRICS, VALUES } from '@gemini-lanes/core';
import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, Histogram, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** Bucket counts of a histogram, summed over the series of one lane. */
export interface BucketCounts {
  /** Upper bounds, ascending; the last bucket (+Inf) has no bound. */
  boundaries: number[];
  /** `boundaries.length + 1` counts (not cumulative). */
  counts: number[];
}

/** Cumulative totals for one lane at one instant, read from the process's own meter. */
export interface LaneTotals {
  /** Streams that delivered a first chunk: time to it, seconds. */
  ttft: BucketCounts;
  /** Streams that failed (or were given up) before a first chunk. */
  ttftFailed: number;
  /** Calls that succeeded: duration, seconds. */
  duration: BucketCounts;
  /** Unary `generate_content` calls that succeeded: duration, seconds (the unary SLI). */
  unary: BucketCounts;
  /** Unary `generate_content` calls that failed. */
  unaryFailed: number;
  /** Requests by outcome. */
  outcomes: Record<string, number>;
  rejections: number;
  /** Upstream calls retried (429, 5xx, resets, timeouts). */
  retries: number;
  /** Billed tokens of every kind. */
  tokens: number;
  costUsd: number;
  cacheHits: number;
  cacheLookups: number;
  /** Instant values. Waiting work: the latency lane's admission queue, the throughput lane's backlog. */
  queueDepth: number;
  inflight: number;
  concurrencyLimit: number;
  /** The highest utilisation over models and dimensions (share of the quota this lane used). */
  quotaUtilization: number;
}

export type Snapshot = Record<Lane, LaneTotals>;

function emptyBuckets(): BucketCounts {
  return { boundaries: [], counts: [] };
}

function emptyTotals(): LaneTotals {
  return {
    ttft: emptyBuckets(),
    ttftFailed: 0,
    duration: emptyBuckets(),
    unary: emptyBuckets(),
    unaryFailed: 0,
    outcomes: {},
    rejections: 0,
    retries: 0,
    tokens: 0,
    costUsd: 0,
    cacheHits: 0,
    cacheLookups: 0,
    queueDepth: 0,
    inflight: 0,
    concurrencyLimit: 0,
    quotaUtilization: 0,
  };
}

function addBuckets(into: BucketCounts, value: Histogram): void {
  const { boundaries, counts } = value.buckets;
  if (into.counts.length === 0) {
    into.boundaries = [...boundaries];
    into.counts = counts.map(() => 0);
  }
  // Every series of one instrument shares its boundaries (they come from the catalog).
  counts.forEach((count, i) => {
    into.counts[i] = (into.counts[i] ?? 0) + count;
  });
}

function laneOf(attributes: Attributes): Lane | undefined {
  const lane = attributes[ATTR.lane];
  return (VALUES.lane as readonly unknown[]).includes(lane) ? (lane as Lane) : undefined;
}

/** Per-lane totals from one collection of the demo's in-memory reader (cumulative temporality). */
export function laneSnapshot(collected: ResourceMetrics): Snapshot {
  const out: Snapshot = { latency: emptyTotals(), throughput: emptyTotals() };
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      const name = metric.descriptor.name;
      for (const point of metric.dataPoints as Array<DataPoint<number | Histogram>>) {
        const lane = laneOf(point.attributes);
        if (lane === undefined) continue;
        const t = out[lane];
        const value = point.value;
        const a = point.attributes;
        if (typeof value !== 'number') {
          // Failed calls carry error.type: they count against the SLI but are not latencies
          // a user waited for an answer, so the percentiles leave them out (as the SLI does).
          const failed = a[ATTR.errorType] !== undefined;
          const unary =
            a[ATTR.requestStream] === 'false' && a[ATTR.operationName] === 'generate_content';
          if (name === METRICS.timeToFirstChunk.name) {
            if (failed) t.ttftFailed += value.count;
            else addBuckets(t.ttft, value);
          } else if (name === METRICS.operationDuration.name) {
            if (unary && failed) t.unaryFailed += value.count;
            else if (unary) addBuckets(t.unary, value);
            if (!failed) addBuckets(t.duration, value);
          }
          continue;
        }
        switch (name) {
          case METRICS.requests.name: {
            const outcome = String(a[ATTR.outcome]);
            t.outcomes[outcome] = (t.outcomes[outcome] ?? 0) + value;
            break;
          }
          case METRICS.rejections.name:
            t.rejections += value;
            break;
          case METRICS.retries.name:
            t.retries += value;
            break;
          case METRICS.tokens.name:
            // The kinds are disjoint (uncached input, cached input, output, thinking, tool use).
            t.tokens += value;
            break;
          case METRICS.cost.name:
            t.costUsd += value;
            break;
          case METRICS.cacheLookups.name:
            t.cacheLookups += value;
            if (a[ATTR.cacheResult] === 'hit' || a[ATTR.cacheResult] === 'coalesced') {
              t.cacheHits += value;
            }
            break;
          // The latency lane queues in its admission queue, the throughput lane in its backlog
          // (calls waiting for a slot); each lane records only its own.
          case METRICS.queueDepth.name:
          case METRICS.backlog.name:
            t.queueDepth += value;
            break;
          case METRICS.inflight.name:
            t.inflight += value;
            break;
          case METRICS.concurrencyLimit.name:
            t.concurrencyLimit += value;
            break;
          case METRICS.quotaUtilization.name:
            t.quotaUtilization = Math.max(t.quotaUtilization, value);
            break;
        }
      }
    }
  }
  return out;
}

/** The difference of two bucket counts (later minus earlier), for a windowed quantile. */
export function bucketDelta(later: BucketCounts, earlier: BucketCounts): BucketCounts {
  if (earlier.counts.length === 0) return later;
  return {
    boundaries: later.boundaries,
    counts: later.counts.map((c, i) => c - (earlier.counts[i] ?? 0)),
  };
}

/**
 * The q-quantile of bucketed observations, interpolated linearly inside the bucket as
 * Prometheus's `histogram_quantile` does (so the demo and the dashboards agree); undefined with
 * no observations. A quantile in the +Inf bucket reports the highest finite bound.
 */
export function bucketQuantile(buckets: BucketCounts, q: number): number | undefined {
  const total = buckets.counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.counts.length; i++) {
    const count = buckets.counts[i] ?? 0;
    if (below + count >= rank && count > 0) {
      const upper = buckets.boundaries[i];
      if (upper === undefined) return buckets.boundaries.at(-1);
      const lower = i === 0 ? 0 : (buckets.boundaries[i - 1] ?? 0);
      return lower + (upper - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return buckets.boundaries.at(-1);
}

function countWithin(buckets: BucketCounts, bound: number): number {
  let within = 0;
  buckets.counts.forEach((count, i) => {
    const upper = buckets.boundaries[i];
    if (upper !== undefined && upper <= bound) within += count;
  });
  return within;
}

const total = (buckets: BucketCounts) => buckets.counts.reduce((a, b) => a + b, 0);

/**
 * The share of observations at or under `bound` (seconds), counting whole buckets: exact when
 * `bound` is a bucket boundary, as every SLI threshold is. Undefined without observations.
 */
export function shareWithin(buckets: BucketCounts, bound: number): number | undefined {
  const all = total(buckets);
  return all > 0 ? countWithin(buckets, bound) / all : undefined;
}

/**
 * The latency SLI as the dashboards and alerts compute it: good events are streams whose first
 * chunk came within `ttftSeconds` and unary calls done within `durationSeconds`, without error;
 * every stream and unary call counts, and so does every call refused or timed out before it
 * was sent (shedding load never makes the SLI look better). Undefined without events.
 */
export function latencySli(
  t: LaneTotals,
  sla: { ttftSeconds: number; durationSeconds: number },
): number | undefined {
  const good = countWithin(t.ttft, sla.ttftSeconds) + countWithin(t.unary, sla.durationSeconds);
  const all =
    total(t.ttft) +
    t.ttftFailed +
    total(t.unary) +
    t.unaryFailed +
    (t.outcomes.rejected ?? 0) +
    (t.outcomes.timed_out ?? 0);
  return all > 0 ? good / all : undefined;
}
