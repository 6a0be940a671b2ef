/**
 * A model's generation capacity for capacity experiments: a fixed number of slots and a FIFO
 * queue in front of them, as a serving backend has. Without a slot count every request gets a
 * slot at once (and is still counted, so stats show the concurrency).
 */
export type SlotGrant = 'acquired' | 'aborted';

interface Waiter {
  resolve(grant: SlotGrant): void;
}

export class GenerationSlots {
  readonly capacity: number | null;
  readonly maxQueue: number | null;
  #inUse = 0;
  readonly #queue: Waiter[] = [];

  constructor(capacity: number | null, maxQueue: number | null) {
    this.capacity = capacity;
    this.maxQueue = maxQueue;
  }

  get inUse(): number {
    return this.#inUse;
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  /**
   * A slot now (`'acquired'`), a promise of one after the requests queued ahead (`'aborted'`
   * if the caller goes away first), or `'full'` when the queue is at its limit. The signal is
   * asked for only when the request has to queue.
   */
  acquire(abortSignal: () => AbortSignal): SlotGrant | 'full' | Promise<SlotGrant> {
    if (this.capacity === null || (this.#inUse < this.capacity && this.#queue.length === 0)) {
      this.#inUse++;
      return 'acquired';
    }
    if (this.maxQueue !== null && this.#queue.length >= this.maxQueue) return 'full';
    const signal = abortSignal();
    if (signal.aborted) return 'aborted';
    return new Promise<SlotGrant>((resolve) => {
      const waiter: Waiter = {
        resolve: (grant) => {
          signal.removeEventListener('abort', onAbort);
          resolve(grant);
        },
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        resolve('aborted');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Frees a slot and hands it to the next waiter. */
  release(): void {
    this.#inUse--;
    const next = this.#queue.shift();
    if (next !== undefined) {
      this.#inUse++;
      next.resolve('acquired');
    }
  }
}
