import type { GeminiLanesConfig } from '@gemini-lanes/core';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import type { ResolvedDashboardOptions } from './dashboard-options.js';
import type { PanelContext } from './panel-factory.js';
import { VARIABLE } from './template-variable-names.js';

/** What every dashboard builder reads: the configuration, the checked options, the data source. */
export interface DashboardContext extends PanelContext {
  readonly config: GeminiLanesConfig;
  readonly options: ResolvedDashboardOptions;
}

/** The pinned Prometheus (`dashboards.datasourceUid`), or the `$datasource` variable. */
export function datasourceRef(config: GeminiLanesConfig): common.DataSourceRef {
  return {
    type: 'prometheus',
    uid: config.dashboards.datasourceUid ?? `\${${VARIABLE.datasource}}`,
  };
}
