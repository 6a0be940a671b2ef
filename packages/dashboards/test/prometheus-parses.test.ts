import { defineConfig, type GeminiLanesConfig } from '@gemini-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboards } from '../src/index.js';
import { exprsOf } from './dashboard-walk.js';
import { interpolate, type QueryTime } from './grafana-interpolation.js';
import { type PrometheusServer, startPrometheus } from './prometheus-server.js';
import { selectionCases, variablesFor } from './variable-selections.js';

const CONFIGS: Record<string, GeminiLanesConfig> = {
  'default (otel-js)': defineConfig({}),
  'unit-suffixed, selectors, 1 s SLA, 28d window': defineConfig({
    prometheus: { naming: 'unit-suffixed', selectors: { cluster: 'eu-west-1', namespace: 'ai' } },
    dashboards: { datasourceUid: 'prom-main' },
    lanes: {
      latency: {
        sla: { ttftMs: 1000, durationMs: 3000 },
        models: ['gemini-2.5-flash', 'gemini-2.5-pro'],
      },
      throughput: { floorTokensPerSecond: 5000 },
    },
    slos: { latency: { window: '28d' } },
    alerts: { costBudgetUsdPerHour: 3 },
  }),
};

const TIMES: Record<string, QueryTime> = {
  '6h at 15s': { scrapeIntervalMs: 15_000, intervalMs: 15_000, rangeMs: 6 * 3_600_000 },
  '7d at 5m, 30s scrape': {
    scrapeIntervalMs: 30_000,
    intervalMs: 300_000,
    rangeMs: 7 * 86_400_000,
  },
};

/** The selector inside a `label_values(selector, label)` variable query. */
function labelValuesSelector(query: string): string {
  const match = /^label_values\((.+), ([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query);
  if (match?.[1] === undefined) throw new Error(`not a label_values query: ${query}`);
  return match[1];
}

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(run));
  }
}

describe('every query, interpolated as Grafana does, parses in a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    prometheus = await startPrometheus(90_000);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
  }, 30_000);

  for (const [configName, config] of Object.entries(CONFIGS)) {
    it(`${configName}: panels and variable queries, every selection and time range`, async () => {
      const server = prometheus;
      if (server === undefined) throw new Error('prometheus did not start');
      const queries = new Map<string, string>();
      for (const [file, dashboard] of Object.entries(buildDashboards(config))) {
        const variableQueries = (dashboard.templating.list ?? [])
          .filter((v) => v.type === 'query')
          .map((v) => ({
            panel: `variable ${v.name}`,
            refId: '',
            expr: labelValuesSelector(String(v.query)),
          }));
        for (const { panel, refId, expr } of [...exprsOf(dashboard), ...variableQueries]) {
          for (const selection of selectionCases(config)) {
            const variables = variablesFor(dashboard, config, selection);
            for (const [timeName, time] of Object.entries(TIMES)) {
              const sent = interpolate(expr, variables, time);
              expect(sent, `${file} ${panel}: a variable was left uninterpolated`).not.toMatch(
                /\$/,
              );
              queries.set(sent, `${file} / ${panel} ${refId} / ${selection.name} / ${timeName}`);
            }
          }
        }
      }
      expect(queries.size).toBeGreaterThan(100);
      const failures: string[] = [];
      await inBatches([...queries], 4, async ([expr, where]) => {
        const result = await server.query(expr);
        if (result.status !== 'success') {
          failures.push(`${where}: ${result.errorType}: ${result.error}\n    ${expr}`);
        }
      });
      expect(failures, failures.join('\n')).toEqual([]);
    }, 120_000);
  }

  it('rejects a broken query with bad_data (the check can fail)', async () => {
    const server = prometheus;
    if (server === undefined) throw new Error('prometheus did not start');
    const result = await server.query('sum by (le (rate(x[1m0s]))');
    expect(result.status).toBe('error');
    expect(result.errorType).toBe('bad_data');
  });
});
