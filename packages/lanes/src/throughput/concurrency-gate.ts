/** Hears the gate's waiting count change, for the backlog metric. */
export type GateObserver = (waitingDelta: 1 | -1) => void;

interface Waiter {
  resolve(release: () => void): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  priority: GatePriority;
}

/**
 * `normal`: a caller waiting on its own call (an embedding, a generateContent); `low`: a job's
 * item, which nobody waits on by itself. A free slot goes to the oldest `normal` waiter first.
 */
export type GatePriority = 'normal' | 'low';

/**
 * Slots for the throughput lane's calls under a limit that moves (the adaptive limiter's): at
 * most `limit()` slots are held at once; the rest wait first come, first served within their
 * priority, callers' own calls before job items (so a job's backlog never holds up an embedding
 * a request is waiting for). A limit that
 * falls below the slots held pre-empts nothing: new slots wait until enough are released.
 * Call `pump()` after the limit grows.
 */
export class ConcurrencyGate {
  readonly #limit: () => number;
  readonly #observer: GateObserver | undefined;
  // A Set keeps insertion order and deletes an aborted waiter in O(1); one per priority.
  readonly #waiters: Record<GatePriority, Set<Waiter>> = { normal: new Set(), low: new Set() };
  #held = 0;
  #closed: (() => unknown) | undefined;

  constructor(limit: () => number, observer?: GateObserver) {
    this.#limit = limit;
    this.#observer = observer;
  }

  /** Slots held now. */
  get held(): number {
    return this.#held;
  }

  /** Callers waiting for a slot now. */
  get waiting(): number {
    return this.#waiters.normal.size + this.#waiters.low.size;
  }

  /**
   * Resolves to the function that releases the slot (once; extra calls are ignored). Rejects
   * with the signal's reason if it aborts first, and with the close error once closed.
   */
  acquire(signal?: AbortSignal, priority: GatePriority = 'normal'): Promise<() => void> {
    if (this.#closed) return Promise.reject(this.#closed());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const ahead = this.#waiters.normal.size + (priority === 'low' ? this.#waiters.low.size : 0);
    if (ahead === 0 && this.#held < this.#limit()) {
      return Promise.resolve(this.#grant());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, priority };
      if (signal) {
        waiter.onAbort = () => {
          if (this.#leave(waiter)) reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters[priority].add(waiter);
      this.#observer?.(1);
    });
  }

  /** Hands free slots to the longest-waiting callers; call after the limit grows. */
  pump(): void {
    while (this.waiting > 0 && this.#held < this.#limit()) {
      const queue = this.#waiters.normal.size > 0 ? this.#waiters.normal : this.#waiters.low;
      const waiter = queue.values().next().value as Waiter;
      this.#leave(waiter);
      waiter.resolve(this.#grant());
    }
  }

  /** Rejects every waiting caller, and every later `acquire`, with `error()`; held slots stay valid. */
  close(error: () => unknown): void {
    this.#closed ??= error;
    for (const waiter of [...this.#waiters.normal, ...this.#waiters.low]) {
      this.#leave(waiter);
      waiter.reject(error());
    }
  }

  #grant(): () => void {
    this.#held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held--;
      this.pump();
    };
  }

  #leave(waiter: Waiter): boolean {
    if (!this.#waiters[waiter.priority].delete(waiter)) return false;
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.#observer?.(-1);
    return true;
  }
}
