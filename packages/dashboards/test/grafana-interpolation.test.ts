import { describe, expect, it } from 'vitest';
import {
  ALL,
  formatInterval,
  goDuration,
  interpolate,
  interpolateQueryExpr,
  prometheusRegularEscape,
  prometheusSpecialRegexEscape,
  rateIntervalMs,
  replaceBuiltIns,
  replaceDashboardVariables,
  type VariableSelection,
} from './grafana-interpolation.js';

// Expectations below are Grafana's own (packages/grafana-prometheus/src/datasource.test.ts),
// written here as the strings they denote.
describe('Grafana escaping (Prometheus data source)', () => {
  it('regular escape: backslash and single quote only', () => {
    expect(prometheusRegularEscape('cryptodepression')).toBe('cryptodepression');
    expect(prometheusRegularEscape("looking'glass")).toBe("looking\\\\'glass");
    expect(prometheusRegularEscape('looking\\glass')).toBe('looking\\\\glass');
    expect(prometheusRegularEscape('gemini-2.5-flash')).toBe('gemini-2.5-flash');
  });

  it('special regex escape: every regex metacharacter gets two backslashes, a backslash four', () => {
    expect(prometheusSpecialRegexEscape('looking{glass')).toBe('looking\\\\{glass');
    expect(prometheusSpecialRegexEscape('looking$glass')).toBe('looking\\\\$glass');
    expect(prometheusSpecialRegexEscape('looking|glass')).toBe('looking\\\\|glass');
    expect(prometheusSpecialRegexEscape('looking\\glass')).toBe('looking\\\\\\\\glass');
    expect(prometheusSpecialRegexEscape('+looking$glass?')).toBe('\\\\+looking\\\\$glass\\\\?');
    expect(prometheusSpecialRegexEscape('gemini-2.5-flash')).toBe('gemini-2\\\\.5-flash');
  });

  it('interpolateQueryExpr: plain variables regular-escaped, multi/All ones as regex alternations', () => {
    expect(interpolateQueryExpr("abc'$^*{}[]+?.()|", {})).toBe("abc\\\\'$^*{}[]+?.()|");
    expect(interpolateQueryExpr('looking*glass', { multi: true })).toBe('looking\\\\*glass');
    expect(interpolateQueryExpr(['a|bc', 'de|f'], { multi: true })).toBe('(a\\\\|bc|de\\\\|f)');
    expect(interpolateQueryExpr(['looking*glass'], { includeAll: true })).toBe('looking\\\\*glass');
  });
});

describe('Grafana variable replacement', () => {
  const lane: VariableSelection = {
    model: { name: 'lane', multi: true, includeAll: true },
    value: ['latency', 'throughput'],
    options: ['latency', 'throughput'],
  };
  const model: VariableSelection = {
    model: { name: 'model', multi: true, includeAll: true, allValue: '.*' },
    value: [ALL],
  };
  const service: VariableSelection = { model: { name: 'service' }, value: 'chat-api' };
  const vars = new Map([
    ['lane', lane],
    ['model', model],
    ['service', service],
  ]);

  it('replaces $var, its braced form and [[var]] and leaves unknown names for the backend', () => {
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${name} syntax
      replaceDashboardVariables('a{job="$service",b="${service}",c="[[service]]"}', vars),
    ).toBe('a{job="chat-api",b="chat-api",c="chat-api"}');
    expect(replaceDashboardVariables('rate(x[$__rate_interval])', vars)).toBe(
      'rate(x[$__rate_interval])',
    );
  });

  it('expands multi-value selections to alternations and All to allValue or every option', () => {
    expect(replaceDashboardVariables('{l=~"$lane",m=~"$model"}', vars)).toBe(
      '{l=~"(latency|throughput)",m=~".*"}',
    );
    const allLanes = new Map([['lane', { ...lane, value: [ALL] }]]);
    expect(replaceDashboardVariables('{l=~"$lane"}', allLanes)).toBe('{l=~"(latency|throughput)"}');
    const oneModel = new Map([['model', { ...model, value: ['gemini-2.5-flash'] }]]);
    expect(replaceDashboardVariables('{m=~"$model"}', oneModel)).toBe(
      '{m=~"gemini-2\\\\.5-flash"}',
    );
  });

  it('computes $__rate_interval as max(interval + scrape, 4 × scrape), in Go duration format', () => {
    expect(rateIntervalMs({ scrapeIntervalMs: 15_000, intervalMs: 15_000, rangeMs: 0 })).toBe(
      60_000,
    );
    expect(rateIntervalMs({ scrapeIntervalMs: 15_000, intervalMs: 300_000, rangeMs: 0 })).toBe(
      315_000,
    );
    expect(goDuration(60_000)).toBe('1m0s');
    expect(goDuration(315_000)).toBe('5m15s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(500)).toBe('500ms');
    expect(formatInterval(30_000)).toBe('30s');
    expect(formatInterval(90_000)).toBe('1m');
  });

  it('replaces the built-ins, longest names first, in both forms', () => {
    const time = { scrapeIntervalMs: 15_000, intervalMs: 30_000, rangeMs: 6 * 3_600_000 };
    expect(
      replaceBuiltIns(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own ${name} syntax
        '[$__rate_interval] [${__rate_interval}] [$__range] $__range_s $__range_ms [$__interval] $__interval_ms',
        time,
      ),
    ).toBe('[1m0s] [1m0s] [21600s] 21600 21600000 [30s] 30000');
    expect(interpolate('rate(x{job="$service"}[$__rate_interval])', vars, time)).toBe(
      'rate(x{job="chat-api"}[1m0s])',
    );
  });
});
