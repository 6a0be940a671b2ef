/** Tuning of the generated dashboards beyond the configuration; every field is optional. */
export interface DashboardOptions {
  /** Quantiles drawn on the latency panels, each in (0, 1). Default `[0.5, 0.95, 0.99]`. */
  quantiles?: readonly number[] | undefined;
  /** Quantile of the queue-wait panel, in (0, 1). Default `0.95`. */
  queueWaitQuantile?: number | undefined;
  /**
   * Histogram bucket boundaries (seconds) the running services actually export, when they were
   * started with a different configuration than this one. Default: `bucketBoundaries()` of this
   * configuration. The SLA thresholds must be among them, or the SLI would be interpolated.
   */
  boundaries?:
    | {
        timeToFirstChunk?: readonly number[] | undefined;
        operationDuration?: readonly number[] | undefined;
      }
    | undefined;
  /** Default time range start, relative to now. Default `now-6h`. */
  timeFrom?: string | undefined;
  /** Auto-refresh interval, or `''` for none. Default `1m`. */
  refresh?: string | undefined;
}

/** The options with every default filled in and checked. */
export interface ResolvedDashboardOptions {
  readonly quantiles: readonly number[];
  readonly queueWaitQuantile: number;
  readonly boundaries: {
    readonly timeToFirstChunk: readonly number[];
    readonly operationDuration: readonly number[];
  };
  readonly timeFrom: string;
  readonly refresh: string;
}

export const DEFAULT_QUANTILES = [0.5, 0.95, 0.99] as const;
export const DEFAULT_QUEUE_WAIT_QUANTILE = 0.95;
export const DEFAULT_TIME_FROM = 'now-6h';
export const DEFAULT_REFRESH = '1m';
