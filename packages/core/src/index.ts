export {
  ATTR,
  type AttributeKey,
  type Lane,
  type Outcome,
  type PricingTier,
  type Priority,
  type RejectionReason,
  type TokenKind,
  VALUES,
} from './catalog/attributes.js';
export { exporterLe, leMatcher, prometheus3Le } from './catalog/le-matcher.js';
export {
  bucketBoundaries,
  CHUNK_ADVICE,
  DURATION_ADVICE,
  type InstrumentKind,
  type InstrumentSpec,
  METRICS,
  type MetricKey,
  QUEUE_WAIT_ADVICE,
  SCHEMA_URL,
  SEMCONV_VERSION,
  TOKEN_ADVICE,
} from './catalog/metrics.js';
export {
  labelName,
  type PrometheusNaming,
  type PrometheusSeries,
  prometheusSeries,
} from './catalog/prometheus-names.js';
export {
  promqlAlternation,
  promqlNumber,
  promqlString,
  SERVICE_LABEL,
  serviceJob,
} from './catalog/promql-text.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export { ConfigError, type ConfigIssue, formatIssue } from './config/config-error.js';
export { type ConfigValidation, defineConfig, validateConfig } from './config/define-config.js';
export {
  CONFIG_SCHEMA_FILE,
  CONFIG_SCHEMA_ID,
  configJsonSchema,
  type JsonSchema,
} from './config/json-schema.js';
export { CONFIG_REFERENCE_FILE, configReferenceFiles } from './config/reference-files.js';
export { configReferenceMarkdown } from './config/reference-markdown.js';
export type {
  GeminiLanesConfig,
  GeminiLanesConfigInput,
  LatencyLaneConfig,
  ModelQuota,
  PricingOverrides,
  SloWindow,
  ThroughputLaneConfig,
} from './config/schema.js';
export {
  GeminiLanesError,
  isGeminiLanesError,
  LaneClosedError,
  LaneOverloadedError,
  LaneRequestError,
  QueueTimeoutError,
  QuotaExhaustedError,
  RequestTimeoutError,
} from './errors.js';
export {
  type CostBreakdown,
  costOf,
  type TokensByKind,
  tokensByKind,
  type UsageMetadataLike,
} from './pricing/cost.js';
export {
  DEFAULT_PRICES,
  findPrice,
  type ModelPrice,
  type PriceTable,
  resolvePriceTable,
  TIER_MULTIPLIER,
} from './pricing/price-table.js';
export { type BurnRateWindow, burnRateWindows, pageBurnFactor } from './slo/burn-rate.js';
export { SLI_OPERATIONS } from './slo/sli-operations.js';
export {
  describeUpstreamError,
  parseDurationMs,
  type RetryReason,
  type UpstreamErrorInfo,
} from './upstream/upstream-error.js';
