import type { AdjustRequest, QuotaStore, TakeRequest, TakeResult } from './quota-store.js';
import {
  adjustWindows,
  emptyWindowState,
  takeFromWindows,
  type WindowState,
} from './quota-window.js';

/** Per-slot usage in this process: the default, for one replica. */
export class MemoryQuotaStore implements QuotaStore {
  readonly #state = new Map<string, WindowState>();

  async take(request: TakeRequest): Promise<TakeResult> {
    return takeFromWindows(this.#stateFor(request.key), request);
  }

  async adjust(request: AdjustRequest): Promise<void> {
    adjustWindows(this.#stateFor(request.key), request);
  }

  /** Slots `key` holds across its dimensions (aged-out slots are dropped on every operation). */
  slotsHeld(key: string): number {
    const state = this.#state.get(key);
    return state === undefined ? 0 : state.slots.reduce((n, slots) => n + slots.size, 0);
  }

  #stateFor(key: string): WindowState {
    let state = this.#state.get(key);
    if (state === undefined) {
      state = emptyWindowState();
      this.#state.set(key, state);
    }
    return state;
  }
}
