import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  defineConfig,
  type GeminiLanesConfig,
  METRICS,
  prometheusSeries,
} from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { buildDashboards } from '../src/index.js';
import { panelTitled } from './dashboard-walk.js';
import { interpolate } from './grafana-interpolation.js';
import { selectionCases, variablesFor } from './variable-selections.js';

const run = promisify(execFile);
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';

/**
 * The SLI panels evaluated on known traffic with `promtool test rules` (real PromQL engine):
 * over 10 minutes the latency lane sees
 * - 90 streams without error, 80 of them with a first chunk within 0.5 s; 10 failed streams,
 *   all fast (they must not count as good);
 * - 70 unary calls, 60 within 2.5 s; 50 streams' durations and 50 unary embeddings (neither
 *   counts: streams are judged by time to first chunk, embeddings are not generate_content);
 * - 20 rejected and 10 timed-out requests (bad: shedding never helps), 500 successes (already
 *   counted through the histograms);
 * and the throughput lane 500 fast streams and 500 rejections (another lane: ignored).
 * good = 80 + 60 = 140, total = 90 + 10 + 70 + 20 + 10 = 200: 70 % within SLA.
 */
function inputSeries(config: GeminiLanesConfig, job: string): string {
  const naming = config.prometheus.naming;
  const [ttftBucket, , ttftCount] = prometheusSeries(METRICS.timeToFirstChunk, naming).series;
  const [durBucket, , durCount] = prometheusSeries(METRICS.operationDuration, naming).series;
  const requests = prometheusSeries(METRICS.requests, naming).name;
  const base = `job="${job}", gen_ai_operation_name="generate_content"`;
  const lat = `${base}, gemini_lanes_lane="latency"`;
  const series: [string, number][] = [
    [`${ttftBucket}{${lat}, le="0.5"}`, 8],
    [`${ttftBucket}{${lat}, le="+Inf"}`, 9],
    [`${ttftCount}{${lat}}`, 9],
    [`${ttftBucket}{${lat}, error_type="500", le="0.5"}`, 1],
    [`${ttftBucket}{${lat}, error_type="500", le="+Inf"}`, 1],
    [`${ttftCount}{${lat}, error_type="500"}`, 1],
    [`${durBucket}{${lat}, gen_ai_request_stream="false", le="2.5"}`, 6],
    [`${durBucket}{${lat}, gen_ai_request_stream="false", le="+Inf"}`, 7],
    [`${durCount}{${lat}, gen_ai_request_stream="false"}`, 7],
    [`${durBucket}{${lat}, gen_ai_request_stream="true", le="2.5"}`, 5],
    [`${durCount}{${lat}, gen_ai_request_stream="true"}`, 5],
    [
      `${durBucket}{job="${job}", gen_ai_operation_name="embeddings", gemini_lanes_lane="latency", gen_ai_request_stream="false", le="2.5"}`,
      5,
    ],
    [
      `${durCount}{job="${job}", gen_ai_operation_name="embeddings", gemini_lanes_lane="latency", gen_ai_request_stream="false"}`,
      5,
    ],
    [
      `${requests}{job="${job}", gemini_lanes_lane="latency", gen_ai_operation_name="generate_content", gemini_lanes_outcome="rejected"}`,
      2,
    ],
    [
      `${requests}{job="${job}", gemini_lanes_lane="latency", gen_ai_operation_name="generate_content", gemini_lanes_outcome="timed_out"}`,
      1,
    ],
    [`${requests}{job="${job}", gemini_lanes_lane="latency", gemini_lanes_outcome="success"}`, 50],
    [`${ttftBucket}{${base}, gemini_lanes_lane="throughput", le="0.5"}`, 50],
    [`${ttftCount}{${base}, gemini_lanes_lane="throughput"}`, 50],
    [
      `${requests}{job="${job}", gemini_lanes_lane="throughput", gemini_lanes_outcome="rejected"}`,
      50,
    ],
  ];
  return series
    .map(([s, perMinute]) => `      - series: '${s}'\n        values: '0+${perMinute}x10'`)
    .join('\n');
}

async function evaluate(config: GeminiLanesConfig, checks: { expr: string; value: number }[]) {
  const dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-sli-'));
  try {
    const tests = checks
      .map(
        (c) =>
          `      - expr: ${JSON.stringify(`round(${c.expr}, 0.0001)`)}\n        eval_time: 10m\n        exp_samples:\n          - labels: '{}'\n            value: ${c.value}`,
      )
      .join('\n');
    const file = join(dir, 'sli.test.yml');
    await writeFile(
      file,
      `rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${inputSeries(config, config.service)}\n    promql_expr_test:\n${tests}\n`,
    );
    return await run(PROMTOOL, ['test', 'rules', file], { timeout: 60_000 }).then(
      (r) => ({ ok: true, output: r.stdout }),
      (e: { stdout?: string; stderr?: string }) => ({
        ok: false,
        output: `${e.stdout}${e.stderr}`,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const TEN_MINUTES = { scrapeIntervalMs: 15_000, intervalMs: 15_000, rangeMs: 600_000 };

for (const naming of ['otel-js', 'unit-suffixed'] as const) {
  describe(`latency SLI on known traffic (${naming})`, () => {
    const config = defineConfig({ prometheus: { naming } });
    const dashboard = buildDashboards(config)['gemini-lanes-latency.json'];
    const everything = selectionCases(config).find((c) => c.name === 'All');
    if (everything === undefined) throw new Error('no All selection');
    const variables = variablesFor(dashboard, config, everything);
    const exprOf = (title: string) =>
      interpolate(panelTitled(dashboard, title).targets?.[0]?.expr ?? '', variables, TEN_MINUTES);

    it('counts rejections and timeouts as bad, failed fast streams as bad, other lanes and operations not at all', async () => {
      const result = await evaluate(config, [
        { expr: exprOf('Requests within SLA (time range)'), value: 0.7 },
        // 1 − (1 − 0.7) / (1 − 0.99) = −29: the whole 30-day budget spent 30 times over.
        { expr: exprOf('Error budget remaining (30d)'), value: -29 },
      ]);
      expect(result.output).toContain('SUCCESS');
      expect(result.ok).toBe(true);
    }, 60_000);

    it('would notice a wrong answer (the check can fail)', async () => {
      const result = await evaluate(config, [
        { expr: exprOf('Requests within SLA (time range)'), value: 0.8235 },
      ]);
      expect(result.ok).toBe(false);
      expect(result.output).toContain('got: {} 7E-01');
    }, 60_000);
  });
}
