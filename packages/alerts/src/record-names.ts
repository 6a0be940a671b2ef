import type { PrometheusNaming } from '@gemini-lanes/core';
import { recordedName, seriesName } from './series-selector.js';

/** The percentiles recorded for time to first chunk and operation duration. */
export const RECORDED_QUANTILES = [0.5, 0.95, 0.99] as const;
export type RecordedQuantile = (typeof RECORDED_QUANTILES)[number];

/** The SLI error ratio recorded per window; this project's own name, not a catalog metric. */
const SLI_ERROR = 'gemini_lanes_sli_error';

/**
 * Names of the recording rules, `level:metric:operations` as the monitoring mixins write them:
 * the level lists the labels kept besides `job` and the configured selector labels (kept
 * everywhere, like `cluster` in the Kubernetes mixin); the metric is the catalog's Prometheus
 * name in the configured naming, without a counter's `_total`; the operation ends with the
 * nominal window (`rate5m`, `ratio_rate1h`). With `alerts.timeScale` below 1 the windows shrink
 * but the names keep their nominal window, so a test profile has the same rule names as
 * production.
 */
export interface RecordNames {
  /** Lane requests per second, every outcome. */
  readonly requests: string;
  /** Lane requests per second by outcome. */
  readonly requestsByOutcome: string;
  /** Failed GenAI operations per second by `error.type`. */
  readonly errorsByType: string;
  /** Rejections per second by reason. */
  readonly rejectionsByReason: string;
  /** Retried upstream calls per second by reason (`rate_limited` is a 429). */
  readonly retriesByReason: string;
  /** Billed tokens per second, every kind. */
  readonly tokens: string;
  /** Billed tokens per second by kind. */
  readonly tokensByKind: string;
  /** USD per second. */
  readonly cost: string;
  /** Time to first chunk of successful streams, at quantile `q`. */
  timeToFirstChunk(q: RecordedQuantile): string;
  /** Duration of successful unary `generate_content` calls (those `sla.durationMs` governs), at `q`. */
  unaryDuration(q: RecordedQuantile): string;
  /** The SLI error ratio over a nominal burn-rate window (label `slo` tells the SLIs apart). */
  sliErrorRatio(window: string): string;
}

/** The recording rule names for a naming style and nominal rate interval. */
export function recordNames(naming: PrometheusNaming, rateInterval: string): RecordNames {
  const rate = `rate${rateInterval}`;
  const quantile = (q: number) => `p${Math.round(q * 100)}_${rateInterval}`;
  return {
    requests: `lane:${recordedName(naming, 'requests')}:${rate}`,
    requestsByOutcome: `lane_outcome:${recordedName(naming, 'requests')}:${rate}`,
    errorsByType: `lane_error_type:${seriesName(naming, 'operationDuration', 'count')}:${rate}`,
    rejectionsByReason: `lane_reason:${recordedName(naming, 'rejections')}:${rate}`,
    retriesByReason: `lane_reason:${recordedName(naming, 'retries')}:${rate}`,
    tokens: `lane:${recordedName(naming, 'tokens')}:${rate}`,
    tokensByKind: `lane_kind:${recordedName(naming, 'tokens')}:${rate}`,
    cost: `lane:${recordedName(naming, 'cost')}:${rate}`,
    timeToFirstChunk: (q) => `lane:${recordedName(naming, 'timeToFirstChunk')}:${quantile(q)}`,
    unaryDuration: (q) => `lane:${recordedName(naming, 'operationDuration')}:${quantile(q)}`,
    sliErrorRatio: (window) => `lane:${SLI_ERROR}:ratio_rate${window}`,
  };
}
