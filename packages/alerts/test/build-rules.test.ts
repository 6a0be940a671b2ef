import {
  ATTR,
  ConfigError,
  DURATION_ADVICE,
  defineConfig,
  type GeminiLanesConfig,
  isGeminiLanesError,
  labelName,
  METRICS,
  type PrometheusNaming,
  prometheusSeries,
  validateConfig,
} from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import {
  type AlertingRule,
  AlertRulesError,
  buildRules,
  isAlertingRule,
  parseDuration,
  type RecordingRule,
  type RuleGroup,
  recordNames,
  scaleDuration,
} from '../src/index.js';

const alerting = (groups: readonly RuleGroup[]): AlertingRule[] =>
  groups.flatMap((g) => g.rules.filter(isAlertingRule));
const recording = (groups: readonly RuleGroup[]): RecordingRule[] =>
  groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => !isAlertingRule(r)));
const exprs = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules.map((r) => r.expr));

/** The series names an expression reads: identifiers that are not functions, keywords or labels. */
function seriesRead(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|on|ignoring|without|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\boffset\s+\w+/g, '');
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\(|[a-zA-Z0-9_:])/g) ?? [];
  return names.filter((n) => !['and', 'or', 'unless', 'bool'].includes(n));
}

/** Every label a matcher or a `by`/`on` clause of an expression names. */
function labelsUsed(expr: string): string[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const inMatchers = [...noStrings.matchAll(/\{([^}]*)\}/g)].flatMap((m) =>
    [...(m[1] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1] ?? ''),
  );
  const inClauses = [...noStrings.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g)].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return [...inMatchers, ...inClauses];
}

function catalogSeries(naming: PrometheusNaming): Set<string> {
  return new Set(Object.values(METRICS).flatMap((spec) => prometheusSeries(spec, naming).series));
}

describe('buildRules', () => {
  const config = defineConfig({});
  const groups = buildRules(config);

  it('returns the rate, SLI, SLO-alert and symptom-alert groups', () => {
    expect(groups.map((g) => g.name)).toEqual([
      'gemini-lanes.rates',
      'gemini-lanes.sli',
      'gemini-lanes.slo-alerts',
      'gemini-lanes.symptom-alerts',
    ]);
    expect(recording(groups).map((r) => r.record)).toEqual([
      'lane:gemini_lanes_requests:rate5m',
      'lane_outcome:gemini_lanes_requests:rate5m',
      'lane_error_type:gen_ai_client_operation_duration_count:rate5m',
      'lane_reason:gemini_lanes_rejections:rate5m',
      'lane_reason:gemini_lanes_retries:rate5m',
      'lane:gemini_lanes_tokens:rate5m',
      'lane_kind:gemini_lanes_tokens:rate5m',
      'lane:gemini_lanes_cost:rate5m',
      'lane:gen_ai_client_operation_time_to_first_chunk:p50_5m',
      'lane:gen_ai_client_operation_time_to_first_chunk:p95_5m',
      'lane:gen_ai_client_operation_time_to_first_chunk:p99_5m',
      'lane:gen_ai_client_operation_duration:p50_5m',
      'lane:gen_ai_client_operation_duration:p95_5m',
      'lane:gen_ai_client_operation_duration:p99_5m',
      ...['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map(
        (w) => `lane:gemini_lanes_sli_error:ratio_rate${w}`,
      ),
      ...['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map(
        (w) => `lane:gemini_lanes_sli_error:ratio_rate${w}`,
      ),
    ]);
  });

  it('generates every alert of the default configuration, cost and floor alerts off', () => {
    expect([...new Set(alerting(groups).map((r) => r.alert))]).toEqual([
      'GeminiLanesAvailabilityBudgetBurn',
      'GeminiLanesLatencyBudgetBurn',
      'GeminiLanesTimeToFirstChunkHigh',
      'GeminiLanesRejectionRatioHigh',
      'GeminiLanesRateLimitStorm',
      'GeminiLanesLatencyQuotaReserveExhausted',
      'GeminiLanesBatchJobStalled',
      'GeminiLanesTargetDown',
      'GeminiLanesMetricsAbsent',
    ]);
    const on = buildRules(
      defineConfig({
        alerts: { costBudgetUsdPerHour: 20 },
        lanes: { throughput: { floorTokensPerSecond: 500 } },
      }),
    );
    const names = new Set(alerting(on).map((r) => r.alert));
    expect(names.has('GeminiLanesCostOverBudget')).toBe(true);
    expect(names.has('GeminiLanesThroughputBelowFloor')).toBe(true);
    const cost = alerting(on).find((r) => r.alert === 'GeminiLanesCostOverBudget');
    expect(cost?.expr).toBe('sum by (job) (increase(gemini_lanes_cost_total[1h]))\n> 20');
  });

  it('gives every alert a severity, a for, templated summary and description, and a runbook anchor', () => {
    for (const rule of alerting(groups)) {
      expect(rule.alert).toMatch(/^GeminiLanes[A-Z][A-Za-z]+$/);
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(parseDuration(rule.for)).toBeGreaterThan(0);
      expect(rule.annotations.summary).toMatch(/\{\{ \$(labels\.\w+|value[^}]*) \}\}/);
      expect(rule.annotations.description).toMatch(/\{\{ \$(labels\.\w+|value[^}]*) \}\}/);
      expect(rule.annotations.runbook_url).toBe(`alerts/runbook.md#${rule.alert.toLowerCase()}`);
    }
  });

  it('pages only on SLO burn, each page behind the minimum-traffic guard', () => {
    const pages = alerting(groups).filter((r) => r.labels.severity === 'critical');
    expect(new Set(pages.map((r) => r.alert))).toEqual(
      new Set(['GeminiLanesAvailabilityBudgetBurn', 'GeminiLanesLatencyBudgetBurn']),
    );
    expect(pages).toHaveLength(6); // 3 SLOs × 2 paging window pairs
    for (const page of pages) {
      const hours = parseDuration(page.labels.long_window ?? '') / 3_600_000;
      expect(page.expr).toContain(
        `sum by (job, gemini_lanes_lane) (increase(gemini_lanes_requests_total{gemini_lanes_lane="${page.labels.gemini_lanes_lane}", gen_ai_operation_name=~"generate_content|embeddings", gemini_lanes_outcome=~"success|error|rejected|timed_out"}[${page.labels.long_window}])) >= ${60 * hours}`,
      );
    }
  });

  it('derives the burn-rate factors from the SLO window: 14.4/6/3/1 for 30 days', () => {
    const burn = alerting(groups).filter(
      (r) =>
        r.alert === 'GeminiLanesAvailabilityBudgetBurn' && r.labels.gemini_lanes_lane === 'latency',
    );
    expect(
      burn.map((r) => [r.labels.long_window, r.labels.short_window, r.labels.severity, r.for]),
    ).toEqual([
      ['1h', '5m', 'critical', '2m30s'],
      ['6h', '30m', 'critical', '15m'],
      ['1d', '2h', 'warning', '1h'],
      ['3d', '6h', 'warning', '3h'],
    ]);
    expect(burn.map((r) => r.expr.match(/> \((.*?)\)/)?.[1])).toEqual([
      '14.4 * 0.001',
      '6 * 0.001',
      '3 * 0.001',
      '1 * 0.001',
    ]);
  });

  it('gives a 28-day SLO the 28-day factors 13.44/5.6/2.8/0.9333', () => {
    const rules = alerting(
      buildRules(defineConfig({ slos: { latency: { window: '28d' } } })),
    ).filter((r) => r.labels.gemini_lanes_lane === 'latency');
    const factors = (alert: string) =>
      rules.filter((r) => r.alert === alert).map((r) => r.expr.match(/> \((\S+) \*/)?.[1]);
    expect(factors('GeminiLanesAvailabilityBudgetBurn')).toEqual(['13.44', '5.6', '2.8', '0.9333']);
    expect(factors('GeminiLanesLatencyBudgetBurn')).toEqual(['13.44', '5.6', '2.8', '0.9333']);
    expect(rules[0]?.annotations.description).toContain('2% of the 28d error budget');
    // The throughput lane keeps its own 30-day window.
    const throughput = alerting(
      buildRules(defineConfig({ slos: { latency: { window: '28d' } } })),
    ).filter((r) => r.labels.gemini_lanes_lane === 'throughput');
    expect(throughput[0]?.expr).toContain('> (14.4 * 0.01)');
  });

  it('refuses an objective whose page alert could never fire, naming the field', () => {
    // 14.4 × (1 − 0.93) = 1.008 > 1: the error ratio would have to exceed 100%.
    const input = { slos: { latency: { availability: { target: 0.93 } } } };
    const checked = validateConfig(input);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.issues).toEqual([
      {
        path: 'slos.latency.availability.target',
        message: expect.stringContaining('could never fire (use a target >= 0.9306)'),
      },
    ]);
    expect(() => defineConfig(input)).toThrow(ConfigError);
    // The lowest target that can page is accepted, and its page threshold is at most 100%.
    const lowest = buildRules(
      defineConfig({ slos: { latency: { availability: { target: 0.9306 } } } }),
    );
    expect(alerting(lowest)[0]?.expr).toContain('> (14.4 * 0.0694)');
    // A configuration assembled by hand (never through defineConfig) is checked again.
    const handmade = structuredClone(defineConfig({})) as GeminiLanesConfig;
    (handmade.slos.throughput.availability as { target: number }).target = 0.9;
    let thrown: unknown;
    try {
      buildRules(handmade);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(isGeminiLanesError(thrown, 'ERR_CONFIG_INVALID')).toBe(true);
    expect((thrown as ConfigError).issues.map((i) => i.path)).toEqual([
      'slos.throughput.availability.target',
    ]);
  });

  it('reads only series of the catalog (or its own records, or up) and only known labels', () => {
    for (const naming of ['otel-js', 'unit-suffixed'] as const) {
      const rules = buildRules(
        defineConfig({ prometheus: { naming, selectors: { cluster: 'eu-1' } } }),
      );
      const allowed = new Set([
        ...catalogSeries(naming),
        ...recording(rules).map((r) => r.record),
        'up',
      ]);
      const labels = new Set([
        ...Object.values(ATTR).map(labelName),
        'le',
        'job',
        'instance',
        'slo',
        'cluster',
      ]);
      const seen = new Set<string>();
      const seenLabels = new Set<string>();
      for (const expr of exprs(rules)) {
        for (const name of seriesRead(expr)) {
          expect(allowed, `${name} in ${expr}`).toContain(name);
          seen.add(name);
        }
        for (const label of labelsUsed(expr)) {
          expect(labels, `${label} in ${expr}`).toContain(label);
          seenLabels.add(label);
        }
      }
      const ttft = prometheusSeries(METRICS.timeToFirstChunk, naming).series[0] ?? '';
      for (const name of ['gemini_lanes_requests_total', ttft, 'up']) expect(seen).toContain(name);
      expect(seen).toContain('lane:gemini_lanes_sli_error:ratio_rate1h');
      for (const label of ['gemini_lanes_outcome', 'le', 'instance', 'slo', 'cluster']) {
        expect(seenLabels).toContain(label);
      }
    }
  });

  it('follows the unit-suffixed naming of an OpenTelemetry Collector', () => {
    const rules = buildRules(defineConfig({ prometheus: { naming: 'unit-suffixed' } }));
    const text = exprs(rules).join('\n');
    expect(text).toContain('gen_ai_client_operation_time_to_first_chunk_seconds_bucket{');
    expect(text).toContain('gen_ai_client_operation_duration_seconds_count{');
    expect(text).not.toMatch(/gen_ai_client_operation_duration_(bucket|count)\b/);
    expect(recording(rules).map((r) => r.record)).toContain(
      'lane:gen_ai_client_operation_time_to_first_chunk_seconds:p95_5m',
    );
    expect(recording(rules).map((r) => r.record)).toContain('lane:gemini_lanes_cost_USD:rate5m');
    const names = recordNames('unit-suffixed', '5m');
    expect(alerting(rules).find((r) => r.alert === 'GeminiLanesTimeToFirstChunkHigh')?.expr).toBe(
      `${names.timeToFirstChunk(0.95)}{gemini_lanes_lane="latency"} > 0.5`,
    );
  });

  it('shrinks every window and for by alerts.timeScale and keeps every name', () => {
    const scale = 0.01;
    const scaled = buildRules(defineConfig({ alerts: { timeScale: scale } }));
    const shrink = (expr: string) =>
      expr
        .replace(/\[(\w+)\]/g, (_, d: string) => `[${scaleDuration(d, scale)}]`)
        .replace(/offset (\w+)/g, (_, d: string) => `offset ${scaleDuration(d, scale)}`);
    const base = groups.flatMap((g) => g.rules);
    const small = scaled.flatMap((g) => g.rules);
    expect(small.map((r) => ('alert' in r ? r.alert : r.record))).toEqual(
      base.map((r) => ('alert' in r ? r.alert : r.record)),
    );
    base.forEach((rule, i) => {
      const other = small[i];
      expect(other?.expr).toBe(shrink(rule.expr));
      if (isAlertingRule(rule) && other !== undefined && isAlertingRule(other)) {
        expect(parseDuration(other.for)).toBe(Math.round(parseDuration(rule.for) * scale));
        expect(other.labels).toEqual(rule.labels);
      }
    });
    const text = exprs(scaled).join('\n');
    expect(text).toContain('[36s]'); // 1h
    expect(text).toContain('[43m12s]'); // 3d
    expect(text).toContain('[3s]'); // rate interval 5m
    expect(text).not.toMatch(/\[(5m|1h|3d)\]/);
    const page = alerting(scaled).find((r) => r.labels.long_window === '1h');
    expect(page?.for).toBe('1s500ms');
    expect(page?.annotations.description).toContain(
      'over the last 36s (and still over the last 3s)',
    );
  });

  it('adds the configured selectors to every series and keeps their labels in every aggregation', () => {
    const rules = buildRules(
      defineConfig({
        service: 'chat-api',
        prometheus: { selectors: { job: 'chat-api-prod', cluster: 'eu "west"' } },
      }),
    );
    let checked = 0;
    for (const expr of exprs(rules)) {
      // Every series the expression reads, with whatever follows its name.
      for (const name of seriesRead(expr)) {
        for (const at of expr.matchAll(
          new RegExp(`(?<![a-zA-Z0-9_:])${name}(?![a-zA-Z0-9_:])(.?)`, 'g'),
        )) {
          expect(at[1], `${name} without selectors in ${expr}`).toBe('{');
          const matchers = expr.slice((at.index ?? 0) + name.length).match(/^\{[^}]*\}/)?.[0];
          expect(matchers).toContain('cluster="eu \\"west\\"", job="chat-api-prod"');
          checked += 1;
        }
      }
      for (const clause of expr.match(/\b(by|on) \([^)]*\)/g) ?? []) {
        if (clause !== 'on ()') expect(clause).toMatch(/^(by|on) \(job, cluster\b/);
      }
    }
    expect(checked).toBeGreaterThan(200);
    const down = alerting(rules).find((r) => r.alert === 'GeminiLanesTargetDown');
    expect(down?.expr).toBe('up{cluster="eu \\"west\\"", job="chat-api-prod"} == 0');
    // Without a job selector the service is its scrape job.
    const byService = alerting(buildRules(defineConfig({ service: 'chat-api' })));
    expect(byService.find((r) => r.alert === 'GeminiLanesTargetDown')?.expr).toBe(
      'up{job="chat-api"} == 0',
    );
  });

  it('names each grouping label once, even when a selector names instance', () => {
    const rules = buildRules(
      defineConfig({ prometheus: { selectors: { instance: 'app-1:9464' } } }),
    );
    let clauses = 0;
    for (const expr of exprs(rules)) {
      for (const [, list = ''] of expr.matchAll(/\b(?:by|on) \(([^)]*)\)/g)) {
        const labels = list.split(', ').filter(Boolean);
        expect(new Set(labels).size, `${list} in ${expr}`).toBe(labels.length);
        clauses += 1;
      }
    }
    expect(clauses).toBeGreaterThan(50);
    const stall = alerting(rules).find((r) => r.alert === 'GeminiLanesBatchJobStalled');
    expect(stall?.expr).toContain('min by (job, instance, gemini_lanes_lane) (min_over_time(');
  });

  it('refuses selectors on labels the rules match on themselves', () => {
    for (const label of ['gemini_lanes_lane', 'error_type', 'le', '__name__']) {
      let thrown: unknown;
      try {
        buildRules(defineConfig({ prometheus: { selectors: { [label]: 'x' } } }));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AlertRulesError);
      expect((thrown as AlertRulesError).code).toBe('ERR_ALERT_RULES_INPUT');
      expect((thrown as AlertRulesError).field).toBe(`prometheus.selectors.${label}`);
    }
  });

  it('reads the exact SLA bucket and refuses a threshold that is not a boundary', () => {
    const sli = (config: GeminiLanesConfig) =>
      recording(buildRules(config)).find(
        (r) =>
          r.record === 'lane:gemini_lanes_sli_error:ratio_rate5m' && r.labels?.slo === 'latency',
      )?.expr ?? '';
    expect(sli(config)).toContain('error_type="", le="0.5"}');
    expect(sli(config)).toContain('gen_ai_request_stream="false", error_type="", le="2.5"}');
    // 1 s is written le="1" by Prometheus 2 and le="1.0" by Prometheus 3.
    const oneSecond = sli(defineConfig({ lanes: { latency: { sla: { ttftMs: 1000 } } } }));
    expect(oneSecond).toContain('error_type="", le=~"1|1\\\\.0"}');
    // Services started with the semconv advice only (no 0.5 s boundary) cannot serve this SLI.
    let thrown: unknown;
    try {
      buildRules(config, { boundaries: { timeToFirstChunk: DURATION_ADVICE } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AlertRulesError);
    expect((thrown as AlertRulesError).field).toBe('lanes.latency.sla.ttftMs');
    expect((thrown as AlertRulesError).message).toContain('0.5 s is not among 0.01, 0.02');
    expect(() =>
      buildRules(config, { boundaries: { timeToFirstChunk: [...DURATION_ADVICE, 0.5] } }),
    ).not.toThrow();
  });

  it('takes thresholds, severities, prefix and runbook base from the configuration', () => {
    const rules = alerting(
      buildRules(
        defineConfig({
          lanes: { latency: { sla: { ttftMs: 320 } } },
          alerts: {
            namePrefix: 'ChatApi',
            rejectionRatio: 0.02,
            rateLimitedRatio: 0.25,
            ttftP95For: '20m',
            batchStallPeriod: '1h',
            severities: { page: 'p1', ticket: 'p3' },
            runbookBaseUrl: 'https://runbooks.example.com/gemini',
          },
          quota: { latencyReservedShare: 0.3 },
          prometheus: { rateInterval: '2m' },
        }),
      ),
    );
    const find = (name: string) => rules.find((r) => r.alert === `ChatApi${name}`);
    expect(new Set(rules.map((r) => r.labels.severity))).toEqual(new Set(['p1', 'p3']));
    expect(find('TimeToFirstChunkHigh')?.expr).toBe(
      'lane:gen_ai_client_operation_time_to_first_chunk:p95_2m{gemini_lanes_lane="latency"} > 0.32',
    );
    expect(find('TimeToFirstChunkHigh')?.for).toBe('20m');
    expect(find('TimeToFirstChunkHigh')?.annotations.runbook_url).toBe(
      'https://runbooks.example.com/gemini#chatapitimetofirstchunkhigh',
    );
    expect(find('RejectionRatioHigh')?.expr).toMatch(/\n> 0\.02$/);
    expect(find('RejectionRatioHigh')?.for).toBe('4m'); // two rate intervals
    expect(find('RateLimitStorm')?.expr).toMatch(/\n> 0\.25$/);
    expect(find('LatencyQuotaReserveExhausted')?.expr).toMatch(/\n>= 0\.3$/);
    expect(find('BatchJobStalled')?.expr).toContain('[1h]');
    expect(find('BatchJobStalled')?.expr).toContain('offset 1h');
  });

  it('leaves the reserve alert out when the latency lane has no reserved share', () => {
    const rules = alerting(buildRules(defineConfig({ quota: { latencyReservedShare: 0 } })));
    expect(rules.map((r) => r.alert)).not.toContain('GeminiLanesLatencyQuotaReserveExhausted');
  });

  it('is deterministic', () => {
    expect(buildRules(defineConfig({}))).toEqual(groups);
  });
});
