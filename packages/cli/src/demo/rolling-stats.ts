import { type Lane, VALUES } from '@gemini-lanes/core';
import { bucketDelta, bucketQuantile, type LaneTotals, type Snapshot } from './lane-snapshot.js';

/** What the live view shows for one lane, over the recent window. */
export interface LaneStats {
  /** Time to first chunk of streams, milliseconds. */
  ttftMs: { p50: number | undefined; p95: number | undefined; p99: number | undefined };
  /** Duration of every call, milliseconds. */
  durationP95Ms: number | undefined;
  requestsPerSecond: number;
  /** Refused or expired before sending, per second. */
  rejectedPerSecond: number;
  errorsPerSecond: number;
  /** Upstream calls retried, per second. */
  retriesPerSecond: number;
  tokensPerSecond: number;
  costPerHourUsd: number;
  /** Hits (and coalesced waits) over lookups; undefined without lookups. */
  cacheHitRatio: number | undefined;
  queueDepth: number;
  inflight: number;
  concurrencyLimit: number;
  quotaUtilization: number;
  /** Since the start. */
  totalRequests: number;
  totalCostUsd: number;
}

interface Entry {
  atMs: number;
  snapshot: Snapshot;
}

const sum = (record: Record<string, number>, keys: readonly string[]) =>
  keys.reduce((total, key) => total + (record[key] ?? 0), 0);

/**
 * Per-lane rates and percentiles over the last `windowMs`, from cumulative snapshots taken about
 * once a second: the difference between the newest snapshot and the one a window ago, the way
 * `rate()` and `histogram_quantile()` read a Prometheus range.
 */
export class RollingStats {
  readonly #windowMs: number;
  readonly #entries: Entry[] = [];

  constructor(windowMs = 10_000) {
    this.#windowMs = windowMs;
  }

  push(atMs: number, snapshot: Snapshot): void {
    this.#entries.push({ atMs, snapshot });
    // Keep one entry at or before the window's start, so the window is always covered.
    while (this.#entries.length > 2 && (this.#entries[1]?.atMs ?? atMs) <= atMs - this.#windowMs) {
      this.#entries.shift();
    }
  }

  /** Undefined until two snapshots exist. */
  stats(): Record<Lane, LaneStats> | undefined {
    const first = this.#entries[0];
    const last = this.#entries.at(-1);
    if (first === undefined || last === undefined || last === first) return undefined;
    const seconds = Math.max(0.001, (last.atMs - first.atMs) / 1000);
    const out = {} as Record<Lane, LaneStats>;
    for (const lane of VALUES.lane) {
      out[lane] = laneStats(last.snapshot[lane], first.snapshot[lane], seconds);
    }
    return out;
  }
}

function ms(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}

function laneStats(now: LaneTotals, then: LaneTotals, seconds: number): LaneStats {
  const ttft = bucketDelta(now.ttft, then.ttft);
  const duration = bucketDelta(now.duration, then.duration);
  const outcomes = Object.keys(now.outcomes);
  const delta = (keys: readonly string[]) => sum(now.outcomes, keys) - sum(then.outcomes, keys);
  const lookups = now.cacheLookups - then.cacheLookups;
  return {
    ttftMs: {
      p50: ms(bucketQuantile(ttft, 0.5)),
      p95: ms(bucketQuantile(ttft, 0.95)),
      p99: ms(bucketQuantile(ttft, 0.99)),
    },
    durationP95Ms: ms(bucketQuantile(duration, 0.95)),
    requestsPerSecond: delta(outcomes) / seconds,
    rejectedPerSecond: delta(['rejected', 'timed_out']) / seconds,
    errorsPerSecond: delta(['error']) / seconds,
    retriesPerSecond: (now.retries - then.retries) / seconds,
    tokensPerSecond: (now.tokens - then.tokens) / seconds,
    costPerHourUsd: ((now.costUsd - then.costUsd) / seconds) * 3600,
    cacheHitRatio: lookups > 0 ? (now.cacheHits - then.cacheHits) / lookups : undefined,
    queueDepth: now.queueDepth,
    inflight: now.inflight,
    concurrencyLimit: now.concurrencyLimit,
    quotaUtilization: now.quotaUtilization,
    totalRequests: sum(now.outcomes, outcomes),
    totalCostUsd: now.costUsd,
  };
}
