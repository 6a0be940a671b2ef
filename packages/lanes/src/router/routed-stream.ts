import { type Context, context } from '@opentelemetry/api';

/** Runs `fn` in `ctx`, or as it is when there is no context to enter. */
export function within<R>(ctx: Context | undefined, fn: () => R): R {
  return ctx === undefined ? fn() : context.with(ctx, fn);
}

/**
 * Streams what `open()` yields, running `open` and every step of its iterator (`next`, and
 * `return` when the caller stops early) in `ctx`: a lane's generator starts its upstream call
 * on the first `next()`, inside whatever context is active then, so entering `ctx` only when
 * the stream is opened would leave the call outside it. Chunks are passed on as they come.
 */
export async function* streamWithin<T>(
  ctx: Context | undefined,
  open: () => AsyncIterable<T>,
): AsyncGenerator<T, void, undefined> {
  const iterator = within(ctx, () => open()[Symbol.asyncIterator]());
  let finished = false;
  try {
    for (;;) {
      let result: IteratorResult<T>;
      try {
        result = await within(ctx, () => iterator.next());
      } catch (error) {
        // An iterator that threw is done; it must not be asked to return.
        finished = true;
        throw error;
      }
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    // The caller stopped early (break, return, a throw in its loop): let the lane release its
    // slot and end its span now rather than when the iterator is collected.
    if (!finished) await within(ctx, async () => iterator.return?.());
  }
}
