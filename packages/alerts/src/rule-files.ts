import type { GeminiLanesConfig } from '@gemini-lanes/core';
import { alertmanagerExample } from './alertmanager.js';
import { buildRuleSet } from './build-rules.js';
import { renderRules } from './render.js';
import type { RuleOptions } from './rule-options.js';
import { renderRunbook } from './runbook.js';

/** The files `ruleFiles` returns, by role. */
export const RULE_FILE_NAMES = {
  rules: 'gemini-lanes.rules.yml',
  runbook: 'runbook.md',
  alertmanager: 'alertmanager.example.yml',
} as const;

export type RuleFileName = (typeof RULE_FILE_NAMES)[keyof typeof RULE_FILE_NAMES];

/**
 * Every generated file, by file name, ready to write into one directory: the rule file, the
 * runbook its `runbook_url`s point into, and an Alertmanager routing example. The same
 * configuration always gives the same bytes.
 */
export function ruleFiles(
  config: GeminiLanesConfig,
  options: RuleOptions = {},
): Record<RuleFileName, string> {
  const set = buildRuleSet(config, options);
  return {
    [RULE_FILE_NAMES.rules]: renderRules(set.groups),
    [RULE_FILE_NAMES.runbook]: renderRunbook(set.context, set.alerts),
    [RULE_FILE_NAMES.alertmanager]: alertmanagerExample(set.context),
  };
}
