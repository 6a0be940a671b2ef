import type { CliIo } from '../src/index.js';

/** An in-memory CliIo that records what a command prints. */
export function memoryIo(cwd = process.cwd(), env: Record<string, string | undefined> = {}) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    cwd,
    env,
  };
  return {
    io,
    get stdout() {
      return out;
    },
    get stderr() {
      return err;
    },
  };
}
