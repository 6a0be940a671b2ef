import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GeminiLanesConfig, serviceJob } from '@gemini-lanes/core';

/** What the demo wrote for its configuration. */
export interface DemoArtifacts {
  dashboardsDir: string;
  dashboards: string[];
  alertsDir: string;
  rulesFile: string;
  alertFiles: string[];
  prometheusConfig: string;
}

/**
 * A Prometheus configuration that scrapes `target` under the job the dashboards and rules
 * select (`serviceJob(config)`) and loads the generated rules.
 */
export function prometheusYaml(
  config: GeminiLanesConfig,
  target: string,
  rulesPath: string,
): string {
  return `# Written by \`gemini-lanes demo\` for its configuration: scrapes the service's metrics
# (the demo's own endpoint while it runs, or the example service's:
#   pnpm --filter @gemini-lanes/example-mixed-service start)
# under the job the generated dashboards and rules select, and loads the generated rules.
#   prometheus --config.file=prometheus.yml
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - ${JSON.stringify(rulesPath)}
scrape_configs:
  - job_name: ${JSON.stringify(serviceJob(config))}
    static_configs:
      - targets: [${JSON.stringify(target)}]
`;
}

/**
 * Writes the Grafana dashboards (`<out>/dashboards`), the Prometheus rules, runbook and
 * Alertmanager example (`<out>/alerts`) generated from `config`, the same files
 * `gemini-lanes generate all` writes, and a `prometheus.yml` that scrapes `target` with them.
 */
export async function writeDemoArtifacts(
  out: string,
  config: GeminiLanesConfig,
  target: string,
): Promise<DemoArtifacts> {
  // Loaded on use, as `generate` does: the Grafana SDK is large.
  const [{ dashboardFiles }, { ruleFiles, RULE_FILE_NAMES }] = await Promise.all([
    import('@gemini-lanes/dashboards'),
    import('@gemini-lanes/alerts'),
  ]);
  const dashboardsDir = join(out, 'dashboards');
  const alertsDir = join(out, 'alerts');
  const dashboards = dashboardFiles(config);
  const alerts = ruleFiles(config);
  for (const [dir, files] of [
    [dashboardsDir, dashboards],
    [alertsDir, alerts],
  ] as const) {
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  }
  const prometheusConfig = join(out, 'prometheus.yml');
  await writeFile(
    prometheusConfig,
    prometheusYaml(config, target, `alerts/${RULE_FILE_NAMES.rules}`),
  );
  return {
    dashboardsDir,
    dashboards: Object.keys(dashboards),
    alertsDir,
    rulesFile: join(alertsDir, RULE_FILE_NAMES.rules),
    alertFiles: Object.keys(alerts),
    prometheusConfig,
  };
}
