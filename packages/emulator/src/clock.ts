/**
 * Emulated time. Every time constant of the emulator (latencies, network delays, quota windows,
 * batch timing) is in emulated milliseconds; `speed` of them pass per real millisecond, so tests
 * run a minute-long quota window in well under a second and benchmarks run in real time.
 */
export class ScaledClock {
  readonly speed: number;
  readonly #origin = performance.now();
  readonly #epochMs = Date.now();

  constructor(speed: number) {
    this.speed = speed;
  }

  /** Emulated milliseconds since the emulator started (monotonic). */
  now(): number {
    return (performance.now() - this.#origin) * this.speed;
  }

  /** Real milliseconds that `emulatedMs` takes. */
  toRealMs(emulatedMs: number): number {
    return emulatedMs / this.speed;
  }

  /** RFC 3339 timestamp of an emulated instant, as resources carry them (`createTime`, ...). */
  timestamp(emulatedMs: number = this.now()): string {
    return new Date(this.#epochMs + emulatedMs).toISOString();
  }

  /** Whether `at` is less than a real millisecond away: not worth waiting for. */
  due(at: number): boolean {
    return (at - this.now()) / this.speed < 1;
  }

  /**
   * Resolves `true` once emulated time reaches `at`, or `false` as soon as `signal` aborts.
   * Waits shorter than a real millisecond are not worth a timer; callers schedule against
   * absolute instants, so skipping them never accumulates drift.
   */
  until(at: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    const realMs = (at - this.now()) / this.speed;
    if (realMs < 1) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, realMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolves `true` after `emulatedMs`, or `false` when `signal` aborts first. */
  sleep(emulatedMs: number, signal?: AbortSignal): Promise<boolean> {
    if (emulatedMs <= 0) return Promise.resolve(!signal?.aborted);
    return this.until(this.now() + emulatedMs, signal);
  }
}
