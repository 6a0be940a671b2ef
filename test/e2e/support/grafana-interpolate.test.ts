// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Grafana's own ${var} syntax
import { defineConfig } from '@gemini-lanes/core';
import { buildDashboards } from '@gemini-lanes/dashboards';
import { describe, expect, it } from 'vitest';
import { dashboardQueries } from './dashboard-queries.ts';
import {
  ALL,
  alignRange,
  formatInterval,
  goDuration,
  type InterpolationContext,
  interpolateExpr,
  prometheusRegularEscape,
  prometheusSpecialRegexEscape,
  queryTiming,
  roundInterval,
  type TemplateVariable,
} from './grafana-interpolate.ts';

const HOUR = 3_600_000;

const service: TemplateVariable = {
  name: 'service',
  type: 'query',
  multi: false,
  includeAll: false,
  current: { value: 'chat-api' },
};
const lane: TemplateVariable = {
  name: 'lane',
  type: 'custom',
  multi: true,
  includeAll: true,
  current: { value: ['latency'] },
  options: [
    { text: 'All', value: ALL },
    { text: 'latency', value: 'latency' },
    { text: 'throughput', value: 'throughput' },
  ],
};
const model: TemplateVariable = {
  name: 'model',
  type: 'query',
  multi: true,
  includeAll: true,
  allValue: '.*',
  current: { value: [ALL] },
};

/** One hour at 1000 points and a 15 s scrape interval: interval 15 s, `$__rate_interval` 1 m. */
const hourTiming = queryTiming({
  from: 0,
  to: HOUR,
  maxDataPoints: 1000,
  scrapeIntervalMs: 15_000,
});

function ctx(selections: InterpolationContext['selections'] = {}): InterpolationContext {
  return { variables: [service, lane, model], selections, timing: hourTiming };
}

describe('Grafana time variables', () => {
  it('rounds raw intervals to the nice ones Grafana uses', () => {
    expect(roundInterval(40)).toBe(50);
    expect(roundInterval(3_600)).toBe(5_000);
    expect(roundInterval(216_000)).toBe(300_000);
    expect(roundInterval(90_000)).toBe(60_000);
    expect(roundInterval(90_001)).toBe(120_000);
  });

  it('formats $__interval in the largest whole unit and $__rate_interval as Go prints a duration', () => {
    expect(formatInterval(15_000)).toBe('15s');
    expect(formatInterval(300_000)).toBe('5m');
    expect(formatInterval(90_000)).toBe('1m');
    expect(formatInterval(100)).toBe('100ms');
    expect(goDuration(4_000)).toBe('4s');
    expect(goDuration(60_000)).toBe('1m0s');
    expect(goDuration(315_000)).toBe('5m15s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(500)).toBe('500ms');
  });

  it('derives $__rate_interval as max(interval + scrape interval, 4 × scrape interval)', () => {
    // 1 h / 1000 points = 3.6 s, below the 15 s scrape interval: the interval is 15 s.
    expect(hourTiming).toEqual({
      rangeMs: HOUR,
      intervalMs: 15_000,
      stepMs: 15_000,
      rateIntervalMs: 60_000,
    });
    // 6 h / 100 points = 216 s, rounded to 5 m, plus the scrape interval.
    expect(
      queryTiming({ from: 0, to: 6 * HOUR, maxDataPoints: 100, scrapeIntervalMs: 15_000 }),
    ).toEqual({ rangeMs: 6 * HOUR, intervalMs: 300_000, stepMs: 300_000, rateIntervalMs: 315_000 });
    // The end-to-end test's view: 40 s at 1000 points, scraped every second.
    expect(
      queryTiming({ from: 0, to: 40_000, maxDataPoints: 1000, scrapeIntervalMs: 1_000 }),
    ).toEqual({ rangeMs: 40_000, intervalMs: 1_000, stepMs: 1_000, rateIntervalMs: 4_000 });
    // A panel's min interval is the floor instead of the scrape interval.
    expect(
      queryTiming({
        from: 0,
        to: HOUR,
        maxDataPoints: 1000,
        scrapeIntervalMs: 15_000,
        minIntervalMs: 60_000,
      }).rateIntervalMs,
    ).toBe(75_000);
  });

  it('replaces the built-in variables in both spellings', () => {
    const out = interpolateExpr(
      'rate(x[$__rate_interval]) rate(x[${__rate_interval}]) $__interval ${__interval} $__interval_ms $__range $__range_s $__range_ms $__rate_interval_ms',
      ctx(),
    );
    expect(out).toBe('rate(x[1m0s]) rate(x[1m0s]) 15s 15s 15000 3600s 3600 3600000 60000');
  });

  it('aligns a range query to its step', () => {
    expect(alignRange(1_001_500, 1_040_700, 1_000)).toEqual({
      startMs: 1_001_000,
      endMs: 1_040_000,
    });
  });
});

describe('Grafana dashboard variables (Prometheus data source)', () => {
  it("escapes as Grafana's own tests of the Prometheus data source expect", () => {
    expect(prometheusRegularEscape("looking'glass")).toBe(String.raw`looking\\'glass`);
    expect(prometheusRegularEscape(String.raw`looking\glass`)).toBe(String.raw`looking\\glass`);
    expect(prometheusSpecialRegexEscape('+looking$glass?')).toBe(String.raw`\\+looking\\$glass\\?`);
    expect(prometheusSpecialRegexEscape(String.raw`looking\glass`)).toBe(
      String.raw`looking\\\\glass`,
    );
  });

  it('escapes a single-value variable for a quoted string, not as a regex', () => {
    expect(interpolateExpr('up{job="$service"}', ctx())).toBe('up{job="chat-api"}');
    expect(interpolateExpr('up{job="$service"}', ctx({ service: String.raw`a\b'c.d` }))).toBe(
      String.raw`up{job="a\\b\\'c.d"}`,
    );
  });

  it('turns a multi-value selection into a regex alternation of escaped values', () => {
    expect(interpolateExpr('x{l=~"$lane"}', ctx())).toBe('x{l=~"latency"}');
    expect(interpolateExpr('x{l=~"$lane"}', ctx({ lane: ['latency', 'throughput'] }))).toBe(
      'x{l=~"(latency|throughput)"}',
    );
    expect(interpolateExpr('x{m=~"$model"}', ctx({ model: ['gemini-2.5-flash', 'a|b'] }))).toBe(
      String.raw`x{m=~"(gemini-2\\.5-flash|a\\|b)"}`,
    );
  });

  it('expands All to the custom all value unescaped, else to every option', () => {
    expect(interpolateExpr('x{m=~"$model"}', ctx())).toBe('x{m=~".*"}');
    expect(interpolateExpr('x{l=~"$lane"}', ctx({ lane: [ALL] }))).toBe(
      'x{l=~"(latency|throughput)"}',
    );
  });

  it('honours the ${var:format} and [[var]] spellings', () => {
    const both = ctx({ lane: ['a.b', 'c'] });
    expect(interpolateExpr('${lane:regex}', both)).toBe(String.raw`(a\.b|c)`);
    expect(interpolateExpr('${lane:pipe}', both)).toBe('a.b|c');
    expect(interpolateExpr('${lane:csv}', both)).toBe('a.b,c');
    expect(interpolateExpr('${lane:raw}', both)).toBe('a.b,c');
    expect(interpolateExpr('${lane:glob}', both)).toBe('{a.b,c}');
    expect(interpolateExpr('${lane:doublequote}', both)).toBe('"a.b","c"');
    expect(interpolateExpr('${lane:text}', ctx({ lane: [ALL] }))).toBe('All');
    expect(interpolateExpr('[[lane]] ${lane} $lane', both)).toBe(
      String.raw`(a\\.b|c) (a\\.b|c) (a\\.b|c)`,
    );
  });

  it('refuses what it cannot interpolate as Grafana would', () => {
    expect(() => interpolateExpr('x{l=~"$lanes"}', ctx())).toThrow(/unknown variable \$lanes/);
    expect(() => interpolateExpr('${lane:lucene}', ctx())).toThrow(/format :lucene/);
    expect(() => interpolateExpr('$__dashboard', ctx())).toThrow(/\$__dashboard/);
    expect(() => interpolateExpr('${lane.text}', ctx())).toThrow(/field path/);
  });
});

describe('the generated dashboards', () => {
  const config = defineConfig();
  const queries = dashboardQueries(buildDashboards(config), {
    from: 1_700_000_000_000,
    to: 1_700_000_040_000,
    maxDataPoints: 1000,
    scrapeIntervalMs: 1_000,
    selections: { service: 'chat-api' },
  });

  it('interpolate completely: no variable is left for Prometheus to choke on', () => {
    expect(queries.length).toBeGreaterThan(30);
    for (const query of queries) expect(query.promql, query.key).not.toContain('$');
    expect(new Set(queries.map((q) => q.key)).size).toBe(queries.length);
  });

  it('select the chosen service, the default lane of each dashboard and every model', () => {
    for (const query of queries) {
      if (query.expr.includes('$service'))
        expect(query.promql, query.key).toContain('job="chat-api"');
      if (query.expr.includes('$model')) {
        expect(query.promql, query.key).toContain('gen_ai_request_model=~".*"');
      }
      if (query.expr.includes('$lane')) {
        const expected = query.dashboard.endsWith('throughput') ? 'throughput' : 'latency';
        expect(query.promql, query.key).toContain(`gemini_lanes_lane=~"${expected}"`);
      }
      if (query.expr.includes('$__rate_interval'))
        expect(query.promql, query.key).toContain('[4s]');
      if (query.expr.includes('$__range')) expect(query.promql, query.key).toContain('[40s]');
    }
  });

  it('run range targets over the aligned range and instant targets at its end', () => {
    const range = queries.find((q) => q.kind === 'range');
    const instant = queries.find((q) => q.kind === 'instant');
    expect(range).toMatchObject({ start: 1_700_000_000, end: 1_700_000_040, step: 1 });
    expect(instant).toMatchObject({ end: 1_700_000_040 });
  });
});
