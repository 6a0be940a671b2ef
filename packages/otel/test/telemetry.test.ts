import {
  bucketBoundaries,
  defineConfig,
  METRICS,
  type MetricKey,
  SCHEMA_URL,
  VALUES,
} from '@gemini-lanes/core';
import { createTelemetry, normalizeModel } from '@gemini-lanes/otel';
import type { Counter, Histogram as HistogramApi } from '@opentelemetry/api';
import { DataPointType, type Histogram, MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CollectingReader,
  captureDiag,
  flatten,
  type Harness,
  harness,
  pointsOf,
  pointWith,
  sumOf,
} from './support/harness.js';

let h: Harness | undefined;
let diagCapture: ReturnType<typeof captureDiag> | undefined;
afterEach(async () => {
  await h?.shutdown();
  h = undefined;
  diagCapture?.restore();
  diagCapture = undefined;
});

describe('createTelemetry', () => {
  it('creates every catalog instrument once, named, typed and described as the catalog says', async () => {
    h = harness();
    const keys = Object.keys(METRICS) as MetricKey[];
    expect(Object.keys(h.telemetry.instruments).sort()).toEqual([...keys].sort());
    // Record once on each, so every instrument shows up in a collection.
    for (const key of keys) {
      const instrument = h.telemetry.instruments[key] as unknown as Partial<Counter & HistogramApi>;
      if ('add' in instrument) instrument.add?.(1, {});
      else instrument.record?.(1, {});
    }
    const { resourceMetrics } = await h.reader.collect();
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === '@gemini-lanes/otel');
    expect(scope?.scope.schemaUrl).toBe(SCHEMA_URL);
    const byName = new Map(scope?.metrics.map((m) => [m.descriptor.name, m]));
    for (const key of keys) {
      const spec = METRICS[key];
      const metric = byName.get(spec.name);
      expect(metric?.descriptor.unit, spec.name).toBe(spec.unit);
      expect(metric?.descriptor.description, spec.name).toBe(spec.description);
      const expectedType = {
        counter: DataPointType.SUM,
        updowncounter: DataPointType.SUM,
        histogram: DataPointType.HISTOGRAM,
        gauge: DataPointType.GAUGE,
      }[spec.kind];
      expect(metric?.dataPointType, spec.name).toBe(expectedType);
    }
  });

  it('gives histograms the advice plus the configured SLI thresholds as exact bucket boundaries', async () => {
    const config = defineConfig({
      lanes: { latency: { sla: { ttftMs: 450, durationMs: 3000, maxQueueWaitMs: 40 } } },
    });
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const telemetry = createTelemetry(config, { meterProvider });
    telemetry.instruments.timeToFirstChunk.record(0.45, {});
    telemetry.instruments.timeToFirstChunk.record(0.451, {});
    telemetry.instruments.operationDuration.record(3, {});
    telemetry.instruments.queueWait.record(0.04, {});
    const m = flatten((await reader.collect()).resourceMetrics);
    const histogram = (name: string) => pointsOf(m, name)[0]?.value as Histogram;
    const ttfc = histogram('gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc.buckets.boundaries).toEqual(bucketBoundaries(METRICS.timeToFirstChunk, config));
    expect(ttfc.buckets.boundaries).toContain(0.45);
    expect(ttfc.buckets.boundaries).toContain(3);
    // 0.45 s falls in the bucket whose upper bound is exactly the SLA; 0.451 s does not.
    const at = ttfc.buckets.boundaries.indexOf(0.45);
    expect(ttfc.buckets.counts[at]).toBe(1);
    expect(ttfc.buckets.counts[at + 1]).toBe(1);
    const duration = histogram('gen_ai.client.operation.duration');
    expect(duration.buckets.boundaries).toContain(3);
    expect(duration.buckets.counts[duration.buckets.boundaries.indexOf(3)]).toBe(1);
    expect(histogram('gemini_lanes.queue.wait').buckets.boundaries).toContain(0.04);
    await meterProvider.shutdown();
  });

  it('starts bounded counters at 0 for every lane and closed-set value, before any call', async () => {
    h = harness();
    const m = await h.metrics();
    const requests = m.get('gemini_lanes.requests') ?? [];
    expect(requests).toHaveLength(VALUES.lane.length * VALUES.outcome.length);
    for (const lane of VALUES.lane) {
      for (const outcome of VALUES.outcome) {
        const point = pointWith(m, 'gemini_lanes.requests', {
          'gemini_lanes.lane': lane,
          'gemini_lanes.outcome': outcome,
        });
        expect(sumOf(point)).toBe(0);
      }
    }
    expect(m.get('gemini_lanes.rejections')).toHaveLength(2 * VALUES.rejectionReason.length);
    expect(m.get('gemini_lanes.cache.lookups')).toHaveLength(2 * VALUES.cacheResult.length);
    expect(m.get('gemini_lanes.retries')).toHaveLength(2 * VALUES.retryReason.length);
    expect(m.get('gemini_lanes.job.items')).toHaveLength(2 * VALUES.itemState.length);
    expect((m.get('gemini_lanes.rejections') ?? []).every((p) => sumOf(p) === 0)).toBe(true);
    // Counters without a bounded label set are not invented.
    expect(m.get('gemini_lanes.tokens')).toBeUndefined();
    expect(m.get('gemini_lanes.hedges')).toBeUndefined();
  });
});

describe('telemetry.recordUsage', () => {
  it('records tokens and cost by kind, with cached input charged once at the cached price', async () => {
    h = harness();
    const breakdown = h.telemetry.recordUsage(
      {
        promptTokenCount: 12_000,
        cachedContentTokenCount: 8_000,
        candidatesTokenCount: 400,
        thoughtsTokenCount: 900,
      },
      { model: 'models/gemini-2.5-flash', lane: 'latency' },
    );
    expect(breakdown.known).toBe(true);
    const m = await h.metrics();
    const labels = (kind: string) => ({
      'gemini_lanes.lane': 'latency',
      'gen_ai.request.model': 'gemini-2.5-flash',
      'gemini_lanes.token.kind': kind,
      'gemini_lanes.pricing.tier': 'standard',
    });
    expect(sumOf(pointWith(m, 'gemini_lanes.tokens', labels('input')))).toBe(4_000);
    expect(sumOf(pointWith(m, 'gemini_lanes.tokens', labels('cached_input')))).toBe(8_000);
    expect(sumOf(pointWith(m, 'gemini_lanes.tokens', labels('output')))).toBe(400);
    expect(sumOf(pointWith(m, 'gemini_lanes.tokens', labels('thinking')))).toBe(900);
    expect(sumOf(pointWith(m, 'gemini_lanes.cost', labels('input')))).toBeCloseTo(0.0012, 12);
    expect(sumOf(pointWith(m, 'gemini_lanes.cost', labels('cached_input')))).toBeCloseTo(
      0.00024,
      12,
    );
    expect(sumOf(pointWith(m, 'gemini_lanes.cost', labels('output')))).toBeCloseTo(0.001, 12);
    expect(sumOf(pointWith(m, 'gemini_lanes.cost', labels('thinking')))).toBeCloseTo(0.00225, 12);
    expect(
      pointsOf(m, 'gemini_lanes.tokens', { 'gemini_lanes.token.kind': 'tool_use_input' }),
    ).toEqual([]);
  });

  it('halves the cost on the batch tier', async () => {
    h = harness();
    h.telemetry.recordUsage(
      { promptTokenCount: 1_000_000 },
      { model: 'gemini-2.5-flash', tier: 'batch' },
    );
    const m = await h.metrics();
    const [cost] = pointsOf(m, 'gemini_lanes.cost', { 'gemini_lanes.pricing.tier': 'batch' });
    expect(cost && sumOf(cost)).toBeCloseTo(0.15, 12);
  });

  it('a model without a price records tokens, no cost, and says so once', async () => {
    h = harness();
    diagCapture = captureDiag();
    for (let i = 0; i < 3; i++) {
      const breakdown = h.telemetry.recordUsage(
        { promptTokenCount: 10, candidatesTokenCount: 5 },
        { model: 'models/acme-llm', lane: 'throughput' },
      );
      expect(breakdown.known).toBe(false);
    }
    h.telemetry.recordUsage({ promptTokenCount: 1 }, { model: 'other-llm' });
    const m = await h.metrics();
    expect(
      sumOf(
        pointWith(m, 'gemini_lanes.tokens', {
          'gemini_lanes.lane': 'throughput',
          'gen_ai.request.model': 'acme-llm',
          'gemini_lanes.token.kind': 'input',
          'gemini_lanes.pricing.tier': 'standard',
        }),
      ),
    ).toBe(30);
    expect(m.get('gemini_lanes.cost')).toBeUndefined();
    expect(diagCapture.seen.map((s) => [s.level, s.message])).toEqual([
      [
        'warn',
        '@gemini-lanes/otel: gemini_lanes.cost is not recorded for acme-llm: no price for model "models/acme-llm"; add it under pricing in the configuration',
      ],
      [
        'warn',
        '@gemini-lanes/otel: gemini_lanes.cost is not recorded for other-llm: no price for model "other-llm"; add it under pricing in the configuration',
      ],
    ]);
  });

  it('prices a model added under pricing in the configuration', async () => {
    h = harness({ pricing: { 'acme-llm': { inputPerM: 1, outputPerM: 2 } } });
    h.telemetry.recordUsage({ promptTokenCount: 1_000_000 }, { model: 'acme-llm' });
    const m = await h.metrics();
    const [cost] = pointsOf(m, 'gemini_lanes.cost', { 'gemini_lanes.token.kind': 'input' });
    expect(cost && sumOf(cost)).toBe(1);
  });
});

describe('model labels', () => {
  it('strips resource prefixes and keeps tuned model names', () => {
    expect(normalizeModel('models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(normalizeModel('publishers/google/models/gemini-2.5-pro')).toBe('gemini-2.5-pro');
    expect(
      normalizeModel('projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro'),
    ).toBe('gemini-2.5-pro');
    expect(normalizeModel('tunedModels/my-model-123')).toBe('tunedModels/my-model-123');
    expect(normalizeModel('gemini-2.5-flash')).toBe('gemini-2.5-flash');
  });

  it('caps distinct values at 32 and folds the rest into _OTHER, whatever their spelling', () => {
    h = harness();
    const labels: string[] = [];
    for (let i = 0; i < 40; i++) labels.push(h.telemetry.modelLabel(`models/m-${i}`));
    expect(labels.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, i) => `m-${i}`));
    expect(new Set(labels.slice(32))).toEqual(new Set(['_OTHER']));
    // Known models keep their label; the same model spelled differently is the same value.
    expect(h.telemetry.modelLabel('m-3')).toBe('m-3');
    expect(h.telemetry.modelLabel('models/m-3')).toBe('m-3');
    expect(h.telemetry.modelLabel('brand-new')).toBe('_OTHER');
    expect(h.telemetry.modelLabel(undefined)).toBe('_OTHER');
  });
});
