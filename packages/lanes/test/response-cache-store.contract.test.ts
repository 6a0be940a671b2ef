import { ManualClock } from '@gemini-lanes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryResponseCacheStore,
  REDIS_CACHE_PREFIX,
  RedisResponseCacheStore,
  type ResponseCacheStore,
} from '../src/index.js';
import { startRedis } from './support/redis-server.js';

interface StoreUnderTest {
  store: ResponseCacheStore;
  /** Lets `ms` pass for the store: a manual clock, or for Redis, polls until it has expired `key`. */
  elapse(ms: number, key: string): Promise<void>;
  /** A TTL long enough to outlive the test and one short enough to expire within it. */
  ttl: { long: number; short: number };
}

async function until(check: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function storeContract(name: string, make: () => StoreUnderTest) {
  describe(`${name} response cache store`, () => {
    let n = 0;
    const key = () => `scope-${name}:${n++}`;

    it('returns what was set, and undefined for a key never set', async () => {
      const { store, ttl } = make();
      const k = key();
      expect(await store.get(k)).toBeUndefined();
      await store.set(k, '[{"candidates":[]}]', ttl.long);
      expect(await store.get(k)).toBe('[{"candidates":[]}]');
    });

    it('keeps keys apart: another scope or request never reads an entry', async () => {
      const { store, ttl } = make();
      await store.set('tenant-a:req', 'answer for a', ttl.long);
      await store.set('tenant-b:req', 'answer for b', ttl.long);
      expect(await store.get('tenant-a:req')).toBe('answer for a');
      expect(await store.get('tenant-b:req')).toBe('answer for b');
      expect(await store.get('tenant-c:req')).toBeUndefined();
      expect(await store.get('tenant-a:other')).toBeUndefined();
    });

    it('replaces a value set again, with the new TTL', async () => {
      const { store, ttl } = make();
      const k = key();
      await store.set(k, 'first', ttl.short);
      await store.set(k, 'second', ttl.long);
      expect(await store.get(k)).toBe('second');
    });

    it('keeps non-ASCII values byte for byte', async () => {
      const { store, ttl } = make();
      const k = key();
      const value = JSON.stringify([{ text: 'naïve café — 日本語 🙂' }]);
      await store.set(k, value, ttl.long);
      expect(await store.get(k)).toBe(value);
    });

    it('forgets an entry once its TTL has passed, not before', async () => {
      const { store, ttl, elapse } = make();
      const k = key();
      await store.set(k, 'expiring', ttl.short);
      expect(await store.get(k)).toBe('expiring');
      await elapse(ttl.short, k);
      expect(await store.get(k)).toBeUndefined();
    });
  });
}

describe('memory store', () => {
  let clock = new ManualClock();
  storeContract('memory', () => {
    clock = new ManualClock(1000);
    return {
      store: new MemoryResponseCacheStore({ maxBytes: 1 << 20, clock }),
      elapse: async (ms) => {
        clock.advance(ms);
      },
      ttl: { long: 3_600_000, short: 1000 },
    };
  });

  it('serves an entry until 1 ms before its TTL', async () => {
    const c = new ManualClock(0);
    const store = new MemoryResponseCacheStore({ maxBytes: 1000, clock: c });
    await store.set('k', 'v', 100);
    c.advance(99);
    expect(await store.get('k')).toBe('v');
    c.advance(1);
    expect(await store.get('k')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('evicts the least recently used entries by bytes and reports sizes and evictions', async () => {
    const sizes: number[] = [];
    let evictions = 0;
    const c = new ManualClock(0);
    // Each entry: a 2-byte key and a 98-byte value = 100 bytes; room for three.
    const store = new MemoryResponseCacheStore({
      maxBytes: 300,
      clock: c,
      observer: { sizeChanged: (d) => sizes.push(d), evicted: (n) => (evictions += n) },
    });
    const value = (ch: string) => ch.repeat(98);
    await store.set('k1', value('a'), 60_000);
    await store.set('k2', value('b'), 60_000);
    await store.set('k3', value('c'), 60_000);
    expect(store.bytes).toBe(300);
    expect(await store.get('k1')).toBe(value('a')); // k1 is now the most recently used
    await store.set('k4', value('d'), 60_000);
    expect(await store.get('k2')).toBeUndefined(); // the least recently used went
    expect(await store.get('k1')).toBe(value('a'));
    expect(await store.get('k3')).toBe(value('c'));
    expect(await store.get('k4')).toBe(value('d'));
    expect(store.bytes).toBe(300);
    expect(evictions).toBe(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300);
    // A 200-byte entry evicts two.
    await store.set('k5', 'e'.repeat(198), 60_000);
    expect(evictions).toBe(3);
    expect(store.size).toBe(2);
    expect(store.bytes).toBe(300);
    // Bytes are UTF-8 bytes, not UTF-16 units.
    await store.set('k6', '€'.repeat(10), 60_000); // 2 + 30 bytes
    expect(store.bytes).toBeLessThanOrEqual(300);
    expect(await store.get('k6')).toBe('€'.repeat(10));
  });

  it('refuses a value larger than the whole bound and keeps the rest', async () => {
    let evictions = 0;
    const store = new MemoryResponseCacheStore({
      maxBytes: 100,
      observer: { sizeChanged: () => {}, evicted: (n) => (evictions += n) },
    });
    await store.set('small', 'x', 60_000);
    await store.set('huge', 'y'.repeat(200), 60_000);
    expect(await store.get('huge')).toBeUndefined();
    expect(await store.get('small')).toBe('x');
    expect(evictions).toBe(0);
  });

  it('does not count dropping expired entries as evictions', async () => {
    let evictions = 0;
    const c = new ManualClock(0);
    const store = new MemoryResponseCacheStore({
      maxBytes: 100,
      clock: c,
      observer: { sizeChanged: () => {}, evicted: (n) => (evictions += n) },
    });
    await store.set('k1', 'a'.repeat(60), 10);
    c.advance(20);
    await store.set('k2', 'b'.repeat(60), 10);
    expect(evictions).toBe(0);
    expect(await store.get('k2')).toBe('b'.repeat(60));
  });

  it('empties itself on close and reports the bytes released', async () => {
    const sizes: number[] = [];
    const store = new MemoryResponseCacheStore({
      maxBytes: 1000,
      observer: { sizeChanged: (d) => sizes.push(d), evicted: () => {} },
    });
    await store.set('k', 'v'.repeat(10), 60_000);
    await store.close();
    expect(await store.get('k')).toBeUndefined();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('refuses a maxBytes that is not a positive number', () => {
    expect(() => new MemoryResponseCacheStore({ maxBytes: 0 })).toThrow(/maxBytes must be/);
  });
});

describe('redis store (real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  storeContract('redis', () => ({
    store: new RedisResponseCacheStore(redis.client),
    // Redis expires keys on its own clock: poll until it has, within a deadline.
    elapse: (_ms, k) =>
      until(async () => (await redis.client.exists(`${REDIS_CACHE_PREFIX}${k}`)) === 0, 5000),
    ttl: { long: 3_600_000, short: 50 },
  }));

  it('writes prefixed keys with a PX expiry, so Redis bounds and expires them', async () => {
    const store = new RedisResponseCacheStore(redis.client);
    await store.set('scope:hash', 'value', 60_000);
    expect(await redis.client.get(`${REDIS_CACHE_PREFIX}scope:hash`)).toBe('value');
    const pttl = await redis.client.pTTL(`${REDIS_CACHE_PREFIX}scope:hash`);
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('expires an entry in Redis itself', async () => {
    const store = new RedisResponseCacheStore(redis.client, { prefix: 'test:' });
    await store.set('gone', 'soon', 30);
    await until(async () => (await redis.client.exists('test:gone')) === 0, 5000);
    expect(await store.get('gone')).toBeUndefined();
  });
});
