import { GeminiLanesError } from '@gemini-lanes/core';

/**
 * The dashboards cannot be generated from this input: a quantile outside (0, 1), an SLA
 * threshold that is not a histogram bucket boundary, an unknown lane or model in a selector.
 * Thrown instead of returning a dashboard whose queries would be wrong or empty.
 */
export class DashboardInputError extends GeminiLanesError {
  /** The offending field, as a path: `options.quantiles[1]`, `lanes.latency.sla.ttftMs`, `prometheus.selectors.gemini_lanes_lane`. */
  readonly field: string;
  /** The value that was refused. */
  readonly value: unknown;

  constructor(field: string, problem: string, value: unknown) {
    super('ERR_DASHBOARD_INPUT', `${field} ${problem} (got ${JSON.stringify(value)})`);
    this.field = field;
    this.value = value;
  }
}
