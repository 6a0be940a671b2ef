import type { GeminiLanesConfig } from '@gemini-lanes/core';
import { buildDashboards } from './build-dashboards.js';
import type { DashboardOptions } from './dashboard-options.js';
import { PROVISIONING_FILE, provisioningYaml } from './grafana-provisioning.js';

/**
 * Every generated file by name, as text ready to write: one pretty-printed JSON per dashboard
 * (two-space indent, trailing newline) and the Grafana file-provisioning example. Writing them
 * to a directory is the caller's job (`gemini-lanes generate dashboards --out <dir>`).
 */
export function dashboardFiles(
  config: GeminiLanesConfig,
  options: DashboardOptions = {},
): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, dashboard] of Object.entries(buildDashboards(config, options))) {
    files[name] = `${JSON.stringify(dashboard, null, 2)}\n`;
  }
  files[PROVISIONING_FILE] = provisioningYaml(config);
  return files;
}
