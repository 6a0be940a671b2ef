/** A Prometheus recording rule. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The annotations every generated alert carries, with values templated in. */
export interface AlertAnnotations {
  readonly summary: string;
  readonly description: string;
  /** `<alerts.runbookBaseUrl>#<alert name in lowercase>`: the alert's section of the runbook. */
  readonly runbook_url: string;
}

/** A Prometheus alerting rule. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires (scaled by `alerts.timeScale`). */
  readonly for: string;
  /** `severity` (page or ticket, from `alerts.severities`) and the alert's own labels. */
  readonly labels: Readonly<Record<string, string>> & { readonly severity: string };
  readonly annotations: AlertAnnotations;
}

export type Rule = RecordingRule | AlertingRule;

/** A Prometheus rule group, as a rule file's `groups` lists them. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

/** What the runbook says about one alert. */
export interface RunbookEntry {
  /** What the alert means, in a sentence or two. */
  readonly meaning: string;
  /** Who is hurt and how, while it fires. */
  readonly impact: string;
  /** The dashboard and panel to open first. */
  readonly dashboard: string;
  /** What to check and do, in order. */
  readonly mitigation: readonly string[];
}

/**
 * One alert name, its rules (a burn-rate alert has one per window pair) and its runbook section.
 * An alert the configuration turns off has no rules and says why in `off`; its runbook section
 * stays, so a link from another configuration's rules never dangles.
 */
export interface AlertDefinition {
  readonly alert: string;
  readonly rules: readonly AlertingRule[];
  readonly runbook: RunbookEntry;
  /** Why the configuration generates no rule for this alert, and how to turn it on. */
  readonly off?: string | undefined;
}

/** True for alerting rules, false for recording rules. */
export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}
