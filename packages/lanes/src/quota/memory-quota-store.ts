import {
  type QuotaStore,
  type TakeRequest,
  type TakeResult,
  takeFromLevels,
} from './quota-store.js';

interface State {
  levels: [number, number, number];
  updatedAt: number;
}

/** Bucket levels in this process: the default, for one replica. */
export class MemoryQuotaStore implements QuotaStore {
  readonly #state = new Map<string, State>();

  async take(request: TakeRequest): Promise<TakeResult> {
    const state = this.#stateFor(request);
    const result = takeFromLevels(state.levels, request.nowMs - state.updatedAt, request);
    state.levels = result.levels;
    state.updatedAt = Math.max(state.updatedAt, request.nowMs);
    return result;
  }

  async adjust(
    request: Omit<TakeRequest, 'amounts' | 'floors'> & {
      deltas: readonly [number, number, number];
    },
  ) {
    const state = this.#stateFor(request);
    const refilled = takeFromLevels(state.levels, request.nowMs - state.updatedAt, {
      buckets: request.buckets,
      amounts: [0, 0, 0],
      floors: [0, 0, 0],
    }).levels;
    state.levels = refilled.map((level, i) =>
      Math.min(request.buckets[i as 0 | 1 | 2].capacity, level + request.deltas[i as 0 | 1 | 2]),
    ) as [number, number, number];
    state.updatedAt = Math.max(state.updatedAt, request.nowMs);
  }

  #stateFor(request: Pick<TakeRequest, 'key' | 'buckets' | 'nowMs'>): State {
    let state = this.#state.get(request.key);
    if (state === undefined) {
      const [a, b, c] = request.buckets;
      state = { levels: [a.capacity, b.capacity, c.capacity], updatedAt: request.nowMs };
      this.#state.set(request.key, state);
    }
    return state;
  }
}
