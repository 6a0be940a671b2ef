import type { Lane } from '@gemini-lanes/core';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardContext } from './dashboard-context.js';
import { dashboardLinks } from './dashboard-links.js';
import { type DashboardKind, dashboardTitle, uidOf } from './dashboard-names.js';
import { templateVariables } from './template-variables.js';

/** A titled row of panels; rows run top to bottom from symptoms to causes. */
export interface DashboardSection {
  readonly title: string;
  readonly panels: readonly cog.Builder<dashboard.Panel>[];
}

export interface DashboardLayout {
  readonly kind: DashboardKind;
  readonly description: string;
  /** The lane variable's default selection, or `none` for a dashboard that pins lanes per panel. */
  readonly lanes: readonly Lane[] | 'none';
  readonly sections: readonly DashboardSection[];
}

/**
 * One dashboard: title, stable uid, tags, variables and links from the configuration, then the
 * sections in order. Panel ids are numbered top to bottom, so they stay the same between
 * regenerations and `viewPanel` links keep working.
 */
export function assembleDashboard(
  ctx: DashboardContext,
  layout: DashboardLayout,
): dashboard.Dashboard {
  const { config, options } = ctx;
  const builder = new dashboard.DashboardBuilder(dashboardTitle(config, layout.kind))
    .uid(uidOf(config, layout.kind))
    .description(layout.description)
    .tags([...config.dashboards.tags])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .timezone('browser')
    .time({ from: options.timeFrom, to: 'now' })
    .refresh(options.refresh)
    .annotations([])
    .variables(templateVariables(config, ctx.datasource, layout.lanes))
    .links(dashboardLinks(config, layout.kind));
  for (const section of layout.sections) {
    builder.withRow(new dashboard.RowBuilder(section.title).collapsed(false));
    for (const panel of section.panels) builder.withPanel(panel);
  }
  const built = builder.build();
  (built.panels ?? []).forEach((panel, index) => {
    panel.id = index + 1;
  });
  return built;
}
