import { controlEmulator } from './emulator-control.ts';
import { pollUntil } from './poll.ts';
import { sampleSum } from './service-metrics.ts';

/** An endpoint of the latency lane, and where to see the lane eject it. */
export interface EjectionTarget {
  /** The emulator behind the endpoint, switched through its control route. */
  emulatorUrl: string;
  /** The service's metrics endpoint (`127.0.0.1:<port>`). */
  metricsAddress: string;
  /** The ejection counter's sample name in the configured naming (`…_total`). */
  series: string;
  /** The labels of the endpoint's ejections: the lane, `server_address` and `server_port`. */
  labels: Readonly<Record<string, string>>;
}

/**
 * Makes the endpoint's emulator answer every model call with a 500 until the lane has ejected it
 * (its ejection counter went up: `endpointHealth.ejectAfterFailures` failures in a row), then
 * heals it; resolves with how long that took. The lane's other traffic supplies the failing
 * calls: an endpoint whose failures are fast keeps its low latency estimate, so it keeps being
 * chosen (the lane retries those calls on the other endpoint, or, for a token count, fails
 * them). Waiting on the counter rather than on `stats()`'s `ejected` cannot miss an ejection
 * shorter than a stall of the test process.
 */
export async function ejectEndpoint(target: EjectionTarget, timeoutMs = 15_000): Promise<number> {
  const ejections = () => sampleSum(target.metricsAddress, target.series, target.labels);
  const before = await ejections();
  const started = performance.now();
  await controlEmulator(target.emulatorUrl, { faults: { rates: { '500': 1 } } });
  try {
    await pollUntil(ejections, (n) => n > before, {
      timeoutMs,
      intervalMs: 25,
      description: `the latency lane to eject ${target.emulatorUrl} (${target.series} above ${before})`,
    });
  } finally {
    await controlEmulator(target.emulatorUrl, { faults: { rates: { '500': 0 } } });
  }
  return performance.now() - started;
}
