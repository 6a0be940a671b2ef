import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { assembleDashboard } from './assemble-dashboard.js';
import { costPerHour, projectedCostPerDay } from './cost-panels.js';
import type { DashboardContext } from './dashboard-context.js';
import { laneErrorRatio, tokensPerSecond, tokensPerSecondStat } from './lane-panels.js';
import { budgetStat, sliStat, sliTimeseries } from './slo-panels.js';

/**
 * Both lanes side by side, each judged by its own goal: the latency lane (left) by its SLI
 * against the objective, the throughput lane (right) by tokens per second against its floor;
 * then cost per hour and error ratio of each. Links lead to the two lane dashboards.
 */
export function overviewDashboard(ctx: DashboardContext): dashboard.Dashboard {
  const { window } = ctx.config.slos.latency;
  return assembleDashboard(ctx, {
    kind: 'overview',
    description:
      'Both lanes side by side: the latency lane (left) against its SLO, the throughput lane (right) against its floor; cost and errors of each below. Links open the lane dashboards.',
    lanes: 'none',
    sections: [
      {
        title: 'Now',
        panels: [
          sliStat(ctx, 'Latency lane: within SLA (time range)', 6),
          budgetStat(ctx, `Latency lane: error budget remaining (${window})`, 6),
          tokensPerSecondStat(ctx, 6),
          projectedCostPerDay(ctx, 'Both lanes: projected cost per day', 6),
        ],
      },
      {
        title: 'Latency lane (left) | Throughput lane (right)',
        panels: [
          sliTimeseries(ctx, 'Latency lane: requests within SLA vs objective', 12),
          tokensPerSecond(ctx, 'throughput', 12),
          costPerHour(ctx, 'latency', 12),
          costPerHour(ctx, 'throughput', 12),
          laneErrorRatio(ctx, 'latency', 12),
          laneErrorRatio(ctx, 'throughput', 12),
        ],
      },
    ],
  });
}
