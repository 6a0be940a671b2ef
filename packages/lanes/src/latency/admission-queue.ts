import {
  type Clock,
  LaneClosedError,
  LaneOverloadedError,
  type Priority,
  QueueTimeoutError,
  type RejectionReason,
  systemClock,
} from '@gemini-lanes/core';

const PRIORITIES: readonly Priority[] = ['high', 'normal', 'low'];

export interface AdmissionQueueOptions {
  /** Requests running at once. */
  concurrency: number;
  /** Requests waiting at once; beyond it, `LaneOverloadedError` (`queue_full`). */
  maxLength: number;
  /** Default queue-wait deadline; a request that cannot start within it is rejected. */
  maxQueueWaitMs: number;
  /** Completions observed before the service-rate estimate is trusted for early rejection. */
  warmupCompletions?: number;
  clock?: Clock;
  /** Told about every admission decision, for metrics; never allowed to break admission. */
  observer?: AdmissionObserver | undefined;
}

export interface AdmissionObserver {
  /** The number waiting at `priority` changed by `delta` (±1). */
  depthChanged?(priority: Priority, delta: 1 | -1): void;
  /** A request left the queue: admitted after `waitMs`, rejected, or cancelled by its caller. */
  left?(
    priority: Priority,
    waitMs: number,
    outcome: 'admitted' | 'rejected' | 'cancelled',
    reason?: RejectionReason,
  ): void;
}

export interface AdmitOptions {
  priority?: Priority;
  /** Overrides the queue's `maxQueueWaitMs` for this request. */
  maxQueueWaitMs?: number;
  /** Cancels the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A running request's place; release it exactly once when the request ends (extra calls are ignored). */
export interface Slot {
  /** How long the request waited before it started. */
  readonly waitMs: number;
  release(): void;
}

interface Waiter {
  priority: Priority;
  enqueuedAt: number;
  maxQueueWaitMs: number;
  resolve(slot: Slot): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Admission for the latency lane: at most `concurrency` requests run; the rest wait in priority
 * order (high, normal, low; first come first served within one), each with a queue-wait
 * deadline. A request is refused at once when the queue is full or when, at the observed
 * service rate, it could not start before its deadline; one that waits past its deadline is
 * rejected with `QueueTimeoutError` instead of being served late.
 */
export class AdmissionQueue {
  readonly #options: Required<Omit<AdmissionQueueOptions, 'observer'>>;
  readonly #observer: AdmissionObserver;
  readonly #waiting: Record<Priority, Waiter[]> = { high: [], normal: [], low: [] };
  #running = 0;
  #length = 0;
  /** EWMA of how long a slot is held, in ms. */
  #serviceMs = 0;
  #completions = 0;
  #closed = false;

  constructor(options: AdmissionQueueOptions) {
    for (const field of ['concurrency', 'maxLength'] as const) {
      if (!(Number.isInteger(options[field]) && options[field] > 0)) {
        throw new RangeError(
          `AdmissionQueue: ${field} must be an integer > 0 (got ${options[field]})`,
        );
      }
    }
    if (!(options.maxQueueWaitMs > 0)) {
      throw new RangeError(
        `AdmissionQueue: maxQueueWaitMs must be > 0 (got ${options.maxQueueWaitMs})`,
      );
    }
    this.#options = {
      concurrency: options.concurrency,
      maxLength: options.maxLength,
      maxQueueWaitMs: options.maxQueueWaitMs,
      warmupCompletions: options.warmupCompletions ?? 20,
      clock: options.clock ?? systemClock,
    };
    this.#observer = options.observer ?? {};
  }

  /** Requests running now. */
  get running(): number {
    return this.#running;
  }

  /** Requests waiting now, in all priorities or one. */
  depth(priority?: Priority): number {
    return priority ? this.#waiting[priority].length : this.#length;
  }

  /** Mean time a slot is held, once enough requests have completed to know it. */
  serviceTimeMs(): number | undefined {
    return this.#completions >= this.#options.warmupCompletions ? this.#serviceMs : undefined;
  }

  /**
   * Waits for a slot. Rejects with `LaneOverloadedError` at once (queue full, or the predicted
   * wait exceeds the deadline), `QueueTimeoutError` when the deadline passes while waiting, and
   * the signal's reason when the caller aborts.
   */
  admit(options: AdmitOptions = {}): Promise<Slot> {
    const priority = options.priority ?? 'normal';
    const maxQueueWaitMs = options.maxQueueWaitMs ?? this.#options.maxQueueWaitMs;
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (this.#closed) return Promise.reject(new LaneClosedError());
    const now = this.#options.clock.now();
    if (this.#running < this.#options.concurrency && this.#length === 0) {
      return Promise.resolve(this.#grant(0));
    }
    if (this.#length >= this.#options.maxLength) {
      this.#left(priority, 0, 'rejected', 'queue_full');
      return Promise.reject(new LaneOverloadedError('queue_full', this.#length));
    }
    const estimate = this.#estimateWaitMs(priority);
    if (estimate !== undefined && estimate > maxQueueWaitMs) {
      this.#left(priority, 0, 'rejected', 'overloaded');
      return Promise.reject(
        new LaneOverloadedError('overloaded', this.#length, estimate, maxQueueWaitMs),
      );
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        enqueuedAt: now,
        maxQueueWaitMs,
        resolve,
        reject,
        timer: undefined,
        signal: options.signal,
        onAbort: undefined,
      };
      waiter.timer = setTimeout(() => {
        if (!this.#remove(waiter)) return;
        const waited = this.#options.clock.now() - waiter.enqueuedAt;
        this.#left(priority, waited, 'rejected', 'queue_timeout');
        reject(new QueueTimeoutError(waited, maxQueueWaitMs, this.#length));
      }, maxQueueWaitMs);
      // A deadline timer must never keep the process alive on its own.
      waiter.timer.unref?.();
      if (options.signal) {
        waiter.onAbort = () => {
          if (!this.#remove(waiter)) return;
          this.#left(priority, this.#options.clock.now() - waiter.enqueuedAt, 'cancelled');
          reject(options.signal?.reason);
        };
        options.signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiting[priority].push(waiter);
      this.#length++;
      this.#safely(() => this.#observer.depthChanged?.(priority, 1));
    });
  }

  /** Rejects every waiting request (`shutdown`) and every later one; running requests finish. */
  close(): void {
    this.#closed = true;
    for (const priority of PRIORITIES) {
      for (const waiter of [...this.#waiting[priority]]) {
        this.#remove(waiter);
        this.#left(priority, this.#options.clock.now() - waiter.enqueuedAt, 'rejected', 'shutdown');
        waiter.reject(new LaneClosedError());
      }
    }
  }

  /**
   * The wait a newcomer at `priority` can expect: the requests that will start before it (all
   * waiting at its priority or higher), spread over the slots, times the mean service time.
   */
  #estimateWaitMs(priority: Priority): number | undefined {
    const service = this.serviceTimeMs();
    if (service === undefined) return undefined;
    let ahead = 0;
    for (const p of PRIORITIES) {
      ahead += this.#waiting[p].length;
      if (p === priority) break;
    }
    return ((ahead + 1) / this.#options.concurrency) * service;
  }

  #grant(waitMs: number): Slot {
    this.#running++;
    const started = this.#options.clock.now();
    let released = false;
    return {
      waitMs,
      release: () => {
        if (released) return;
        released = true;
        this.#running--;
        const held = this.#options.clock.now() - started;
        this.#completions++;
        // EWMA with a short memory: the estimate must follow a slowing upstream within seconds.
        this.#serviceMs = this.#completions === 1 ? held : this.#serviceMs * 0.9 + held * 0.1;
        this.#dispatch();
      },
    };
  }

  #dispatch(): void {
    while (this.#running < this.#options.concurrency && this.#length > 0) {
      const waiter = this.#next();
      if (waiter === undefined) return;
      this.#remove(waiter);
      const waited = this.#options.clock.now() - waiter.enqueuedAt;
      // Its deadline timer may not have run yet (a busy event loop): never start it late.
      if (waited >= waiter.maxQueueWaitMs) {
        this.#left(waiter.priority, waited, 'rejected', 'queue_timeout');
        waiter.reject(new QueueTimeoutError(waited, waiter.maxQueueWaitMs, this.#length));
        continue;
      }
      this.#left(waiter.priority, waited, 'admitted');
      waiter.resolve(this.#grant(waited));
    }
  }

  #next(): Waiter | undefined {
    for (const priority of PRIORITIES) {
      const waiter = this.#waiting[priority][0];
      if (waiter) return waiter;
    }
    return undefined;
  }

  /** Takes a waiter out of the queue; false when it had already left (timed out, aborted, admitted). */
  #remove(waiter: Waiter): boolean {
    const list = this.#waiting[waiter.priority];
    const index = list.indexOf(waiter);
    if (index === -1) return false;
    list.splice(index, 1);
    this.#length--;
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    this.#safely(() => this.#observer.depthChanged?.(waiter.priority, -1));
    return true;
  }

  #left(
    priority: Priority,
    waitMs: number,
    outcome: 'admitted' | 'rejected' | 'cancelled',
    reason?: RejectionReason,
  ) {
    this.#safely(() => this.#observer.left?.(priority, waitMs, outcome, reason));
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // Metrics must never change who gets admitted; the lane's observer reports its own failures.
    }
  }
}
