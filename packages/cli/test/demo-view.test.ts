import { ATTR, defineConfig } from '@gemini-lanes/core';
import { createTelemetry } from '@gemini-lanes/otel';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { parseDemoDuration } from '../src/demo/demo-duration.js';
import {
  bucketQuantile,
  type LaneTotals,
  laneSnapshot,
  latencySli,
  type Snapshot,
  shareWithin,
} from '../src/demo/lane-snapshot.js';
import { LiveView, plainLine, renderFrame, type ViewFrame } from '../src/demo/live-view.js';
import { InMemoryMetricReader } from '../src/demo/metric-reader.js';
import { RollingStats } from '../src/demo/rolling-stats.js';

function totals(overrides: Partial<LaneTotals> = {}): LaneTotals {
  return {
    ttft: { boundaries: [0.1, 0.5, 1], counts: [0, 0, 0, 0] },
    ttftFailed: 0,
    duration: { boundaries: [], counts: [] },
    unary: { boundaries: [], counts: [] },
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
    ...overrides,
  };
}

describe('bucketQuantile', () => {
  it('interpolates inside the bucket as histogram_quantile does', () => {
    // 10 observations in (0.1, 0.5]: the median is half-way through that bucket.
    expect(bucketQuantile({ boundaries: [0.1, 0.5, 1], counts: [0, 10, 0, 0] }, 0.5)).toBeCloseTo(
      0.3,
    );
    expect(bucketQuantile({ boundaries: [0.1, 0.5, 1], counts: [5, 5, 0, 0] }, 0.5)).toBeCloseTo(
      0.1,
    );
  });

  it('reports the highest bound for the +Inf bucket and nothing without observations', () => {
    expect(bucketQuantile({ boundaries: [0.1, 0.5], counts: [0, 0, 3] }, 0.99)).toBe(0.5);
    expect(bucketQuantile({ boundaries: [0.1], counts: [0, 0] }, 0.5)).toBeUndefined();
  });

  it('counts the share at or under an exact boundary', () => {
    expect(shareWithin({ boundaries: [0.1, 0.5, 1], counts: [2, 6, 2, 0] }, 0.5)).toBe(0.8);
    expect(shareWithin({ boundaries: [0.1], counts: [0, 0] }, 0.1)).toBeUndefined();
  });
});

describe('laneSnapshot', () => {
  it('reads each lane from the telemetry, keeping failed first chunks out of the percentiles', async () => {
    const config = defineConfig({});
    const reader = new InMemoryMetricReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { instruments } = createTelemetry(config, { meterProvider });
    const base = {
      [ATTR.lane]: 'latency',
      [ATTR.operationName]: 'generate_content',
      [ATTR.requestModel]: 'gemini-2.5-flash-lite',
      [ATTR.providerName]: 'gcp.gemini',
    } as const;
    for (const seconds of [0.2, 0.3, 0.45, 0.7]) instruments.timeToFirstChunk.record(seconds, base);
    instruments.timeToFirstChunk.record(0.01, { ...base, [ATTR.errorType]: 'RESOURCE_EXHAUSTED' });
    instruments.operationDuration.record(1.2, { ...base, [ATTR.requestStream]: 'false' });
    instruments.operationDuration.record(3, { ...base, [ATTR.requestStream]: 'false' });
    instruments.requests.add(3, {
      [ATTR.lane]: 'latency',
      [ATTR.requestModel]: 'gemini-2.5-flash-lite',
      [ATTR.operationName]: 'generate_content',
      [ATTR.outcome]: 'rejected',
    });
    instruments.backlog.add(7, { [ATTR.lane]: 'throughput' });
    instruments.retries.add(2, {
      [ATTR.lane]: 'throughput',
      [ATTR.retryReason]: 'rate_limited',
      [ATTR.requestModel]: 'gemini-2.5-flash-lite',
    });

    const snapshot = laneSnapshot(await reader.read());
    const latency = snapshot.latency;
    expect(latency.ttft.counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(latency.ttftFailed).toBe(1);
    expect(latency.unary.counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(latency.outcomes.rejected).toBe(3);
    // Good: 3 first chunks within 500 ms, 1 unary call within 2.5 s; of 4 + 1 + 2 + 3 events.
    expect(latencySli(latency, { ttftSeconds: 0.5, durationSeconds: 2.5 })).toBeCloseTo(0.4);
    expect(snapshot.throughput.queueDepth).toBe(7);
    expect(snapshot.throughput.retries).toBe(2);
    await meterProvider.shutdown();
  });
});

describe('RollingStats', () => {
  it('reads rates and percentiles from the difference across the window', () => {
    const stats = new RollingStats(10_000);
    const empty = { latency: totals(), throughput: totals() };
    stats.push(0, empty);
    expect(stats.stats()).toBeUndefined();
    stats.push(2000, {
      latency: totals({
        ttft: { boundaries: [0.1, 0.5, 1], counts: [0, 20, 0, 0] },
        outcomes: { success: 18, rejected: 2 },
        tokens: 4000,
        costUsd: 0.01,
        cacheHits: 1,
        cacheLookups: 4,
        retries: 3,
      }),
      throughput: totals({ tokens: 10_000, concurrencyLimit: 8, inflight: 3 }),
    });
    const s = stats.stats();
    expect(s?.latency.requestsPerSecond).toBe(10);
    expect(s?.latency.rejectedPerSecond).toBe(1);
    expect(s?.latency.retriesPerSecond).toBe(1.5);
    expect(s?.latency.tokensPerSecond).toBe(2000);
    expect(s?.latency.costPerHourUsd).toBeCloseTo(18);
    expect(s?.latency.cacheHitRatio).toBe(0.25);
    expect(s?.latency.ttftMs.p50).toBeCloseTo(300);
    expect(s?.throughput.tokensPerSecond).toBe(5000);
    expect(s?.throughput.cacheHitRatio).toBeUndefined();
  });

  it('forgets what is older than the window', () => {
    const stats = new RollingStats(1000);
    stats.push(0, { latency: totals({ outcomes: { success: 0 } }), throughput: totals() });
    stats.push(1000, { latency: totals({ outcomes: { success: 100 } }), throughput: totals() });
    stats.push(2000, { latency: totals({ outcomes: { success: 110 } }), throughput: totals() });
    expect(stats.stats()?.latency.requestsPerSecond).toBe(10);
  });
});

describe('the demo view', () => {
  const frame: ViewFrame = {
    elapsedMs: 65_000,
    durationMs: 120_000,
    sla: { ttftMs: 500, durationMs: 3000 },
    stats: undefined,
    upstream: 'emulator, seed 1',
    load: '6 interactive req/s',
    job: {
      done: 10,
      failed: 1,
      inFlight: 4,
      total: 100,
      tokensPerSecond: 1234,
      costUsd: 0.5,
      etaMs: 30_000,
    },
  };

  function overSla(): Snapshot[] {
    return [
      { latency: totals(), throughput: totals() },
      {
        latency: totals({
          ttft: { boundaries: [0.1, 0.5, 1], counts: [0, 0, 10, 0] },
          outcomes: { success: 10 },
          concurrencyLimit: 8,
          inflight: 3,
          quotaUtilization: 0.31,
        }),
        throughput: totals({ tokens: 12_345, concurrencyLimit: 48, inflight: 48, queueDepth: 12 }),
      },
    ];
  }

  function statsOf(snapshots: Snapshot[]) {
    const stats = new RollingStats();
    snapshots.forEach((s, i) => {
      stats.push(i * 1000, s);
    });
    return stats.stats();
  }

  it('draws a header, a column per lane, the job and the load', () => {
    const lines = renderFrame(frame);
    expect(lines[0]).toBe('gemini-lanes demo  01:05 / 02:00   upstream: emulator, seed 1');
    expect(lines[1]).toContain('first chunk 500 ms, unary call 3000 ms');
    expect(lines[3]).toMatch(/^\s+latency\s+throughput $/);
    const text = lines.join('\n');
    expect(text).toContain('warming up');
    expect(text).toContain('batch job  10/100 done (10%), 1 failed, 4 in flight, ETA 00:30');
    expect(text).toContain('1,234 tok/s on average, $0.5000 so far');
    expect(text).toContain('load       6 interactive req/s');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('marks a p95 over the SLA and shows each lane in its column', () => {
    const text = renderFrame({ ...frame, stats: statsOf(overSla()) }).join('\n');
    expect(text).toMatch(/^\s+p95\s+975 ms!\s+- $/m);
    expect(text).toMatch(/^in flight \/ limit\s+3\/8\s+48\/48 $/m);
    expect(text).toMatch(/^queue depth\s+0\s+12 $/m);
    expect(text).toMatch(/^tokens\/s\s+0\s+12,345 $/m);
    expect(text).toMatch(/^quota used \(highest\)\s+31%\s+0% $/m);
    expect(text).toMatch(/^cache hit ratio\s+-\s+- $/m);
    expect(plainLine({ ...frame, stats: statsOf(overSla()) })).toMatch(
      /^\[01:05\] \| latency: ttft p95 975 ms!, 10\.0 req\/s, .* \| throughput: .*48\/48 in flight, 12,345 tok\/s.* \| job: 10\/100 done, 1 failed$/,
    );
  });

  it('redraws in place on a terminal, cutting lines to its width, and plain lines elsewhere', () => {
    let tty = '';
    const view = new LiveView({ write: (s: string) => (tty += s), isTTY: true, columns: 40 });
    view.draw(frame);
    const lines = renderFrame(frame);
    expect(tty.startsWith('\x1b[?25l')).toBe(true);
    for (const line of tty.split('\n'))
      expect(line.replace('\x1b[?25l', '').length).toBeLessThan(40);
    tty = '';
    view.draw(frame);
    expect(tty.startsWith(`\x1b[${lines.length}F\x1b[J`)).toBe(true);
    view.finish();
    expect(tty.endsWith('\x1b[?25h')).toBe(true);

    let plain = '';
    const pipe = new LiveView({ write: (s: string) => (plain += s) });
    pipe.draw(frame);
    pipe.draw(frame);
    pipe.finish();
    expect(plain).toBe(`${plainLine(frame)}\n${plainLine(frame)}\n`);
    expect(plain).not.toContain('\x1b');
  });
});

describe('parseDemoDuration', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['45', 45_000],
    ['0.5s', 500],
  ])('reads %s', (text, ms) => {
    expect(parseDemoDuration(text)).toBe(ms);
  });

  it.each(['', '0s', 'soon', '10x', '-5s', '1m 30s'])('refuses %j', (text) => {
    expect(parseDemoDuration(text)).toBeUndefined();
  });
});
