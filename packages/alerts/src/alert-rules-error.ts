import { GeminiLanesError } from '@gemini-lanes/core';

/**
 * The rules cannot be generated from this input: a configured selector that would collide with
 * a label the rules match on, or an SLI threshold that is not a bucket boundary of the histograms
 * the services export. Thrown instead of returning rules that would match nothing or interpolate.
 */
export class AlertRulesError extends GeminiLanesError {
  /** The offending field, as a path: `prometheus.selectors.gemini_lanes_lane`, `lanes.latency.sla.ttftMs`. */
  readonly field: string;
  /** The value that was refused. */
  readonly value: unknown;

  constructor(field: string, problem: string, value: unknown) {
    super('ERR_ALERT_RULES_INPUT', `${field} ${problem} (got ${JSON.stringify(value)})`);
    this.field = field;
    this.value = value;
  }
}
