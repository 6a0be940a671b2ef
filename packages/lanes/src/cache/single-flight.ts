/**
 * One upstream call shared by every identical request that arrives while it runs. The call's
 * chunks (one for a unary call) are kept as they arrive, so a caller that joins late replays
 * them and then follows live. The call is bound to no caller's signal: a caller that gives up
 * only leaves, and the call is aborted when the last caller has left before it finished.
 */
export class Flight<T> {
  readonly chunks: T[] = [];
  readonly #controller = new AbortController();
  #state: 'running' | 'done' | 'failed' = 'running';
  #error: unknown;
  #consumers = 0;
  #wake: Array<() => void> = [];

  /** Starts `source` at once; `onEnd` runs when it has finished or failed. */
  constructor(
    source: (signal: AbortSignal) => AsyncIterable<T>,
    onEnd: (flight: Flight<T>) => void,
  ) {
    void this.#pump(source, onEnd);
  }

  get state(): 'running' | 'done' | 'failed' {
    return this.#state;
  }

  /** False once the call failed or was aborted because every caller left: a new caller starts afresh. */
  get joinable(): boolean {
    return this.#state !== 'failed' && !this.#controller.signal.aborted;
  }

  /** The chunks, once the call has finished; its error if it failed. */
  async result(signal?: AbortSignal): Promise<T[]> {
    const leave = this.#join();
    try {
      while (this.#state === 'running') await this.#next(signal);
      if (this.#state === 'failed') throw this.#error;
      return this.chunks;
    } finally {
      leave();
    }
  }

  /** Every chunk, those already received first, then each as it arrives. */
  async *read(signal?: AbortSignal): AsyncGenerator<T> {
    const leave = this.#join();
    try {
      let i = 0;
      for (;;) {
        while (i < this.chunks.length) yield this.chunks[i++] as T;
        if (this.#state === 'done') return;
        if (this.#state === 'failed') throw this.#error;
        await this.#next(signal);
      }
    } finally {
      leave();
    }
  }

  #join(): () => void {
    this.#consumers++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#consumers--;
      if (this.#consumers === 0 && this.#state === 'running') {
        this.#controller.abort(new DOMException('every caller left', 'AbortError'));
      }
    };
  }

  /** Resolves at the next chunk or end; rejects with the signal's reason if the caller aborts first. */
  #next(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#wake = this.#wake.filter((w) => w !== wake);
        reject(signal?.reason);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#wake.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  async #pump(source: (signal: AbortSignal) => AsyncIterable<T>, onEnd: (f: Flight<T>) => void) {
    try {
      for await (const chunk of source(this.#controller.signal)) {
        this.chunks.push(chunk);
        this.#notify();
      }
      this.#state = 'done';
    } catch (error) {
      this.#state = 'failed';
      this.#error = error;
    }
    this.#notify();
    onEnd(this);
  }
}
