import { ATTR } from '@gemini-lanes/core';
import { guard, type Telemetry } from '@gemini-lanes/otel';
import type { GenerateContentParameters, GenerateContentResponse } from '@google/genai';
import { diag } from '@opentelemetry/api';
import { isDeterministic, requestCacheKey, tenantScope } from './cache-key.js';
import { decodeAnswer, encodeAnswer, isCacheableAnswer } from './cached-response.js';
import type { ResponseCacheStore } from './response-cache-store.js';
import { Flight } from './single-flight.js';

export type CacheLookupResult = 'hit' | 'miss' | 'coalesced' | 'bypass';

/** Built once: a lookup is on every call's path. */
const LOOKUP_ATTRIBUTES = Object.fromEntries(
  (['hit', 'miss', 'coalesced', 'bypass'] as const).map((result) => [
    result,
    { [ATTR.lane]: 'latency', [ATTR.cacheResult]: result },
  ]),
) as Record<CacheLookupResult, { [ATTR.lane]: string; [ATTR.cacheResult]: string }>;

export interface ResponseCacheOptions {
  ttlMs: number;
  /** Also cache requests whose temperature is not explicitly 0. */
  nondeterministic: boolean;
  /** Scopes entries of callers that name no tenant; hashed at once, never kept. */
  apiKey: string;
  telemetry?: Telemetry | undefined;
}

/** What a lookup found: a stored answer, an identical call in flight to join, or neither. */
export type CacheLookup =
  | { result: 'bypass' }
  | { result: 'hit'; chunks: GenerateContentResponse[] }
  | { result: 'coalesced' | 'miss'; flight: Flight<GenerateContentResponse> };

/**
 * The latency lane's response cache: keys requests by tenant and canonical request, serves
 * stored answers, and makes concurrent identical misses share one upstream call (in this
 * process; replicas sharing a Redis store each make their own). Store failures never fail a
 * call: a lookup that fails is a miss, a write that fails is reported through `diag`.
 */
export class ResponseCache {
  readonly store: ResponseCacheStore;
  readonly #ttlMs: number;
  readonly #nondeterministic: boolean;
  readonly #keyScope: string;
  readonly #telemetry: Telemetry | undefined;
  readonly #flights = new Map<string, Flight<GenerateContentResponse>>();

  constructor(store: ResponseCacheStore, options: ResponseCacheOptions) {
    this.store = store;
    this.#ttlMs = options.ttlMs;
    this.#nondeterministic = options.nondeterministic;
    this.#keyScope = tenantScope(undefined, options.apiKey);
    this.#telemetry = options.telemetry;
  }

  /**
   * Looks a request up: `bypass` when it is not cacheable (not deterministic, or not keyable),
   * `hit` with fresh response objects, `coalesced` with the identical call in flight, or `miss`
   * with a new flight that runs `source` (the upstream call). Records the lookup metric.
   * A flight's answer is stored when it is cacheable, and the flight stays joinable until the
   * write has landed, so no identical request slips between the two.
   */
  async lookup(
    params: GenerateContentParameters,
    tenant: string | undefined,
    stream: boolean,
    source: (signal: AbortSignal) => AsyncIterable<GenerateContentResponse>,
  ): Promise<CacheLookup> {
    const key = isDeterministic(params, this.#nondeterministic)
      ? requestCacheKey(
          tenant === undefined ? this.#keyScope : tenantScope(tenant, ''),
          params,
          stream,
        )
      : undefined;
    if (key === undefined) return this.#counted({ result: 'bypass' });
    // Checked before and after the store read, and the new flight registered without a pause,
    // so concurrent identical misses find each other.
    let flight = this.#joinable(key);
    if (flight === undefined) {
      const chunks = await this.#read(key);
      if (chunks !== undefined) return this.#counted({ result: 'hit', chunks });
      flight = this.#joinable(key);
    }
    if (flight !== undefined) return this.#counted({ result: 'coalesced', flight });
    const started = new Flight(source, (ended) => {
      if (ended.state !== 'done' || !isCacheableAnswer(ended.chunks)) {
        this.#forget(key, ended);
        return;
      }
      void this.#write(key, ended.chunks).finally(() => this.#forget(key, ended));
    });
    this.#flights.set(key, started);
    return this.#counted({ result: 'miss', flight: started });
  }

  #joinable(key: string): Flight<GenerateContentResponse> | undefined {
    const flight = this.#flights.get(key);
    return flight?.joinable ? flight : undefined;
  }

  #forget(key: string, flight: Flight<GenerateContentResponse>): void {
    if (this.#flights.get(key) === flight) this.#flights.delete(key);
  }

  /** Identical calls in flight now. */
  get inFlight(): number {
    return this.#flights.size;
  }

  async #read(key: string): Promise<GenerateContentResponse[] | undefined> {
    try {
      const value = await this.store.get(key);
      return value === undefined ? undefined : decodeAnswer(value);
    } catch (error) {
      diag.warn('@gemini-lanes/lanes: response cache lookup failed; treated as a miss', error);
      return undefined;
    }
  }

  async #write(key: string, chunks: readonly GenerateContentResponse[]): Promise<void> {
    try {
      await this.store.set(key, encodeAnswer(chunks), this.#ttlMs);
    } catch (error) {
      diag.warn(
        '@gemini-lanes/lanes: response cache write failed; the answer is not cached',
        error,
      );
    }
  }

  #counted<L extends CacheLookup>(lookup: L): L {
    const instruments = this.#telemetry?.instruments;
    if (instruments) {
      guard('cache lookup metric', () =>
        instruments.cacheLookups.add(1, LOOKUP_ATTRIBUTES[lookup.result]),
      );
    }
    return lookup;
  }
}
