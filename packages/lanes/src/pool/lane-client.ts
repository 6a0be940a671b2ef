import type { Lane, LatencyLaneConfig } from '@gemini-lanes/core';
import { GeminiLanesError } from '@gemini-lanes/core';
import { instrumentGenAI, type Telemetry } from '@gemini-lanes/otel';
import { GoogleGenAI } from '@google/genai';
import { LaneConnectionPool } from './lane-connection-pool.js';

/** The Gemini API's public endpoint, used when the configuration names none. */
export const GEMINI_API_ORIGIN = 'https://generativelanguage.googleapis.com';

/** No API key anywhere: a lane refuses to start rather than fail every call. */
export class MissingApiKeyError extends GeminiLanesError {
  constructor() {
    super('ERR_NO_API_KEY', 'no Gemini API key: pass apiKey or set GEMINI_API_KEY');
  }
}

/** What both lanes' configurations say about their upstream and connections. */
type UpstreamConfig = Pick<LatencyLaneConfig, 'endpoints' | 'apiVersion' | 'pool'>;

export interface LaneClientOptions {
  lane: Lane;
  apiKey: string | undefined;
  /** Overrides `endpoints[0].url`. */
  baseUrl: string | undefined;
  telemetry: Telemetry | undefined;
  /** The lane's deadline: undici's header and body timeouts, which a custom fetch must set itself. */
  requestTimeoutMs: number;
}

/** One upstream a lane may send to: its own instrumented client on the lane's shared pool. */
export interface LaneUpstream {
  /** The endpoint's configured name, else its URL; the public endpoint's origin when none is configured. */
  readonly name: string;
  readonly origin: string;
  readonly client: GoogleGenAI;
}

/**
 * A lane's own instrumented `GoogleGenAI` clients, one per configured endpoint (a single one on
 * the SDK's default endpoint when none is configured), all on the lane's own keep-alive pool
 * (no global dispatcher touched), the API key from the options or
 * `GEMINI_API_KEY`/`GOOGLE_API_KEY`. No `retryOptions`: each lane's own retry policy is the only
 * one, so attempts count once. `client` and `origins` are the first endpoint's, for a lane that
 * uses one.
 */
export function createLaneClient(config: UpstreamConfig, options: LaneClientOptions) {
  const apiKey = options.apiKey ?? process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY;
  if (!apiKey) throw new MissingApiKeyError();
  const configured = config.endpoints.map((e) => ({ url: e.url, name: e.name ?? e.url }));
  if (options.baseUrl !== undefined) {
    const first = configured[0];
    configured[0] = { url: options.baseUrl, name: first?.name ?? options.baseUrl };
  }
  const endpoints: Array<{ url: string | undefined; name: string }> =
    configured.length > 0 ? configured : [{ url: undefined, name: GEMINI_API_ORIGIN }];
  const pool = new LaneConnectionPool({
    connections: config.pool.connections,
    prewarm: config.pool.prewarm,
    keepAliveTimeoutMs: config.pool.keepAliveTimeoutMs,
    keepAliveMaxTimeoutMs: config.pool.keepAliveMaxTimeoutMs,
    connectTimeoutMs: config.pool.connectTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const upstreams: LaneUpstream[] = endpoints.map(({ url, name }) => ({
    name,
    origin: new URL(url ?? GEMINI_API_ORIGIN).origin,
    client: instrumentGenAI(
      new GoogleGenAI({
        apiKey,
        ...(config.apiVersion ? { apiVersion: config.apiVersion } : {}),
        httpOptions: {
          fetch: pool.fetch,
          ...(url ? { baseUrl: url } : {}),
          ...(config.apiVersion ? { apiVersion: config.apiVersion } : {}),
        },
      }),
      { lane: options.lane, telemetry: options.telemetry },
    ),
  }));
  const first = upstreams[0] as LaneUpstream;
  return {
    client: first.client,
    pool,
    origins: [first.origin],
    upstreams,
    apiKey,
  };
}
