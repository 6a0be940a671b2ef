import type { GeminiLanesConfig } from '@gemini-lanes/core';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_KINDS, type DashboardKind, linkTitle, uidOf } from './dashboard-names.js';
import { VARIABLE } from './template-variable-names.js';

/**
 * Links from one dashboard to the other two, keeping the time range, data source, service and
 * model. The lane is not carried over: each lane dashboard opens on its own lane.
 */
export function dashboardLinks(
  config: GeminiLanesConfig,
  from: DashboardKind,
): dashboard.DashboardLinkBuilder[] {
  const carried = [VARIABLE.datasource, VARIABLE.service, VARIABLE.model]
    .map((name) => `\${${name}:queryparam}`)
    .join('&');
  return DASHBOARD_KINDS.filter((kind) => kind !== from).map((kind) =>
    new dashboard.DashboardLinkBuilder(linkTitle(kind))
      .type(dashboard.DashboardLinkType.Link)
      .url(`/d/${uidOf(config, kind)}?${carried}`)
      .icon('dashboard')
      .tooltip(`Open ${linkTitle(kind)}`)
      .keepTime(true)
      .includeVars(false)
      .targetBlank(false)
      .asDropdown(false),
  );
}
