import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/alerts/test/tools.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The committed artifacts for the default configuration. */
export const ARTIFACTS = join(REPO_ROOT, 'alerts');

/**
 * Runs a real tool (`promtool`, `amtool`) and returns its output; throws with the whole output
 * when it exits non-zero, so a failing check shows what the tool said.
 */
export function run(tool: string, args: readonly string[], cwd?: string): string {
  try {
    return execFileSync(tool, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${tool} ${args.join(' ')} failed (exit ${e.status ?? '?'}):\n${e.stdout ?? ''}${e.stderr ?? e.message}`,
    );
  }
}

/** `run`, without blocking: several promtool processes can share the machine's cores. */
export function runAsync(tool: string, args: readonly string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { cwd, encoding: 'utf8', timeout: 300_000 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else {
        reject(
          new Error(
            `${tool} ${args.join(' ')} failed (exit ${error.code ?? '?'}):\n${stdout}${stderr || error.message}`,
          ),
        );
      }
    });
  });
}

/** Writes `files` into a fresh temporary directory, runs `body` with it, and removes it. */
export function withFiles<T>(files: Record<string, string>, body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'gemini-lanes-alerts-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
