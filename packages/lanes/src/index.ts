export { runBatchJob } from './batch/batch-job.js';
export type { BatchApiOptions, BatchJobContext, BatchJobOptions } from './batch/batch-options.js';
export type { BatchRetryOptions } from './batch/batch-service.js';
export { canonicalJson, isDeterministic, requestCacheKey, tenantScope } from './cache/cache-key.js';
export { isCacheableAnswer } from './cache/cached-response.js';
export {
  MemoryResponseCacheStore,
  type MemoryResponseCacheStoreOptions,
} from './cache/memory-response-cache-store.js';
export {
  REDIS_CACHE_PREFIX,
  RedisResponseCacheStore,
  type RedisResponseCacheStoreOptions,
} from './cache/redis-response-cache-store.js';
export type { ResponseCacheObserver, ResponseCacheStore } from './cache/response-cache-store.js';
export * from './jobs/index.js';
export {
  type AdmissionObserver,
  AdmissionQueue,
  type AdmissionQueueOptions,
  type AdmitOptions,
  type Slot,
} from './latency/admission-queue.js';
export {
  createLatencyLane,
  type LatencyCallOptions,
  type LatencyLane,
  type LatencyLaneOptions,
  MissingCacheStoreError,
} from './latency/latency-lane.js';
export { estimateInputTokens } from './latency/token-estimate.js';
export { GEMINI_API_ORIGIN, MissingApiKeyError } from './pool/lane-client.js';
export {
  LaneConnectionPool,
  type LaneConnectionPoolOptions,
  type PoolStatsSnapshot,
} from './pool/lane-connection-pool.js';
export { MemoryQuotaStore } from './quota/memory-quota-store.js';
export {
  createQuotaLimiter,
  type PressureSignal,
  type QuotaDecision,
  QuotaLimiter,
  type QuotaLimiterOptions,
  type QuotaPermit,
  type QuotaRequest,
  type QuotaUtilization,
  UnknownQuotaModelError,
} from './quota/quota-limiter.js';
export {
  type AdjustRequest,
  DIMENSIONS,
  type QuotaDimension,
  type QuotaStore,
  type TakeRequest,
  type TakeResult,
  type WindowSpec,
} from './quota/quota-store.js';
export { RedisQuotaStore, type RedisQuotaStoreOptions } from './quota/redis-quota-store.js';
export {
  type RedisClientLike,
  type RedisCommander,
  redisCommander,
} from './redis/redis-commander.js';
export * from './router/router.js';
export { AimdLimiter, type AimdOptions } from './throughput/aimd-limiter.js';
export { type BackoffOptions, retryDelayMs } from './throughput/backoff.js';
export {
  type ConcurrencyLimiter,
  createConcurrencyLimiter,
} from './throughput/concurrency-limiter.js';
export { EmbeddingCountError } from './throughput/embedding-batcher.js';
export { GradientLimiter, type GradientOptions } from './throughput/gradient-limiter.js';
export { RetryBudget, type RetryBudgetOptions } from './throughput/retry-budget.js';
export type { Sleep } from './throughput/throughput-executor.js';
export {
  createThroughputLane,
  type ThroughputCallOptions,
  type ThroughputLane,
  type ThroughputLaneOptions,
  type ThroughputLaneStats,
  type ThroughputRunOptions,
} from './throughput/throughput-lane.js';
