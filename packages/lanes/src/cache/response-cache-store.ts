/**
 * Where the latency lane keeps cached responses: opaque string values under opaque keys, each
 * with a time to live. The lane derives the keys (tenant scope and request hash) and encodes
 * the values; a store only keeps them. `MemoryResponseCacheStore` and
 * `RedisResponseCacheStore` pass one contract test suite.
 */
export interface ResponseCacheStore {
  /** The value stored under `key`, or `undefined` when there is none or it has expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing any earlier value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Releases what the store holds (the memory store empties itself; a Redis client stays the caller's). */
  close?(): Promise<void>;
}

/** Size changes and evictions of a store that bounds its own size, for the cache metrics. */
export interface ResponseCacheObserver {
  /** Bytes held changed by `deltaBytes` (negative when entries leave). */
  sizeChanged(deltaBytes: number): void;
  /** `count` entries were evicted to stay under the size bound (expiry is not eviction). */
  evicted(count: number): void;
}

/** True for a `ResponseCacheStore` (and false for a node-redis or ioredis client, which also have `get` and `set`). */
export function isResponseCacheStore(value: unknown): value is ResponseCacheStore {
  const candidate = value as Partial<Record<'get' | 'set' | 'sendCommand' | 'call', unknown>>;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.sendCommand !== 'function' &&
    typeof candidate.call !== 'function'
  );
}
