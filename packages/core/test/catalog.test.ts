import { readFile, writeFile } from 'node:fs/promises';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  ATTR,
  bucketBoundaries,
  DURATION_ADVICE,
  defineConfig,
  type InstrumentSpec,
  labelName,
  leMatcher,
  METRICS,
  prometheus3Le,
  prometheusSeries,
  SCHEMA_URL,
  VALUES,
} from '../src/index.js';

const specs = Object.values(METRICS) as InstrumentSpec[];

/** Records one value on every instrument through the real SDK and returns the exporter's text. */
async function exporterText(): Promise<string> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const meter = provider.getMeter('catalog-test', '0.0.0', { schemaUrl: SCHEMA_URL });
  const attributes = { [ATTR.lane]: 'latency' };
  for (const spec of specs) {
    const options = { unit: spec.unit, description: spec.description };
    switch (spec.kind) {
      case 'counter':
        meter.createCounter(spec.name, options).add(1, attributes);
        break;
      case 'updowncounter':
        meter.createUpDownCounter(spec.name, options).add(1, attributes);
        break;
      case 'histogram':
        meter
          .createHistogram(spec.name, {
            ...options,
            advice: { explicitBucketBoundaries: [...(spec.boundaries ?? [])] },
          })
          .record(1, attributes);
        break;
      case 'gauge':
        meter.createGauge(spec.name, options).record(1, attributes);
        break;
    }
  }
  const { resourceMetrics } = await exporter.collect();
  await provider.shutdown();
  return new PrometheusSerializer().serialize(resourceMetrics);
}

function renderStyle(naming: 'otel-js' | 'unit-suffixed'): string {
  return `${specs
    .map((spec) => {
      const { name, series, type } = prometheusSeries(spec, naming);
      return `${spec.name} (${spec.kind}, ${spec.unit}) -> ${type} ${name}: ${series.join(' ')}`;
    })
    .join('\n')}\n`;
}

describe('metric catalog', () => {
  it('pins the GenAI names to semconv 1.41 and keeps our own under one namespace', () => {
    expect(SCHEMA_URL).toBe('https://opentelemetry.io/schemas/1.41.0');
    expect(METRICS.operationDuration).toMatchObject({
      name: 'gen_ai.client.operation.duration',
      unit: 's',
      kind: 'histogram',
    });
    expect(METRICS.tokenUsage).toMatchObject({
      name: 'gen_ai.client.token.usage',
      unit: '{token}',
    });
    expect(METRICS.timeToFirstChunk.name).toBe('gen_ai.client.operation.time_to_first_chunk');
    expect(METRICS.timePerOutputChunk.name).toBe('gen_ai.client.operation.time_per_output_chunk');
    for (const spec of specs) {
      expect(spec.name.startsWith(spec.source === 'semconv' ? 'gen_ai.' : 'gemini_lanes.')).toBe(
        true,
      );
    }
    const names = specs.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('only uses attributes with a bounded value set or a deployment-bounded value', () => {
    const openButBounded = new Set<string>([
      ATTR.requestModel,
      ATTR.responseModel,
      ATTR.serverAddress,
      ATTR.serverPort,
      ATTR.errorType,
    ]);
    const closed = new Map<string, readonly string[]>(
      Object.entries(ATTR).flatMap(([key, attribute]) => {
        const values = (VALUES as Record<string, readonly string[]>)[key];
        return values ? [[attribute, values]] : [];
      }),
    );
    for (const spec of specs) {
      for (const attribute of spec.attributes) {
        expect(
          openButBounded.has(attribute) || closed.has(attribute),
          `${spec.name}: ${attribute}`,
        ).toBe(true);
      }
      for (const attribute of spec.preinitialize ?? []) {
        expect(closed.has(attribute), `${spec.name} pre-initialises ${attribute}`).toBe(true);
        expect(spec.attributes).toContain(attribute);
      }
    }
    expect(VALUES.outcome).toEqual(['success', 'error', 'rejected', 'timed_out', 'cancelled']);
  });

  it('renders otel-js names exactly as the real @opentelemetry/exporter-prometheus writes them', async () => {
    const text = await exporterText();
    for (const spec of specs) {
      const { name, series, type } = prometheusSeries(spec, 'otel-js');
      expect(text, spec.name).toContain(`# TYPE ${name} ${type}\n`);
      for (const s of series) expect(text, s).toMatch(new RegExp(`^${s}\\{`, 'm'));
    }
    expect(text).toContain(`${labelName(ATTR.lane)}="latency"`);
    expect(labelName(ATTR.lane)).toBe('gemini_lanes_lane');
    expect(prometheusSeries(METRICS.requests, 'otel-js').name).toBe('gemini_lanes_requests_total');
    expect(prometheusSeries(METRICS.operationDuration, 'otel-js').series).toEqual([
      'gen_ai_client_operation_duration_bucket',
      'gen_ai_client_operation_duration_sum',
      'gen_ai_client_operation_duration_count',
    ]);
  });

  it('renders both naming styles as the golden files say', async () => {
    for (const naming of ['otel-js', 'unit-suffixed'] as const) {
      const golden = new URL(`./golden/prometheus-${naming}.txt`, import.meta.url);
      const rendered = renderStyle(naming);
      if (process.env.UPDATE_GOLDEN === '1') await writeFile(golden, rendered);
      expect(rendered).toBe(await readFile(golden, 'utf8'));
    }
    expect(prometheusSeries(METRICS.operationDuration, 'unit-suffixed').name).toBe(
      'gen_ai_client_operation_duration_seconds',
    );
    expect(prometheusSeries(METRICS.cost, 'unit-suffixed').name).toBe(
      'gemini_lanes_cost_USD_total',
    );
    expect(prometheusSeries(METRICS.quotaUtilization, 'unit-suffixed').name).toBe(
      'gemini_lanes_quota_utilization_ratio',
    );
    expect(prometheusSeries(METRICS.cacheSize, 'unit-suffixed').name).toBe(
      'gemini_lanes_cache_size_bytes',
    );
    expect(prometheusSeries(METRICS.tokens, 'unit-suffixed').name).toBe(
      'gemini_lanes_tokens_total',
    );
  });
});

describe('bucket boundaries', () => {
  it('contain every SLI threshold of the configuration exactly, on top of the semconv advice', () => {
    const config = defineConfig({
      lanes: { latency: { sla: { ttftMs: 450, durationMs: 3000, maxQueueWaitMs: 75 } } },
    });
    const duration = bucketBoundaries(METRICS.operationDuration, config);
    const ttfc = bucketBoundaries(METRICS.timeToFirstChunk, config);
    for (const boundaries of [duration, ttfc]) {
      expect(boundaries).toContain(0.45);
      expect(boundaries).toContain(3);
      for (const advice of DURATION_ADVICE) expect(boundaries).toContain(advice);
      expect([...boundaries].sort((a, b) => a - b)).toEqual(boundaries);
      expect(new Set(boundaries).size).toBe(boundaries.length);
    }
    expect(bucketBoundaries(METRICS.queueWait, config)).toContain(0.075);
    expect(bucketBoundaries(METRICS.tokenUsage, config)).not.toContain(0.45);
  });

  it('do not duplicate a threshold that is already advised', () => {
    const config = defineConfig({ lanes: { latency: { sla: { ttftMs: 640, durationMs: 2560 } } } });
    expect(bucketBoundaries(METRICS.operationDuration, config)).toEqual([...DURATION_ADVICE]);
  });
});

describe('le matchers hold on Prometheus 2 and 3', () => {
  it('writes bounds the way Prometheus 3 normalises them', () => {
    expect(prometheus3Le(1)).toBe('1.0');
    expect(prometheus3Le(0.5)).toBe('0.5');
    expect(prometheus3Le(10)).toBe('10.0');
    expect(prometheus3Le(100_000)).toBe('100000.0');
    expect(prometheus3Le(1_048_576)).toBe('1.048576e+06');
    expect(prometheus3Le(0.0001)).toBe('0.0001');
    expect(prometheus3Le(0.00001)).toBe('1e-05');
    expect(prometheus3Le(Number.POSITIVE_INFINITY)).toBe('+Inf');
  });

  it('matches one exact bucket: equality where both agree, an anchored alternation where they differ', () => {
    expect(leMatcher(0.5)).toBe('le="0.5"');
    expect(leMatcher(2.5)).toBe('le="2.5"');
    expect(leMatcher(1)).toBe('le=~"1|1\\\\.0"');
    expect(leMatcher(10)).toBe('le=~"10|10\\\\.0"');
    expect(leMatcher(1_048_576)).toBe('le=~"1048576|1\\\\.048576e\\\\+06"');
    // What PromQL sees after unquoting the string is the RE2 pattern; it must accept both spellings only.
    const pattern = (matcher: string) =>
      new RegExp(`^(?:${JSON.parse(matcher.slice(4)) as string})$`);
    expect(pattern(leMatcher(1)).test('1')).toBe(true);
    expect(pattern(leMatcher(1)).test('1.0')).toBe(true);
    expect(pattern(leMatcher(1)).test('10')).toBe(false);
    expect(pattern(leMatcher(1)).test('1x0')).toBe(false);
  });
});
