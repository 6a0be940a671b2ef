import type { RuleContext } from './rule-context.js';

/** `GeminiLanes` + `TimeToFirstChunkHigh`: every alert shares `alerts.namePrefix`. */
export function alertName(ctx: RuleContext, suffix: string): string {
  return `${ctx.config.alerts.namePrefix}${suffix}`;
}

/** `<alerts.runbookBaseUrl>#<alert name in lowercase>`: the anchor of the alert's runbook section. */
export function runbookUrl(ctx: RuleContext, alert: string): string {
  return `${ctx.config.alerts.runbookBaseUrl}#${runbookAnchor(alert)}`;
}

/** The runbook anchor of an alert: its name in lowercase (what GitHub makes of a `## Name` heading). */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

/** The `severity` label value: `alerts.severities.page` pages, `alerts.severities.ticket` files a ticket. */
export function severity(ctx: RuleContext, kind: 'page' | 'ticket'): string {
  return ctx.config.alerts.severities[kind];
}

/** `{{ $labels.name }}`: a label of the alerting series, in an annotation. */
export function labelTemplate(label: string): string {
  return `{{ $labels.${label} }}`;
}
