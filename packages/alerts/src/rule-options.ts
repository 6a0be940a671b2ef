/** Tuning of the generated rules beyond the configuration; every field is optional. */
export interface RuleOptions {
  /**
   * Histogram bucket boundaries (seconds) the running services actually export, when they were
   * started with a different configuration than this one. Default: core's `bucketBoundaries()`
   * of this configuration. The SLA thresholds must be among them: the latency SLI reads the
   * exact bucket at the threshold and would otherwise silently read the wrong one.
   */
  readonly boundaries?:
    | {
        readonly timeToFirstChunk?: readonly number[] | undefined;
        readonly operationDuration?: readonly number[] | undefined;
      }
    | undefined;
}
