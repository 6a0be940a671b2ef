import {
  burnRateWindows,
  defineConfig,
  type GeminiLanesConfig,
  leMatcher,
  METRICS,
  type MetricKey,
  prometheusSeries,
} from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import {
  buildDashboards,
  DASHBOARD_FILES,
  dashboardUid,
  type GrafanaDashboard,
} from '../src/index.js';
import {
  exprsOf,
  panelsOf,
  panelTitled,
  rowsOf,
  selectorsIn,
  thresholdValues,
} from './dashboard-walk.js';

const LATENCY = DASHBOARD_FILES.latency;
const THROUGHPUT = DASHBOARD_FILES.throughput;
const OVERVIEW = DASHBOARD_FILES.overview;

function catalogSeries(config: GeminiLanesConfig): Set<string> {
  return new Set(
    (Object.keys(METRICS) as MetricKey[]).flatMap(
      (key) => prometheusSeries(METRICS[key], config.prometheus.naming).series,
    ),
  );
}

function all(config: GeminiLanesConfig): [string, GrafanaDashboard][] {
  return Object.entries(buildDashboards(config));
}

describe('buildDashboards: structure every dashboard shares', () => {
  const config = defineConfig({});
  const dashboards = buildDashboards(config);

  it('builds the overview, latency and throughput dashboards with stable uids, tags and titles from config', () => {
    expect(Object.keys(dashboards).sort()).toEqual([OVERVIEW, LATENCY, THROUGHPUT].sort());
    expect(dashboards[LATENCY].title).toBe('Gemini Lanes / Latency');
    expect(dashboards[LATENCY].uid).toBe(dashboardUid('Gemini Lanes / Latency'));
    expect(dashboards[LATENCY].uid).toBe('gemini-lanes-latency');
    expect(dashboards[THROUGHPUT].uid).toBe('gemini-lanes-throughput');
    expect(dashboards[OVERVIEW].uid).toBe('gemini-lanes-overview');
    for (const d of Object.values(dashboards)) expect(d.tags).toEqual(['gemini-lanes']);

    const custom = buildDashboards(
      defineConfig({ dashboards: { namePrefix: 'Acme AI', tags: ['ai', 'sre'] } }),
    );
    expect(custom[LATENCY].title).toBe('Acme AI / Latency');
    expect(custom[LATENCY].uid).toBe('acme-ai-latency');
    expect(custom[THROUGHPUT].tags).toEqual(['ai', 'sre']);
    // Same input, same output: nothing depends on time or order of calls.
    expect(JSON.stringify(buildDashboards(config))).toBe(JSON.stringify(dashboards));
  });

  it('gives every panel a unit, a description that says what healthy looks like, and a unique id', () => {
    for (const [file, d] of Object.entries(dashboards)) {
      const ids = (d.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const panel of panelsOf(d)) {
        const where = `${file}: ${panel.title}`;
        expect(panel.fieldConfig?.defaults?.unit, where).toMatch(/\S/);
        expect(panel.description, where).toMatch(/\S.*\. Healthy: \S.{10,}/s);
        expect(panel.targets?.length, where).toBeGreaterThan(0);
      }
    }
  });

  it('takes every metric name from core’s catalog and selects the service by job on every series', () => {
    const known = catalogSeries(config);
    for (const [file, d] of Object.entries(dashboards)) {
      for (const { panel, expr } of exprsOf(d)) {
        const selectors = selectorsIn(expr);
        expect(selectors.length, `${file}: ${panel}`).toBeGreaterThan(0);
        for (const s of selectors) {
          expect(known.has(s.name), `${file}: ${panel}: ${s.name} is not in the catalog`).toBe(
            true,
          );
          expect(s.matchers.startsWith('job="$service"'), `${file}: ${panel}`).toBe(true);
        }
      }
    }
  });

  it('offers datasource, service, lane (multi-value, All) and model variables, and matches lane and model with =~', () => {
    for (const file of [LATENCY, THROUGHPUT]) {
      const list = dashboards[file].templating.list ?? [];
      expect(list.map((v) => v.name)).toEqual(['datasource', 'service', 'lane', 'model']);
      const lane = list.find((v) => v.name === 'lane');
      expect(lane).toMatchObject({
        type: 'custom',
        multi: true,
        includeAll: true,
        query: 'latency,throughput',
      });
      expect(list.find((v) => v.name === 'model')).toMatchObject({
        multi: true,
        includeAll: true,
        allValue: '.*',
      });
      expect(list.find((v) => v.name === 'datasource')).toMatchObject({
        type: 'datasource',
        query: 'prometheus',
      });
      expect(list.find((v) => v.name === 'service')?.current).toEqual({
        text: 'gemini-app',
        value: 'gemini-app',
      });
      for (const { panel, expr } of exprsOf(dashboards[file])) {
        expect(expr, `${file}: ${panel}`).not.toMatch(
          /gemini_lanes_lane="\$lane"|gen_ai_request_model="\$model"/,
        );
      }
    }
    expect(
      dashboards[LATENCY].templating.list?.find((v) => v.name === 'lane')?.current?.value,
    ).toEqual(['latency']);
    expect(
      dashboards[THROUGHPUT].templating.list?.find((v) => v.name === 'lane')?.current?.value,
    ).toEqual(['throughput']);
    const ttft = panelTitled(dashboards[LATENCY], /^Time to first chunk/);
    for (const t of ttft.targets ?? []) {
      expect(t.expr).toContain('gemini_lanes_lane=~"$lane"');
      expect(t.expr).toContain('gen_ai_request_model=~"$model"');
    }
    // Both lanes side by side: the overview pins each column's lane instead of offering a variable.
    expect((dashboards[OVERVIEW].templating.list ?? []).map((v) => v.name)).toEqual([
      'datasource',
      'service',
      'model',
    ]);
  });

  it('applies the model filter only to metrics that carry a model', () => {
    const cache = panelTitled(dashboards[LATENCY], 'Cache hit ratio');
    for (const t of cache.targets ?? []) expect(t.expr).not.toContain('$model');
    const quota = panelTitled(dashboards[THROUGHPUT], 'Quota utilisation by lane');
    expect(quota.targets?.[0]?.expr).toContain('gen_ai_request_model=~"$model"');
  });

  it('orders rows for someone on call: symptoms first, causes below', () => {
    expect(rowsOf(dashboards[LATENCY])).toEqual([
      'Latency SLO (latency lane, every model)',
      'Symptoms: latency, errors and shedding',
      'Causes: admission queue',
      'Causes: capacity, connections and cache',
      'Tail levers: hedges, fallbacks and endpoints',
    ]);
    expect(rowsOf(dashboards[THROUGHPUT])[0]).toBe('Symptoms: throughput');
    expect(
      rowsOf(dashboards[THROUGHPUT])
        .slice(2)
        .every((r) => !r.startsWith('Symptoms')),
    ).toBe(true);
  });

  it('links every dashboard to the other two, keeping time, service and model', () => {
    for (const [file, d] of Object.entries(dashboards)) {
      const others = Object.entries(dashboards).filter(([f]) => f !== file);
      expect((d.links ?? []).map((l) => l.url?.split('?')[0]).sort()).toEqual(
        others.map(([, o]) => `/d/${o.uid}`).sort(),
      );
      for (const link of d.links ?? []) {
        expect(link.keepTime).toBe(true);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${name} syntax
        expect(link.url).toContain('${service:queryparam}');
      }
    }
  });

  it('sends every query to the $datasource variable unless dashboards.datasourceUid pins one', () => {
    for (const [, d] of Object.entries(dashboards)) {
      for (const p of panelsOf(d)) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${name} syntax
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        for (const t of p.targets ?? []) expect(t.datasource).toEqual(p.datasource);
      }
    }
    for (const [, d] of all(defineConfig({ dashboards: { datasourceUid: 'prom-eu' } }))) {
      for (const p of panelsOf(d)) {
        expect(p.datasource).toEqual({ type: 'prometheus', uid: 'prom-eu' });
        for (const t of p.targets ?? [])
          expect(t.datasource).toEqual({ type: 'prometheus', uid: 'prom-eu' });
      }
      const variable = d.templating.list?.find((v) => v.name === 'datasource');
      expect(variable).toMatchObject({ hide: 2, current: { value: 'prom-eu' } });
      const service = d.templating.list?.find((v) => v.name === 'service');
      expect(service?.datasource).toEqual({ type: 'prometheus', uid: 'prom-eu' });
    }
  });

  it('adds the configured selectors to every series and variable query', () => {
    const config2 = defineConfig({
      prometheus: { selectors: { cluster: 'eu-1', namespace: 'ai' } },
    });
    for (const [file, d] of all(config2)) {
      for (const { panel, expr } of exprsOf(d)) {
        for (const s of selectorsIn(expr)) {
          expect(s.matchers, `${file}: ${panel}`).toMatch(
            /^job="\$service", cluster="eu-1", namespace="ai"/,
          );
        }
      }
      for (const v of d.templating.list ?? []) {
        if (v.type === 'query') expect(String(v.query)).toContain('cluster="eu-1", namespace="ai"');
      }
    }
  });
});

describe('buildDashboards: the service job', () => {
  it('pins the job once, through $service, which defaults to prometheus.selectors.job when set', () => {
    const config2 = defineConfig({
      service: 'chat-api',
      prometheus: { selectors: { job: 'chat-api-prod', cluster: 'eu-1' } },
    });
    for (const [file, d] of all(config2)) {
      for (const { panel, expr } of exprsOf(d)) {
        for (const s of selectorsIn(expr)) {
          expect(s.matchers, `${file}: ${panel}`).toMatch(/^job="\$service", cluster="eu-1"/);
          expect(s.matchers.match(/\bjob=/g), `${file}: ${panel}`).toHaveLength(1);
        }
      }
      const service = d.templating.list?.find((v) => v.name === 'service');
      expect(service?.current).toMatchObject({ value: 'chat-api-prod' });
    }
  });

  it('defaults $service to the service name when no job selector is configured', () => {
    for (const [, d] of all(defineConfig({ service: 'chat-api' }))) {
      const service = d.templating.list?.find((v) => v.name === 'service');
      expect(service?.current).toMatchObject({ value: 'chat-api' });
    }
  });
});

describe('buildDashboards: thresholds and queries come from the configuration', () => {
  const config = defineConfig({
    lanes: {
      latency: {
        sla: { ttftMs: 400, durationMs: 3000, maxQueueWaitMs: 150 },
        queue: { maxLength: 64 },
      },
      throughput: { floorTokensPerSecond: 2500 },
    },
    slos: { latency: { window: '28d', latency: { target: 0.995 } } },
    quota: { latencyReservedShare: 0.3 },
    alerts: { costBudgetUsdPerHour: 4, rejectionRatio: 0.02, rateLimitedRatio: 0.07 },
  });
  const dashboards = buildDashboards(config);

  it('draws the SLA on the latency percentile panels at exactly the configured thresholds', () => {
    const ttft = panelTitled(dashboards[LATENCY], /^Time to first chunk/);
    expect(thresholdValues(ttft)).toEqual([config.lanes.latency.sla.ttftMs / 1000]);
    expect(thresholdValues(ttft)).toEqual([0.4]);
    expect(ttft.fieldConfig?.defaults?.custom?.thresholdsStyle?.mode).toBe('dashed');
    expect(ttft.fieldConfig?.defaults?.unit).toBe('s');
    const unary = panelTitled(dashboards[LATENCY], /^Duration \(unary/);
    expect(thresholdValues(unary)).toEqual([3]);
    expect(ttft.targets?.map((t) => t.expr?.slice(0, 24))).toEqual([
      'histogram_quantile(0.5, ',
      'histogram_quantile(0.95,',
      'histogram_quantile(0.99,',
    ]);
    expect(ttft.targets?.map((t) => t.legendFormat)).toEqual([
      'p50 {{gemini_lanes_lane}} {{gen_ai_request_model}}',
      'p95 {{gemini_lanes_lane}} {{gen_ai_request_model}}',
      'p99 {{gemini_lanes_lane}} {{gen_ai_request_model}}',
    ]);
  });

  it('reads the share within the SLA from the SLA’s exact buckets, and counts rejected and timed-out requests', () => {
    const ttftBucket = prometheusSeries(METRICS.timeToFirstChunk, 'otel-js').series[0];
    const durBucket = prometheusSeries(METRICS.operationDuration, 'otel-js').series[0];
    for (const [file, title] of [
      [LATENCY, 'Requests within SLA (time range)'],
      [LATENCY, 'Requests within SLA'],
      [OVERVIEW, 'Latency lane: within SLA (time range)'],
    ] as const) {
      const expr = panelTitled(dashboards[file], title).targets?.[0]?.expr ?? '';
      const selectors = selectorsIn(expr);
      const buckets = selectors.filter((s) => s.name.endsWith('_bucket'));
      expect(
        buckets.map((s) => s.name),
        title,
      ).toEqual([ttftBucket, durBucket]);
      expect(buckets[0]?.matchers.endsWith(leMatcher(0.4)), title).toBe(true);
      expect(buckets[1]?.matchers.endsWith(leMatcher(3)), title).toBe(true);
      expect(leMatcher(3)).toBe('le=~"3|3\\\\.0"');
      expect(buckets[1]?.matchers).toContain('gen_ai_request_stream="false"');
      for (const b of buckets) {
        expect(b.matchers).toContain('error_type=""');
        expect(b.matchers).toContain('gemini_lanes_lane="latency"');
        expect(b.matchers).toContain('gen_ai_operation_name="generate_content"');
      }
      expect(expr).toContain('gemini_lanes_outcome=~"rejected|timed_out"');
      expect(expr).not.toMatch(/le="0\.5"|le="2\.5"/);
    }
    const sli = panelTitled(dashboards[LATENCY], 'Requests within SLA (time range)');
    expect(sli.targets?.[0]?.expr).toContain('[$__range]');
    expect(sli.targets?.[0]?.instant).toBe(true);
    expect(thresholdValues(sli)).toEqual([0.995]);
  });

  it('draws each burn-rate factor from burnRateWindows for the SLO window', () => {
    const burn = panelTitled(dashboards[LATENCY], 'SLO burn rate');
    const windows = burnRateWindows('28d');
    expect(thresholdValues(burn)).toEqual(windows.map((w) => w.factor).sort((a, b) => a - b));
    expect(thresholdValues(burn)).toEqual([0.9333, 2.8, 5.6, 13.44]);
    expect(burn.targets?.map((t) => /\[(\w+)\]\)\) or vector/.exec(t.expr ?? '')?.[1])).toEqual([
      '1h',
      '6h',
      '1d',
      '3d',
    ]);
    // The error budget is 1 − objective, written without floating-point noise.
    for (const t of burn.targets ?? []) expect(t.expr).toMatch(/\) \/ 0\.005$/);
    const budget = panelTitled(dashboards[LATENCY], 'Error budget remaining (28d)');
    expect(budget.targets?.[0]?.expr).toContain('[28d]');
  });

  it('draws queue bounds, rejection and 429 thresholds, the reserved quota share, the floor and the cost budget', () => {
    expect(thresholdValues(panelTitled(dashboards[LATENCY], /^Queue wait p95/))).toEqual([0.15]);
    expect(thresholdValues(panelTitled(dashboards[LATENCY], 'Queue depth by priority'))).toEqual([
      64,
    ]);
    expect(thresholdValues(panelTitled(dashboards[LATENCY], 'Rejections by reason'))).toEqual([
      0.02,
    ]);
    expect(thresholdValues(panelTitled(dashboards[THROUGHPUT], '429 ratio'))).toEqual([0.07]);
    expect(
      thresholdValues(panelTitled(dashboards[THROUGHPUT], 'Quota utilisation by lane')),
    ).toEqual([0.7, 1]);
    expect(
      thresholdValues(panelTitled(dashboards[THROUGHPUT], 'Tokens per second by kind')),
    ).toEqual([2500]);
    expect(
      thresholdValues(
        panelTitled(dashboards[OVERVIEW], 'Throughput lane: tokens per second vs floor'),
      ),
    ).toEqual([2500]);
    expect(thresholdValues(panelTitled(dashboards[THROUGHPUT], 'Cost per hour'))).toEqual([4]);
    expect(thresholdValues(panelTitled(dashboards[THROUGHPUT], 'Projected cost per day'))).toEqual([
      96,
    ]);
    expect(thresholdValues(panelTitled(dashboards[OVERVIEW], 'Latency lane: error ratio'))).toEqual(
      [0.001],
    );
    expect(
      thresholdValues(panelTitled(dashboards[OVERVIEW], 'Throughput lane: error ratio')),
    ).toEqual([0.01]);
    expect(thresholdValues(panelTitled(dashboards[LATENCY], 'Error ratio by error.type'))).toEqual([
      0.001,
    ]);
  });

  it('draws no floor line and no budget line when they are off (0)', () => {
    const off = buildDashboards(defineConfig({}));
    expect(thresholdValues(panelTitled(off[THROUGHPUT], 'Tokens per second by kind'))).toEqual([]);
    expect(panelTitled(off[THROUGHPUT], 'Tokens per second by kind').description).toContain(
      'floorTokensPerSecond is 0 (off)',
    );
    expect(thresholdValues(panelTitled(off[THROUGHPUT], 'Cost per hour'))).toEqual([]);
  });

  it('uses the quantiles of the options', () => {
    const d = buildDashboards(config, { quantiles: [0.9, 0.999], queueWaitQuantile: 0.99 });
    const ttft = panelTitled(d[LATENCY], 'Time to first chunk (streams), p90/p99.9');
    expect(ttft.targets?.map((t) => t.expr?.slice(0, 25))).toEqual([
      'histogram_quantile(0.9, s',
      'histogram_quantile(0.999,',
    ]);
    expect(panelTitled(d[LATENCY], 'Queue wait p99 by priority').targets?.[0]?.expr).toMatch(
      /^histogram_quantile\(0\.99, /,
    );
  });

  it('uses the unit-suffixed names when the configuration says so', () => {
    const suffixed = defineConfig({ prometheus: { naming: 'unit-suffixed' } });
    const d = buildDashboards(suffixed);
    const names = new Set(
      Object.values(d).flatMap((x) =>
        exprsOf(x).flatMap((e) => selectorsIn(e.expr).map((s) => s.name)),
      ),
    );
    expect(names).toContain('gen_ai_client_operation_time_to_first_chunk_seconds_bucket');
    expect(names).toContain('gemini_lanes_cost_USD_total');
    expect(names).toContain('gemini_lanes_quota_utilization_ratio');
    expect(names).not.toContain('gen_ai_client_operation_duration_bucket');
    const known = catalogSeries(suffixed);
    for (const n of names) expect(known.has(n), n).toBe(true);
  });
});
