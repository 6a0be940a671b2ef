export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Uniform in [0, 1); injectable so tests pin the jitter. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): "full jitter" (AWS
 * Architecture Blog), uniform in [0, min(max, base × 2^(attempt−1))), which spreads retries of
 * many clients instead of synchronising them. When the server said when to retry
 * (`RetryInfo.retryDelay`), never retry sooner than that, and add up to one base delay of
 * jitter so a crowd told the same delay does not return in one instant.
 */
export function retryDelayMs(
  attempt: number,
  options: BackoffOptions,
  serverDelayMs?: number,
): number {
  if (!(Number.isInteger(attempt) && attempt >= 1)) {
    throw new RangeError(`retryDelayMs: attempt must be an integer >= 1 (got ${attempt})`);
  }
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = random() * ceiling;
  if (serverDelayMs === undefined || !(serverDelayMs >= 0)) return jittered;
  return Math.max(jittered, serverDelayMs + random() * options.baseDelayMs);
}
