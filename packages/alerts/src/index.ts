export { AlertRulesError } from './alert-rules-error.js';
export { buildRules } from './build-rules.js';
export { formatDuration, parseDuration, scaleDuration } from './duration.js';
export { RECORDED_QUANTILES, type RecordNames, recordNames } from './record-names.js';
export { RULE_FILE_NAMES, type RuleFileName, ruleFiles } from './rule-files.js';
export type { RuleOptions } from './rule-options.js';
export {
  type AlertAnnotations,
  type AlertingRule,
  isAlertingRule,
  type RecordingRule,
  type Rule,
  type RuleGroup,
} from './rule-types.js';
