import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobSummary } from '../../../src/index.js';

const PACKAGE_DIR = fileURLToPath(new URL('../../..', import.meta.url));

/** What a job child process printed, and how it ended. */
export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The "r" lines: results it reported written. */
  results: number;
  /** Its "done <summary>" line, when it got that far. */
  summary: JobSummary | undefined;
  stderr: string;
}

/**
 * Starts a job child script (one that prints "started", "r" per result and "done <summary>",
 * running the built package), from the package's directory. `onLine(run, line)` is asked on
 * each line it prints, after the line is counted, whether to kill it now with SIGKILL. `done`
 * resolves when it has exited.
 */
export function spawnJobChild(
  script: string,
  env: Record<string, string>,
  onLine?: (run: ChildRun, line: string) => boolean,
): { child: ChildProcess; done: Promise<ChildRun> } {
  const child: ChildProcess = spawn(process.execPath, [script], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<ChildRun>((resolve, reject) => {
    const run: ChildRun = { code: null, signal: null, results: 0, summary: undefined, stderr: '' };
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (data: string) => {
      pending += data;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'r') run.results += 1;
        else if (line.startsWith('done ')) run.summary = JSON.parse(line.slice(5)) as JobSummary;
        if (onLine?.(run, line)) child.kill('SIGKILL');
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (data: string) => {
      run.stderr += data;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
  return { child, done };
}
