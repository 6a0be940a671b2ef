import type { GeminiLanesConfig } from '@gemini-lanes/core';
import { DASHBOARD_FILES } from './dashboard-names.js';
import { dashboardUid } from './uid.js';

/** The file name of the provisioning example among the generated files. */
export const PROVISIONING_FILE = 'grafana-provisioning.yaml';

/** Where the example expects the dashboard JSON files on the Grafana host. */
export const PROVISIONING_PATH = '/var/lib/grafana/dashboards/gemini-lanes';

/** A YAML double-quoted scalar (JSON's string syntax is a subset of YAML's). */
function quoted(text: string): string {
  return JSON.stringify(text);
}

/**
 * A Grafana file-provisioning provider for the generated dashboards: a folder named after the
 * dashboards' prefix, read from `PROVISIONING_PATH`, not editable from the UI (regenerate
 * instead), so a redeploy always shows what the configuration says.
 */
export function provisioningYaml(config: GeminiLanesConfig): string {
  const folder = config.dashboards.namePrefix;
  const files = Object.values(DASHBOARD_FILES)
    .map((f) => `#   ${f}`)
    .join('\n');
  return `# Grafana file provisioning for the gemini-lanes dashboards (generated; do not edit).
# Copy this file to /etc/grafana/provisioning/dashboards/ and the dashboard files
${files}
# to ${PROVISIONING_PATH}/ on the Grafana host (or mount them there), then restart
# Grafana or wait for the next scan. The dashboards select their Prometheus through the
# "datasource" variable unless dashboards.datasourceUid pins one.
apiVersion: 1
providers:
  - name: ${quoted(dashboardUid(folder))}
    orgId: 1
    folder: ${quoted(folder)}
    folderUid: ${quoted(dashboardUid(folder))}
    type: file
    disableDeletion: false
    allowUiUpdates: false
    updateIntervalSeconds: 60
    options:
      path: ${quoted(PROVISIONING_PATH)}
      foldersFromFilesStructure: false
`;
}
