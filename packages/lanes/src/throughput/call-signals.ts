/**
 * Calls following one caller's signal, keyed weakly by it: however many calls share a signal,
 * it carries one listener (so a caller's signal shared by many calls never warns of a listener
 * leak), removed when the last of them ends.
 */
const followers = new WeakMap<AbortSignal, Set<CallSignals>>();

function relayAbort(event: Event): void {
  const signal = event.target as AbortSignal;
  const calls = followers.get(signal);
  followers.delete(signal);
  if (calls !== undefined) for (const call of calls) call.abort(signal.reason);
}

/**
 * The abort signals of one throughput call: `wait` ends its waits (for a slot, quota or a
 * retry) when the caller aborts or the lane closes; each attempt's controller aborts when the
 * caller does (or at its own deadline). The same as `AbortSignal.any([caller, closing])` and
 * `AbortSignal.any([caller, attempt])`, without composite signals: Node tracks those through
 * `WeakRef`s and a `FinalizationRegistry`, which the young-generation GC treats as strong, and
 * holds one strongly while it has a listener; the SDK never removes the one it adds after a
 * success. Every call's signals, and the SDK's and undici's state hanging off them, then outlive
 * the call until a full GC, and are promoted to old space on the way.
 */
export class CallSignals {
  readonly #caller: AbortSignal | undefined;
  readonly #wait = new AbortController();
  #attempt: AbortController | undefined;
  #following = false;

  /** `closing` is the lane's: a call made after it aborted starts aborted. */
  constructor(caller: AbortSignal | undefined, closing: AbortSignal) {
    this.#caller = caller;
    if (caller?.aborted) this.#wait.abort(caller.reason);
    else if (closing.aborted) this.#wait.abort(closing.reason);
    else if (caller !== undefined) {
      let calls = followers.get(caller);
      if (calls === undefined) {
        calls = new Set();
        followers.set(caller, calls);
        caller.addEventListener('abort', relayAbort, { once: true });
      }
      calls.add(this);
      this.#following = true;
    }
  }

  /** Aborts with the caller's reason, or with the lane's `LaneClosedError` when it closes. */
  get wait(): AbortSignal {
    return this.#wait.signal;
  }

  /** A new attempt's controller, aborted with the caller's reason when the caller aborts. */
  attempt(): AbortController {
    const controller = new AbortController();
    if (this.#caller?.aborted) controller.abort(this.#caller.reason);
    this.#attempt = controller;
    return controller;
  }

  /** The caller aborted: ends the waits and the attempt in flight. */
  abort(reason: unknown): void {
    this.#wait.abort(reason);
    this.#attempt?.abort(reason);
  }

  /** The lane closed: ends the waits; an attempt in flight runs on. */
  close(reason: unknown): void {
    this.#wait.abort(reason);
  }

  /** The call is over (its result used, or its failure thrown): stops following the caller. */
  end(): void {
    this.#attempt = undefined;
    if (!this.#following) return;
    this.#following = false;
    const caller = this.#caller as AbortSignal;
    const calls = followers.get(caller);
    if (calls === undefined || !calls.delete(this) || calls.size > 0) return;
    followers.delete(caller);
    caller.removeEventListener('abort', relayAbort);
  }
}
