import { type Clock, systemClock } from '@gemini-lanes/core';

/** The cost of an endpoint with no estimate yet and a request already on its way: above any real one. */
const UNOBSERVED_PENALTY_MS = 1e9;

/** The smallest latency an observation records (a manual clock in a test can measure 0). */
const MIN_OBSERVED_MS = 1e-3;

export interface EndpointHealthOptions {
  /** Time constant of the peak-sensitive moving average of latency, in ms. */
  decayMs: number;
  /** Consecutive failures that eject an endpoint. */
  ejectAfterFailures: number;
  /** A first ejection's length; each ejection in a row doubles it, up to `maxEjectionMs`. */
  ejectionMs: number;
  maxEjectionMs: number;
  clock?: Clock | undefined;
}

/** What the set tells its owner: an endpoint left rotation, or came back to it. */
export interface EndpointSetObserver<T> {
  ejected?(endpoint: T, untilMs: number): void;
  recovered?(endpoint: T): void;
}

/** One endpoint and what the set knows of it. */
interface Health<T> {
  readonly endpoint: T;
  /** Peak-EWMA latency estimate in ms; 0 until observed (so a new endpoint is tried at once). */
  estimateMs: number;
  /** When `estimateMs` was last updated. */
  stampMs: number;
  inflight: number;
  consecutiveFailures: number;
  /** Ejections in a row (reset by a success once the endpoint has stayed in rotation for `maxEjectionMs`). */
  ejections: number;
  /** In rotation again from this time; `undefined` while in rotation. */
  ejectedUntilMs: number | undefined;
  /** Back from an ejection and not yet answered: one failure ejects it again. */
  probation: boolean;
  /** Ejections so far: a lease taken in an earlier epoch reports nothing about this one. */
  epoch: number;
  /** When it last came back in rotation (the end of its last ejection); -Infinity if never ejected. */
  backAtMs: number;
}

/** A pick's handle: report exactly one of its outcomes. */
export interface EndpointLease<T> {
  readonly endpoint: T;
  /**
   * An answer (or a first chunk) after `latencyMs`; without it (a unary call, whose duration is
   * mostly its answer's length), a success for the endpoint's health that is no latency sample.
   */
  succeeded(latencyMs?: number): void;
  /** A failure that says something about the endpoint: 5xx, a reset, a timeout. */
  failed(latencyMs?: number): void;
  /** Nothing learned (cancelled, a 4xx or 429): only frees the in-flight count. */
  released(): void;
  /**
   * Given up on after `latencyMs` without an answer (it lost a hedge race): a lower bound of
   * its latency, which the estimate takes in; it is not a failure.
   */
  abandoned(latencyMs: number): void;
}

/**
 * Several upstream endpoints (regional gateways, emulator instances) chosen by observed
 * latency, with outlier ejection and timed recovery.
 *
 * Choice: the lowest cost, where cost = a peak-sensitive exponentially weighted moving average
 * of the latency × (requests in flight + 1), as Finagle's and Linkerd's "peak EWMA" balancers
 * do. A slower answer raises the estimate at once; a faster one pulls it down with time
 * constant `decayMs`; an estimate not refreshed decays towards 0 as time passes, so an endpoint
 * that was slow and left idle is tried again and can win back its traffic.
 *
 * Ejection: `ejectAfterFailures` failures in a row (5xx, resets, timeouts: never 429, which is
 * the project's quota) take an endpoint out of rotation for `ejectionMs`, doubled for each
 * ejection in a row up to `maxEjectionMs`. Back in rotation it is on probation: its estimate
 * is reset (so it is tried at once) and one failure ejects it again, with the doubled time. The
 * last endpoint in rotation is never ejected: a lane with nowhere else to send a request keeps
 * sending it (and reports the failures), rather than refusing everything.
 */
export class EndpointSet<T> {
  readonly #health: Health<T>[];
  readonly #options: EndpointHealthOptions;
  readonly #clock: Clock;
  readonly #observer: EndpointSetObserver<T>;

  constructor(
    endpoints: readonly T[],
    options: EndpointHealthOptions,
    observer: EndpointSetObserver<T> = {},
  ) {
    if (endpoints.length === 0) throw new RangeError('EndpointSet: needs at least one endpoint');
    for (const field of ['decayMs', 'ejectionMs', 'maxEjectionMs'] as const) {
      if (!(options[field] > 0)) {
        throw new RangeError(`EndpointSet: ${field} must be > 0 (got ${options[field]})`);
      }
    }
    if (!(Number.isInteger(options.ejectAfterFailures) && options.ejectAfterFailures > 0)) {
      throw new RangeError(
        `EndpointSet: ejectAfterFailures must be an integer > 0 (got ${options.ejectAfterFailures})`,
      );
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#observer = observer;
    const now = this.#clock.now();
    this.#health = endpoints.map((endpoint) => ({
      endpoint,
      estimateMs: 0,
      stampMs: now,
      inflight: 0,
      consecutiveFailures: 0,
      ejections: 0,
      ejectedUntilMs: undefined,
      probation: false,
      epoch: 0,
      backAtMs: Number.NEGATIVE_INFINITY,
    }));
  }

  get size(): number {
    return this.#health.length;
  }

  /**
   * The endpoint to send to: the lowest cost among those in rotation, preferring one other
   * than `avoid` (a hedge or a retry goes elsewhere when it can). Ties go to the first listed.
   */
  pick(avoid?: T): EndpointLease<T> {
    const now = this.#clock.now();
    this.#recover(now);
    let best: Health<T> | undefined;
    let bestCost = Number.POSITIVE_INFINITY;
    for (const h of this.#health) {
      if (h.ejectedUntilMs !== undefined) continue;
      if (avoid !== undefined && h.endpoint === avoid && this.#inRotation() > 1) continue;
      const cost = this.#cost(h, now);
      // `best === undefined`: a cost that overflowed to Infinity must not leave the choice empty.
      if (best === undefined || cost < bestCost) {
        best = h;
        bestCost = cost;
      }
    }
    // #recover and the never-eject-the-last rule keep one in rotation.
    return this.#lease(best ?? (this.#health[0] as Health<T>));
  }

  /** Each endpoint's current estimate, in-flight count and whether it is ejected (for stats and tests). */
  snapshot(): Array<{ endpoint: T; estimateMs: number; inflight: number; ejected: boolean }> {
    const now = this.#clock.now();
    this.#recover(now);
    return this.#health.map((h) => ({
      endpoint: h.endpoint,
      estimateMs: this.#decayed(h, now),
      inflight: h.inflight,
      ejected: h.ejectedUntilMs !== undefined,
    }));
  }

  #lease(h: Health<T>): EndpointLease<T> {
    h.inflight++;
    let open = true;
    // A request sent before the endpoint's latest ejection says nothing about it since it came
    // back: it only frees its in-flight count (a timeout from before must not re-eject it, an
    // old success must not end its probation).
    const epoch = h.epoch;
    const close = () => {
      if (!open) return false;
      open = false;
      h.inflight--;
      return h.epoch === epoch;
    };
    return {
      endpoint: h.endpoint,
      succeeded: (latencyMs) => {
        if (!close()) return;
        if (latencyMs !== undefined) this.#observe(h, latencyMs);
        h.consecutiveFailures = 0;
        h.probation = false;
        // Measured from its return, not from the ejection: an endpoint back at the longest
        // ejection and answering once must not start again from the shortest.
        if (
          h.ejectedUntilMs === undefined &&
          this.#clock.now() - h.backAtMs > this.#options.maxEjectionMs
        ) {
          h.ejections = 0;
        }
      },
      failed: (latencyMs) => {
        if (!close()) return;
        if (latencyMs !== undefined) this.#observe(h, latencyMs);
        h.consecutiveFailures++;
        if (h.probation || h.consecutiveFailures >= this.#options.ejectAfterFailures) {
          this.#eject(h);
        }
      },
      released: () => {
        close();
      },
      abandoned: (latencyMs) => {
        if (close()) this.#observe(h, latencyMs);
      },
    };
  }

  /**
   * Estimate × (in flight + 1). An endpoint never observed (or just back from an ejection) costs
   * nothing while idle, so it is tried at once, and a penalty once one request is on its way,
   * so a burst probes it with one request rather than piling onto it before it has answered.
   */
  #cost(h: Health<T>, now: number): number {
    const estimate = this.#decayed(h, now);
    if (estimate === 0) return h.inflight === 0 ? 0 : UNOBSERVED_PENALTY_MS + h.inflight;
    return estimate * (h.inflight + 1);
  }

  /** Peak EWMA: a slower sample replaces the estimate; a faster one is averaged in by elapsed time. */
  #observe(h: Health<T>, observedMs: number): void {
    // Not a latency: an Infinity would stay the estimate for good (and turn NaN on decay).
    if (!(observedMs >= 0 && observedMs < Number.POSITIVE_INFINITY)) return;
    // An estimate of exactly 0 means "never observed"; a 0 ms answer is a very fast one.
    const latencyMs = Math.max(observedMs, MIN_OBSERVED_MS);
    const now = this.#clock.now();
    const decayed = this.#decayed(h, now);
    if (latencyMs > decayed) {
      h.estimateMs = latencyMs;
    } else {
      const w = Math.exp(-Math.max(0, now - h.stampMs) / this.#options.decayMs);
      h.estimateMs = h.estimateMs * w + latencyMs * (1 - w);
    }
    h.stampMs = now;
  }

  /** The estimate, decayed towards 0 for the time since it was last refreshed. */
  #decayed(h: Health<T>, now: number): number {
    return h.estimateMs * Math.exp(-Math.max(0, now - h.stampMs) / this.#options.decayMs);
  }

  #eject(h: Health<T>): void {
    if (h.ejectedUntilMs !== undefined || this.#inRotation() <= 1) return;
    const now = this.#clock.now();
    const ms = Math.min(this.#options.maxEjectionMs, this.#options.ejectionMs * 2 ** h.ejections);
    h.ejections++;
    h.epoch++;
    h.ejectedUntilMs = now + ms;
    h.consecutiveFailures = 0;
    h.probation = false;
    this.#observer.ejected?.(h.endpoint, h.ejectedUntilMs);
  }

  #recover(now: number): void {
    for (const h of this.#health) {
      if (h.ejectedUntilMs === undefined || now < h.ejectedUntilMs) continue;
      h.backAtMs = h.ejectedUntilMs;
      h.ejectedUntilMs = undefined;
      h.probation = true;
      h.estimateMs = 0;
      h.stampMs = now;
      this.#observer.recovered?.(h.endpoint);
    }
  }

  #inRotation(): number {
    let n = 0;
    for (const h of this.#health) if (h.ejectedUntilMs === undefined) n++;
    return n;
  }
}
