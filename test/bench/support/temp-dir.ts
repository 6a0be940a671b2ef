/**
 * A temp dir for a benchmark's files that goes away at the end, and also when the run is
 * interrupted (support/interrupt.ts): a million-line job leaves hundreds of megabytes behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onInterrupt } from './interrupt.ts';

export interface TempDir {
  path: string;
  /** Deletes the dir. */
  remove(): Promise<void>;
}

/** Creates `<tmpdir>/<prefix>XXXXXX`, removed by `remove()` or when the run is interrupted. */
export async function benchTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  const remove = () => rm(path, { recursive: true, force: true });
  const unregister = onInterrupt(remove);
  return {
    path,
    async remove() {
      unregister();
      await remove();
    },
  };
}
