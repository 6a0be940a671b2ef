import { type Clock, systemClock } from '@gemini-lanes/core';
import type { ResponseCacheObserver, ResponseCacheStore } from './response-cache-store.js';

export interface MemoryResponseCacheStoreOptions {
  /** Bound on the bytes held (UTF-8 length of keys and values); least recently used entries go first. */
  maxBytes: number;
  clock?: Clock | undefined;
  observer?: ResponseCacheObserver | undefined;
}

interface Entry {
  value: string;
  bytes: number;
  expiresAtMs: number;
}

/**
 * A response cache in this process: least recently used entries are evicted once the bytes
 * held would exceed `maxBytes`; an entry is served until its TTL passes on the injected clock.
 * A value larger than the whole bound is not stored.
 */
export class MemoryResponseCacheStore implements ResponseCacheStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  readonly #clock: Clock;
  readonly #observer: ResponseCacheObserver | undefined;
  #bytes = 0;

  constructor(options: MemoryResponseCacheStoreOptions) {
    if (!(Number.isFinite(options.maxBytes) && options.maxBytes > 0)) {
      throw new RangeError(
        `MemoryResponseCacheStore: maxBytes must be a finite number > 0 (got ${options.maxBytes})`,
      );
    }
    this.#maxBytes = options.maxBytes;
    this.#clock = options.clock ?? systemClock;
    this.#observer = options.observer;
  }

  /** Bytes held now (keys and values). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held now, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.#clock.now()) {
      this.#remove(key, entry);
      return undefined;
    }
    // Map iteration order is insertion order: re-inserting makes this the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#remove(key, previous);
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(value);
    if (bytes > this.#maxBytes || !(ttlMs > 0)) return;
    const now = this.#clock.now();
    let evicted = 0;
    for (const [oldKey, old] of this.#entries) {
      if (this.#bytes + bytes <= this.#maxBytes) break;
      this.#remove(oldKey, old);
      // Dropping an entry that had expired anyway is not an eviction.
      if (old.expiresAtMs > now) evicted++;
    }
    this.#entries.set(key, { value, bytes, expiresAtMs: now + ttlMs });
    this.#bytes += bytes;
    this.#observer?.sizeChanged(bytes);
    if (evicted > 0) this.#observer?.evicted(evicted);
  }

  async close(): Promise<void> {
    const bytes = this.#bytes;
    this.#entries.clear();
    this.#bytes = 0;
    if (bytes > 0) this.#observer?.sizeChanged(-bytes);
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    this.#observer?.sizeChanged(-entry.bytes);
  }
}
