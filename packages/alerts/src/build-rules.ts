import type { GeminiLanesConfig } from '@gemini-lanes/core';
import { recordingRules } from './recording-rules.js';
import { type RuleContext, ruleContext } from './rule-context.js';
import type { RuleOptions } from './rule-options.js';
import type { AlertDefinition, RuleGroup } from './rule-types.js';
import { sliRecordingRules } from './sli.js';
import { sloAlerts } from './slo-alerts.js';
import { symptomAlerts } from './symptom-alerts.js';

/** The rule groups, the alert definitions behind them (for the runbook) and the context they share. */
export interface RuleSet {
  readonly context: RuleContext;
  readonly groups: readonly RuleGroup[];
  readonly alerts: readonly AlertDefinition[];
}

/** Everything the rule files are made from, built once. */
export function buildRuleSet(config: GeminiLanesConfig, options: RuleOptions = {}): RuleSet {
  const context = ruleContext(config, options);
  const slo = sloAlerts(context);
  const symptoms = symptomAlerts(context);
  // Alerts the configuration turns off have no rules; they stay in `alerts` for the runbook.
  const groups: RuleGroup[] = [
    recordingRules(context),
    sliRecordingRules(context),
    { name: 'gemini-lanes.slo-alerts', rules: slo.flatMap((a) => a.rules) },
    { name: 'gemini-lanes.symptom-alerts', rules: symptoms.flatMap((a) => a.rules) },
  ];
  return { context, groups, alerts: [...slo, ...symptoms] };
}

/**
 * The Prometheus rule groups for a configuration: per-lane rates and percentiles, SLI error
 * ratios over every burn-rate window, multiwindow multi-burn-rate SLO alerts and symptom alerts.
 * Every metric and label name comes from core's catalog in the configured naming. Throws
 * `ConfigError` for an invalid configuration and `AlertRulesError` for input the rules cannot
 * honour, each naming the field.
 */
export function buildRules(config: GeminiLanesConfig, options: RuleOptions = {}): RuleGroup[] {
  return [...buildRuleSet(config, options).groups];
}
