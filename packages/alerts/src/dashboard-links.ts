import type { RuleContext } from './rule-context.js';

/** The generated dashboards, by the part of their title after `dashboards.namePrefix`. */
export type DashboardName = 'Latency' | 'Throughput' | 'Overview';

/**
 * Where the runbook sends the reader: `*Gemini Lanes / Latency* → *Time to first chunk*`. The
 * titles follow `@gemini-lanes/dashboards` (`<namePrefix> / <name>`).
 */
export function panelRef(ctx: RuleContext, dashboard: DashboardName, panel: string): string {
  return `*${ctx.config.dashboards.namePrefix} / ${dashboard}* → *${panel}*`;
}
