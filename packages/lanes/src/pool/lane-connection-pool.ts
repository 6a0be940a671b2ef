import { Agent, fetch as undiciFetch } from 'undici';

export interface LaneConnectionPoolOptions {
  /** Most sockets to one upstream origin. */
  connections: number;
  /** Sockets opened by `prewarm()` to each origin and kept open by `keepWarm()`. */
  prewarm: number;
  /**
   * Idle sockets close after this when the server sends no Keep-Alive hint; undici's own default
   * (4 s) drops them between bursts. A hint replaces it, capped by `keepAliveMaxTimeoutMs`.
   */
  keepAliveTimeoutMs: number;
  /** The longest a server's Keep-Alive hint may extend the idle timeout to. */
  keepAliveMaxTimeoutMs: number;
  connectTimeoutMs: number;
  /**
   * The lane's request deadline. A custom fetch loses the SDK's own no-timeout dispatcher, so
   * undici's 300 s `headersTimeout` and `bodyTimeout` would apply silently: both are set to
   * this instead (the lane enforces the deadline itself; these are the backstop).
   */
  requestTimeoutMs: number;
}

export interface PoolStatsSnapshot {
  connected: number;
  free: number;
  pending: number;
  queued: number;
  running: number;
}

/**
 * A lane's own connections: one undici `Agent` (a `Pool` per upstream origin) that no other
 * lane and no global dispatcher shares, a `fetch` bound to it for `httpOptions.fetch`, and
 * pre-warmed sockets kept open past the idle timeout so the first request of a burst does not
 * pay for TCP and TLS set-up.
 */
export class LaneConnectionPool {
  readonly dispatcher: Agent;
  /** `fetch` through this pool only; hand it to `new GoogleGenAI({ httpOptions: { fetch } })`. */
  readonly fetch: typeof globalThis.fetch;
  readonly #options: LaneConnectionPoolOptions;
  #warmTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: LaneConnectionPoolOptions) {
    for (const field of [
      'connections',
      'keepAliveTimeoutMs',
      'keepAliveMaxTimeoutMs',
      'connectTimeoutMs',
      'requestTimeoutMs',
    ] as const) {
      if (!(options[field] > 0))
        throw new RangeError(`LaneConnectionPool: ${field} must be > 0 (got ${options[field]})`);
    }
    if (
      !(
        Number.isInteger(options.prewarm) &&
        options.prewarm >= 0 &&
        options.prewarm <= options.connections
      )
    ) {
      throw new RangeError(
        `LaneConnectionPool: prewarm must be an integer in [0, connections] (got ${options.prewarm})`,
      );
    }
    this.#options = options;
    this.dispatcher = new Agent({
      connections: options.connections,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: options.keepAliveMaxTimeoutMs,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
      connect: { timeout: options.connectTimeoutMs },
    });
    const dispatcher = this.dispatcher;
    // undici's fetch types differ nominally from the DOM's; at run time they are the same shape.
    this.fetch = ((
      input: Parameters<typeof undiciFetch>[0],
      init?: Parameters<typeof undiciFetch>[1],
    ) => undiciFetch(input, { ...init, dispatcher })) as unknown as typeof globalThis.fetch;
  }

  /**
   * Opens `prewarm` sockets to each origin now (concurrent `GET /`: no API call, no quota; not
   * `HEAD`, after which undici does not keep the socket) and resolves once they are connected.
   * Failures are returned, not thrown: a cold pool still works.
   */
  async prewarm(origins: readonly string[]): Promise<Array<{ origin: string; error: unknown }>> {
    const failures: Array<{ origin: string; error: unknown }> = [];
    await Promise.all(
      origins.flatMap((origin) =>
        Array.from({ length: this.#options.prewarm }, async () => {
          try {
            const response = await this.fetch(new URL('/', origin));
            // Reading the body to its end is what returns the socket to the pool.
            await response.arrayBuffer();
          } catch (error) {
            failures.push({ origin, error });
          }
        }),
      ),
    );
    // undici returns a socket to the pool a tick after its body ends: resolve once they are idle.
    await new Promise((resolve) => setImmediate(resolve));
    return failures;
  }

  /**
   * Re-warms the sockets (and reopens any the server closed) every half of the shorter idle
   * timeout, so they never reach it; stops on `close()`. The timer does not keep the process
   * alive. A server whose Keep-Alive hint is shorter still closes sockets between rounds; they
   * are reopened on the next one.
   */
  keepWarm(origins: readonly string[]): void {
    if (this.#options.prewarm === 0 || this.#warmTimer !== undefined) return;
    const idleMs = Math.min(this.#options.keepAliveTimeoutMs, this.#options.keepAliveMaxTimeoutMs);
    this.#warmTimer = setInterval(() => {
      void this.prewarm(origins);
    }, idleMs / 2);
    this.#warmTimer.unref();
  }

  /** Sockets and requests across every origin (undici pool stats). */
  stats(): PoolStatsSnapshot {
    const total: PoolStatsSnapshot = { connected: 0, free: 0, pending: 0, queued: 0, running: 0 };
    for (const stats of Object.values(this.dispatcher.stats)) {
      const s = stats as Partial<PoolStatsSnapshot>;
      total.connected += s.connected ?? 0;
      total.free += s.free ?? 0;
      total.pending += s.pending ?? 0;
      total.queued += s.queued ?? 0;
      total.running += s.running ?? 0;
    }
    return total;
  }

  /** Stops keeping warm and closes every socket once in-flight requests finish. */
  async close(): Promise<void> {
    clearInterval(this.#warmTimer);
    this.#warmTimer = undefined;
    await this.dispatcher.close();
  }
}
