import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { dashboardFiles } from '../src/index.js';
import { compareWithDirectory, describeDifferences } from './generated-files.js';

const GOLDEN = fileURLToPath(new URL('./golden/unit-suffixed/', import.meta.url));
/** Stored as `<file>.golden` so the formatter leaves the generator's exact bytes alone. */
const SUFFIX = '.golden';

/**
 * The `unit-suffixed` naming (what an OpenTelemetry Collector writes) against golden files,
 * with the options that change queries most: selectors, a pinned data source, an SLA of 1 s
 * (whose bucket needs the `le="1"` / `le="1.0"` matcher), a 28-day window, a floor and a budget.
 * Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
 */
const GOLDEN_CONFIG = defineConfig({
  service: 'chat-api',
  prometheus: { naming: 'unit-suffixed', selectors: { cluster: 'eu-west-1' } },
  dashboards: { datasourceUid: 'prometheus-eu', namePrefix: 'Chat API', tags: ['chat', 'gemini'] },
  lanes: {
    latency: {
      sla: { ttftMs: 1000, durationMs: 4000 },
      models: ['gemini-2.5-flash', 'gemini-2.5-pro'],
    },
    throughput: { floorTokensPerSecond: 5000, models: ['gemini-2.5-flash-lite'] },
  },
  slos: { latency: { window: '28d', latency: { target: 0.995 } } },
  alerts: { costBudgetUsdPerHour: 3 },
});

describe('unit-suffixed naming against golden files', () => {
  it('generates exactly the golden dashboards', () => {
    const files = dashboardFiles(GOLDEN_CONFIG);
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      for (const [file, text] of Object.entries(files)) {
        writeFileSync(join(GOLDEN, `${file}${SUFFIX}`), text);
      }
    }
    const differences = compareWithDirectory(files, GOLDEN, { suffix: SUFFIX });
    expect(
      differences,
      describeDifferences(differences, 'UPDATE_GOLDEN=1 pnpm exec vitest run --project dashboards'),
    ).toEqual([]);
  });

  it('uses the suffixed names and the 1 s bucket matcher that holds on Prometheus 2 and 3', () => {
    const latency = dashboardFiles(GOLDEN_CONFIG)['gemini-lanes-latency.json'] ?? '';
    expect(latency).toContain('gen_ai_client_operation_time_to_first_chunk_seconds_bucket{');
    expect(latency).toContain('le=~\\"1|1\\\\\\\\.0\\"');
    expect(latency).toContain('le=~\\"4|4\\\\\\\\.0\\"');
    expect(latency).not.toContain('gen_ai_client_operation_time_to_first_chunk_bucket{');
    const throughput = dashboardFiles(GOLDEN_CONFIG)['gemini-lanes-throughput.json'] ?? '';
    expect(throughput).toContain('gemini_lanes_cost_USD_total{');
    expect(throughput).toContain('gemini_lanes_quota_utilization_ratio{');
  });
});
