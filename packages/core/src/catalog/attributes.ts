/**
 * Every attribute key the project's metrics carry, with its allowed values where the set is
 * closed. Stable keys (`error.type`, `server.*`) follow the OpenTelemetry semantic conventions;
 * `gen_ai.*` follow GenAI semconv v1.41; `gemini_lanes.*` are this project's own. Values of
 * closed sets never come from user text, so label cardinality stays bounded.
 */
export const ATTR = {
  // GenAI semantic conventions v1.41
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  tokenType: 'gen_ai.token.type',
  requestStream: 'gen_ai.request.stream',
  // Stable general conventions
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  // gemini-lanes
  lane: 'gemini_lanes.lane',
  outcome: 'gemini_lanes.outcome',
  priority: 'gemini_lanes.priority',
  rejectionReason: 'gemini_lanes.rejection.reason',
  cacheResult: 'gemini_lanes.cache.result',
  quotaDimension: 'gemini_lanes.quota.dimension',
  retryReason: 'gemini_lanes.retry.reason',
  hedgeOutcome: 'gemini_lanes.hedge.outcome',
  fallbackReason: 'gemini_lanes.fallback.reason',
  attemptKind: 'gemini_lanes.attempt',
  poolState: 'gemini_lanes.pool.state',
  tokenKind: 'gemini_lanes.token.kind',
  pricingTier: 'gemini_lanes.pricing.tier',
  routeReason: 'gemini_lanes.route.reason',
  batchState: 'gemini_lanes.batch.state',
  itemState: 'gemini_lanes.item.state',
} as const;

export type AttributeKey = (typeof ATTR)[keyof typeof ATTR];

/** The closed value sets. */
export const VALUES = {
  lane: ['latency', 'throughput'],
  /**
   * How a lane request ended. `rejected` (refused at admission) and `timed_out` (its deadline
   * passed before it was sent) never reach the upstream and count as bad SLI events; a deadline
   * passing during the upstream call is an `error` (error.type `timeout`); `cancelled`: the caller gave up.
   */
  outcome: ['success', 'error', 'rejected', 'timed_out', 'cancelled'],
  priority: ['high', 'normal', 'low'],
  /** `overloaded`: refused on arrival because it could not start within its queue-wait deadline at the current service rate. */
  rejectionReason: ['queue_full', 'overloaded', 'queue_timeout', 'quota', 'shutdown'],
  cacheResult: ['hit', 'miss', 'coalesced', 'bypass'],
  quotaDimension: ['rpm', 'input_tpm', 'rpd'],
  retryReason: ['rate_limited', 'server_error', 'timeout', 'connection_error'],
  /** `won`: the hedge delivered the first chunk first; `lost`: the first attempt did; `refused`: a hedge was due but the hedge share or the quota had no room. */
  hedgeOutcome: ['won', 'lost', 'refused'],
  /**
   * Why the latency lane sent a request to its fallback model: the shared quota would hold the
   * primary past the queue-wait budget (`queue`), the upstream refused it with 429
   * (`rate_limited`), or answered 503, its capacity full (`overloaded`).
   */
  fallbackReason: ['queue', 'rate_limited', 'overloaded'],
  /** Span only: which attempt of a lane request a call is. */
  attemptKind: ['first', 'retry', 'hedge', 'fallback'],
  /** undici pool stats: sockets connected, free, and requests pending, queued, running. */
  poolState: ['connected', 'free', 'pending', 'queued', 'running'],
  tokenType: ['input', 'output'],
  /** Billed token kinds: thinking is billed at the output price and is part of `output` in `gen_ai.client.token.usage`. */
  tokenKind: ['input', 'cached_input', 'output', 'thinking', 'tool_use_input'],
  pricingTier: ['standard', 'batch', 'flex'],
  routeReason: ['explicit', 'classifier', 'stream', 'size', 'default'],
  batchState: ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'expired'],
  itemState: ['completed', 'failed'],
  requestStream: ['true', 'false'],
  operationName: ['generate_content', 'embeddings', 'count_tokens', 'compute_tokens', 'batch'],
  providerName: ['gcp.gemini', 'gcp.vertex_ai'],
} as const satisfies Record<string, readonly string[]>;

export type Lane = (typeof VALUES.lane)[number];
export type Outcome = (typeof VALUES.outcome)[number];
export type Priority = (typeof VALUES.priority)[number];
export type RejectionReason = (typeof VALUES.rejectionReason)[number];
export type TokenKind = (typeof VALUES.tokenKind)[number];
export type PricingTier = (typeof VALUES.pricingTier)[number];
