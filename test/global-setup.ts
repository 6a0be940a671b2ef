import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Brings dist/ up to date (incremental, about a second) so tests that run built executables see
 * this tree. A compile error does not stop the run: `pnpm test` typechecks before it tests and
 * fails there, and while one package is mid-change the others' tests still run.
 */
export default function setup(): void {
  const typescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'));
  const result = spawnSync(process.execPath, [join(typescript, 'bin', 'tsc'), '-b'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stderr.write(
      `[global-setup] tsc -b failed; tests of built executables may fail:\n${result.stdout}${result.stderr}\n`,
    );
  }
}
