import {
  ATTR,
  bucketBoundaries,
  ConfigError,
  type GeminiLanesConfig,
  labelName,
  METRICS,
  serviceJob,
  validateConfig,
} from '@gemini-lanes/core';
import { AlertRulesError } from './alert-rules-error.js';
import { scaleDuration } from './duration.js';
import { type LabelMatcher, rawEquals } from './label-matcher.js';
import type { RuleOptions } from './rule-options.js';
import { SCRAPE } from './scrape-labels.js';

/** What every rule generator reads: the checked configuration and what follows from it. */
export interface RuleContext {
  readonly config: GeminiLanesConfig;
  /** The configured `prometheus.selectors` as matchers, sorted by label: on every selector. */
  readonly selectors: readonly LabelMatcher[];
  /**
   * The labels every aggregation keeps besides the lane: `job` (the service) and the configured
   * selector labels (each has one value, so keeping it costs nothing and lets Alertmanager route
   * on it). One service's alerts never mix with another's.
   */
  readonly targetLabels: readonly string[];
  /** Matchers that pin the service's own scrape targets: `job` (= `service`, unless a selector sets it) and the selectors. */
  readonly serviceSelectors: readonly LabelMatcher[];
  /** A window or `for` of the rules, multiplied by `alerts.timeScale`. */
  scaled(duration: string): string;
}

/**
 * Checks the configuration (again: a configuration assembled by hand never went through
 * `defineConfig`) and what the rules add to it, and derives the shared context.
 * Throws `ConfigError` or `AlertRulesError`, each naming the field.
 */
export function ruleContext(config: GeminiLanesConfig, options: RuleOptions = {}): RuleContext {
  const checked = validateConfig(config);
  if (!checked.ok) throw new ConfigError(checked.issues);
  const resolved = checked.config;
  checkSelectors(resolved);
  checkThresholds(resolved, options);

  const configured = Object.entries(resolved.prometheus.selectors).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const selectors = configured.map(([label, value]) => rawEquals(label, value));
  const targetLabels = [
    SCRAPE.job,
    ...configured.map(([label]) => label).filter((l) => l !== SCRAPE.job),
  ];
  // A configured job is already among the selectors; otherwise the job is the service name.
  const serviceSelectors = Object.hasOwn(resolved.prometheus.selectors, SCRAPE.job)
    ? selectors
    : [rawEquals(SCRAPE.job, serviceJob(resolved)), ...selectors];
  const scale = resolved.alerts.timeScale;
  return {
    config: resolved,
    selectors,
    targetLabels,
    serviceSelectors,
    scaled: (duration) => scaleDuration(duration, scale),
  };
}

/**
 * Selectors are for target labels (`job`, `cluster`, `namespace`). A selector on a label the
 * rules match on themselves would contradict their own matchers (every throughput-lane rule
 * pinned to the latency lane matches nothing) or hide the series that start at 0.
 */
function checkSelectors(config: GeminiLanesConfig): void {
  const reserved = new Map<string, string>();
  for (const attribute of Object.values(ATTR)) {
    reserved.set(labelName(attribute), `the catalog attribute ${attribute}`);
  }
  reserved.set(SCRAPE.le, 'the histogram bucket label');
  for (const [label, value] of Object.entries(config.prometheus.selectors)) {
    const field = `prometheus.selectors.${label}`;
    const owner = reserved.get(label);
    if (owner !== undefined) {
      throw new AlertRulesError(
        field,
        `names ${owner}, which the rules match and aggregate on themselves; selectors are for target labels such as job, cluster or namespace`,
        value,
      );
    }
    if (label.startsWith('__')) {
      throw new AlertRulesError(
        field,
        'names a reserved label (__name__ and other __ labels are not target labels)',
        value,
      );
    }
  }
}

function checkThresholds(config: GeminiLanesConfig, options: RuleOptions): void {
  const { sla } = config.lanes.latency;
  const checks = [
    {
      field: 'lanes.latency.sla.ttftMs',
      ms: sla.ttftMs,
      spec: METRICS.timeToFirstChunk,
      boundaries:
        options.boundaries?.timeToFirstChunk ?? bucketBoundaries(METRICS.timeToFirstChunk, config),
    },
    {
      field: 'lanes.latency.sla.durationMs',
      ms: sla.durationMs,
      spec: METRICS.operationDuration,
      boundaries:
        options.boundaries?.operationDuration ??
        bucketBoundaries(METRICS.operationDuration, config),
    },
  ];
  for (const { field, ms, spec, boundaries } of checks) {
    if (!boundaries.includes(ms / 1000)) {
      throw new AlertRulesError(
        field,
        `must be a bucket boundary of ${spec.name} (${ms / 1000} s is not among ${boundaries.join(', ')}): the latency SLI reads the exact bucket at the threshold`,
        ms,
      );
    }
  }
}
