export { buildDashboards, type GrafanaDashboard } from './build-dashboards.js';
export { dashboardFiles } from './dashboard-files.js';
export { DashboardInputError } from './dashboard-input-error.js';
export {
  DASHBOARD_FILES,
  DASHBOARD_KINDS,
  type DashboardFileName,
  type DashboardKind,
  dashboardTitle,
} from './dashboard-names.js';
export {
  type DashboardOptions,
  DEFAULT_QUANTILES,
  DEFAULT_QUEUE_WAIT_QUANTILE,
  DEFAULT_REFRESH,
  DEFAULT_TIME_FROM,
  type ResolvedDashboardOptions,
} from './dashboard-options.js';
export { PROVISIONING_FILE, PROVISIONING_PATH, provisioningYaml } from './grafana-provisioning.js';
export { dashboardUid, MAX_UID_LENGTH } from './uid.js';
export { resolveDashboardInput } from './validate-input.js';
