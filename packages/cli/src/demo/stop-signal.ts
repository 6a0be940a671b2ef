/** When the demo should stop, and why. */
export interface StopSignal {
  /** Resolves with the reason the first time a stop is asked for. */
  readonly requested: Promise<string>;
  /** Asks for a stop (the duration is up). */
  stop(reason: string): void;
  /** Removes the signal handlers. */
  dispose(): void;
}

/**
 * A stop from the caller's `AbortSignal` when given (tests, embedding programs), else from
 * SIGINT (Ctrl-C) or SIGTERM; a second SIGINT while stopping calls `onSecondInterrupt`, which
 * exits at once.
 */
export function stopSignal(options: {
  signal?: AbortSignal | undefined;
  onSecondInterrupt: () => void;
}): StopSignal {
  let resolveStop: (reason: string) => void = () => {};
  let stopped = false;
  const requested = new Promise<string>((resolve) => {
    resolveStop = resolve;
  });
  const stop = (reason: string) => {
    if (stopped) return;
    stopped = true;
    resolveStop(reason);
  };
  const { signal } = options;
  if (signal !== undefined) {
    const onAbort = () => stop('stopped');
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return { requested, stop, dispose: () => signal.removeEventListener('abort', onAbort) };
  }
  const onInterrupt = () => {
    if (stopped) options.onSecondInterrupt();
    else stop('Ctrl-C');
  };
  const onTerminate = () => stop('SIGTERM');
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  return {
    requested,
    stop,
    dispose: () => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
    },
  };
}
