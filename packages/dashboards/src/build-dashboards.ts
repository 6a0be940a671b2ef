import type { GeminiLanesConfig } from '@gemini-lanes/core';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { type DashboardContext, datasourceRef } from './dashboard-context.js';
import { DASHBOARD_FILES, type DashboardFileName } from './dashboard-names.js';
import type { DashboardOptions } from './dashboard-options.js';
import { latencyDashboard } from './latency-dashboard.js';
import { overviewDashboard } from './overview-dashboard.js';
import { throughputDashboard } from './throughput-dashboard.js';
import { resolveDashboardInput } from './validate-input.js';

/** A Grafana dashboard (the classic JSON model every Grafana version provisions). */
export type GrafanaDashboard = dashboard.Dashboard;

/**
 * The overview, latency and throughput dashboards for `config`, by file name. Every metric and
 * label name comes from core's catalog in `config.prometheus.naming`, thresholds from the
 * configuration; throws `DashboardInputError` naming the field when the input would give a
 * broken query. Pure: the same input always gives the same dashboards.
 */
export function buildDashboards(
  config: GeminiLanesConfig,
  options: DashboardOptions = {},
): Record<DashboardFileName, GrafanaDashboard> {
  const ctx: DashboardContext = {
    config,
    options: resolveDashboardInput(config, options),
    datasource: datasourceRef(config),
  };
  return {
    [DASHBOARD_FILES.overview]: overviewDashboard(ctx),
    [DASHBOARD_FILES.latency]: latencyDashboard(ctx),
    [DASHBOARD_FILES.throughput]: throughputDashboard(ctx),
  };
}
