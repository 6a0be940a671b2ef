import {
  type RedisClientLike,
  type RedisCommander,
  redisCommander,
} from '../redis/redis-commander.js';
import type { ResponseCacheStore } from './response-cache-store.js';

/** Prefix of every key the Redis response cache writes. */
export const REDIS_CACHE_PREFIX = 'gemini-lanes:cache:';

export interface RedisResponseCacheStoreOptions {
  /** Key prefix; default `gemini-lanes:cache:`. */
  prefix?: string;
}

/**
 * A response cache shared by every replica on one Redis: `SET key value PX ttl` and `GET`.
 * Redis expires entries itself; the size bound is the server's `maxmemory` with an eviction
 * policy such as `allkeys-lru` or `volatile-lru` (every cache key has a TTL), so this store
 * neither tracks bytes nor counts evictions.
 */
export class RedisResponseCacheStore implements ResponseCacheStore {
  readonly #redis: RedisCommander;
  readonly #prefix: string;

  constructor(
    client: RedisClientLike | RedisCommander,
    options: RedisResponseCacheStoreOptions = {},
  ) {
    this.#redis = redisCommander(client);
    this.#prefix = options.prefix ?? REDIS_CACHE_PREFIX;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#redis.send(['GET', this.#prefix + key]);
    if (value === null || value === undefined) return undefined;
    return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const px = Math.ceil(ttlMs);
    if (!(px > 0)) return;
    await this.#redis.send(['SET', this.#prefix + key, value, 'PX', String(px)]);
  }
}
