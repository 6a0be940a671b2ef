import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type GeminiLanesConfigInput } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { RULE_FILE_NAMES, ruleFiles } from '../src/index.js';
import { ARTIFACTS, run, runAsync, withFiles } from './tools.js';

const RULES = RULE_FILE_NAMES.rules;
const LONG = 120_000;

const profiles: Record<string, GeminiLanesConfigInput> = {
  default: {},
  'unit-suffixed naming': { prometheus: { naming: 'unit-suffixed' } },
  'test profile (timeScale 0.01)': { alerts: { timeScale: 0.01 } },
  '28-day SLOs': { slos: { latency: { window: '28d' }, throughput: { window: '28d' } } },
  'an instance selector': { prometheus: { selectors: { instance: 'app-1:9464' } } },
  'every option': {
    service: 'chat-api',
    lanes: {
      latency: { sla: { ttftMs: 1000, durationMs: 4000 } },
      throughput: { floorTokensPerSecond: 250 },
    },
    alerts: {
      namePrefix: 'ChatApi',
      costBudgetUsdPerHour: 12.5,
      severities: { page: 'p1', ticket: 'p3' },
      runbookBaseUrl: 'https://runbooks.example.com/chat-api',
    },
    prometheus: { selectors: { cluster: 'eu "west"', namespace: 'ai' }, rateInterval: '2m' },
  },
};

describe('promtool check rules', () => {
  for (const [name, input] of Object.entries(profiles)) {
    it(
      `accepts the rules of the ${name} configuration`,
      () => {
        const files = ruleFiles(defineConfig(input));
        const out = withFiles({ [RULES]: files[RULES] }, (dir) =>
          run('promtool', ['check', 'rules', join(dir, RULES)]),
        );
        expect(out).toMatch(/SUCCESS: \d+ rules found/);
      },
      LONG,
    );
  }
});

describe('promtool test rules', () => {
  const tests = readdirSync(join(ARTIFACTS, 'tests'))
    .filter((f) => f.endsWith('.yml'))
    .sort();

  it('finds the hand-written test files in alerts/tests', () => {
    expect(tests).toEqual([
      'opt-in-alerts.yml',
      'recording-rules.yml',
      'slo-alerts.yml',
      'symptom-alerts.yml',
    ]);
  });

  // One promtool process per file, side by side: the SLO file alone evaluates 4 hours of rules.
  for (const file of tests) {
    it.concurrent(`passes alerts/tests/${file} against the committed rules`, async () => {
      const out = await runAsync('promtool', ['test', 'rules', join('tests', file)], ARTIFACTS);
      expect(out).toContain('SUCCESS');
      expect(out).not.toContain('FAILED');
    }, 300_000);
  }

  it(
    'reads the SLA bucket whether Prometheus wrote le="1" (2.x) or le="1.0" (3.x)',
    () => {
      // sla.ttftMs 1000. Per minute: 1920 streams, 1440 with their first chunk within 1 s (32 and
      // 24 per second): 1 - 24 / 32 = 0.25 for both services, whichever way the bound is written.
      const series = (job: string, le: string) => `
      - series: 'gen_ai_client_operation_time_to_first_chunk_count{job="${job}", gemini_lanes_lane="latency", gen_ai_operation_name="generate_content"}'
        values: '0+1920x20'
      - series: 'gen_ai_client_operation_time_to_first_chunk_bucket{job="${job}", gemini_lanes_lane="latency", gen_ai_operation_name="generate_content", le="${le}"}'
        values: '0+1440x20'
      - series: 'gemini_lanes_requests_total{job="${job}", gemini_lanes_lane="latency", gen_ai_operation_name="generate_content", gemini_lanes_outcome="rejected"}'
        values: '0x20'
      - series: 'gemini_lanes_requests_total{job="${job}", gemini_lanes_lane="latency", gen_ai_operation_name="generate_content", gemini_lanes_outcome="timed_out"}'
        values: '0x20'`;
      const test = `rule_files: [${RULES}]
evaluation_interval: 1m
group_eval_order: [gemini-lanes.rates, gemini-lanes.sli, gemini-lanes.slo-alerts, gemini-lanes.symptom-alerts]
tests:
  - interval: 1m
    input_series:${series('prometheus-2', '1')}${series('prometheus-3', '1.0')}
    promql_expr_test:
      - expr: lane:gemini_lanes_sli_error:ratio_rate5m{slo="latency"}
        eval_time: 10m
        exp_samples:
          - labels: 'lane:gemini_lanes_sli_error:ratio_rate5m{job="prometheus-2", gemini_lanes_lane="latency", slo="latency"}'
            value: 0.25
          - labels: 'lane:gemini_lanes_sli_error:ratio_rate5m{job="prometheus-3", gemini_lanes_lane="latency", slo="latency"}'
            value: 0.25
`;
      const files = ruleFiles(defineConfig({ lanes: { latency: { sla: { ttftMs: 1000 } } } }));
      const out = withFiles({ [RULES]: files[RULES], 'le.yml': test }, (dir) =>
        run('promtool', ['test', 'rules', 'le.yml'], dir),
      );
      expect(out).toContain('SUCCESS');
    },
    LONG,
  );

  it(
    'pages within seconds under a test profile (timeScale 0.01), with the production names',
    () => {
      // 197 successes and 3 errors a second: 1.5% > 14.4 × 0.1%. Windows: 1h → 36s, 5m → 3s,
      // 6h → 3m36s, 30m → 18s; for: 2m30s → 1.5s, 15m → 9s. The 1h pair holds from 1s (a rate
      // needs two samples) and fires at 3s; the 6h pair's guard (360 requests) holds from 2s, so
      // it fires at 11s.
      const req = (outcome: string, values: string) => `
      - series: 'gemini_lanes_requests_total{job="gemini-app", gemini_lanes_lane="latency", gen_ai_operation_name="generate_content", gemini_lanes_outcome="${outcome}"}'
        values: '${values}'`;
      const alert = (
        severity: string,
        long: string,
        short: string,
        factor: string,
        spent: string,
        window: string,
        shortWindow: string,
      ) => `
          - exp_labels:
              job: gemini-app
              gemini_lanes_lane: latency
              slo: availability
              severity: ${severity}
              long_window: ${long}
              short_window: ${short}
            exp_annotations:
              summary: "The latency lane of gemini-app is burning its availability error budget at over ${factor}× the sustainable rate"
              description: "1.5% of the latency lane's requests failed, were rejected or timed out over the last ${window} (and still over the last ${shortWindow}); the 99.9% availability objective allows 0.1%. At this rate ${spent} of the 30d error budget is gone within ${window}."
              runbook_url: alerts/runbook.md#geminilanesavailabilitybudgetburn`;
      const test = `rule_files: [${RULES}]
evaluation_interval: 1s
group_eval_order: [gemini-lanes.rates, gemini-lanes.sli, gemini-lanes.slo-alerts, gemini-lanes.symptom-alerts]
tests:
  - interval: 1s
    input_series:${req('success', '0+197x30')}${req('error', '0+3x30')}${req('rejected', '0x30')}${req('timed_out', '0x30')}
    alert_rule_test:
      - eval_time: 2s
        alertname: GeminiLanesAvailabilityBudgetBurn
        exp_alerts: []
      - eval_time: 10s
        alertname: GeminiLanesAvailabilityBudgetBurn
        exp_alerts:${alert('critical', '1h', '5m', '14.4', '2%', '36s', '3s')}
      - eval_time: 15s
        alertname: GeminiLanesAvailabilityBudgetBurn
        exp_alerts:${alert('critical', '1h', '5m', '14.4', '2%', '36s', '3s')}${alert('critical', '6h', '30m', '6', '5%', '3m36s', '18s')}
`;
      const files = ruleFiles(defineConfig({ alerts: { timeScale: 0.01 } }));
      const out = withFiles({ [RULES]: files[RULES], 'scaled.yml': test }, (dir) =>
        run('promtool', ['test', 'rules', 'scaled.yml'], dir),
      );
      expect(out).toContain('SUCCESS');
    },
    LONG,
  );
});

describe('amtool check-config', () => {
  for (const [name, input] of Object.entries({
    default: {},
    'custom severities': { alerts: { severities: { page: 'p1', ticket: 'p3' } } },
  })) {
    it(
      `accepts the Alertmanager example of the ${name} configuration`,
      () => {
        const files = ruleFiles(defineConfig(input));
        const out = withFiles({ am: files[RULE_FILE_NAMES.alertmanager] }, (dir) =>
          run('amtool', ['check-config', join(dir, 'am')]),
        );
        expect(out).toContain('SUCCESS');
        expect(out).toContain('2 receivers');
        expect(out).toContain('1 inhibit rules');
      },
      LONG,
    );
  }
});
