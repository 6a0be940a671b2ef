/**
 * Clean-ups a benchmark runs when it is interrupted (Ctrl-C, `timeout`, `kill`): stop emulator
 * children, delete temp files (a million-line job leaves hundreds of megabytes behind). A child
 * started with `spawn` outlives a parent that is simply killed, unless the parent stops it.
 */
const cleanups = new Set<() => unknown>();
let installed = false;

async function interrupted(signal: NodeJS.Signals): Promise<void> {
  // Whatever happens, leave within a few seconds.
  setTimeout(() => process.exit(1), 5_000).unref();
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch (error) {
      process.stderr.write(`clean-up after ${signal} failed: ${String(error)}\n`);
    }
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Runs `cleanup` (latest registered first) on SIGINT or SIGTERM; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => unknown): () => void {
  if (!installed) {
    installed = true;
    process.once('SIGINT', (signal) => void interrupted(signal));
    process.once('SIGTERM', (signal) => void interrupted(signal));
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** `resource` with its `stop()` also run on an interrupt (until it has been stopped). */
export function stoppedOnInterrupt<T extends { stop(): Promise<unknown> }>(resource: T): T {
  const unregister = onInterrupt(() => resource.stop());
  return {
    ...resource,
    stop: async () => {
      unregister();
      return resource.stop();
    },
  };
}
