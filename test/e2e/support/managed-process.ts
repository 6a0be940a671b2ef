import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs the command in the background and, once a second, checks that the test process that
 * started it is still alive; when it is gone (a test worker killed with SIGKILL runs no
 * teardown), it stops the command. So an aborted run leaves no Prometheus behind. The shell,
 * the command and its children share one process group, which `stop()` signals as a whole.
 */
const WATCHDOG = `
parent=$1; shift
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
while kill -0 "$child" 2>/dev/null; do
  if ! kill -0 "$parent" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null; sleep 2; kill -KILL "$child" 2>/dev/null; exit 1
  fi
  sleep 1
done
wait "$child"
`;

const OUTPUT_LIMIT = 64 * 1024;

/** What to run and how to tell it is ready. */
export interface ManagedProcessOptions {
  /** Short name for messages: `prometheus`. */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  /** Polled with GET until it answers 200 (`http://127.0.0.1:9090/-/ready`). */
  readyUrl: string;
  /** Default 30 s: a cold start on a loaded two-core machine. */
  readyTimeoutMs?: number;
}

/** Started processes not yet stopped; killed on exit of the test process as a last resort. */
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const managed of live) managed.killNow();
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    // ESRCH: the group is gone already, which is what we want.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * A server process the test started: its own process group, its output kept for failure
 * messages, ready once its readiness URL answers, stopped (SIGTERM, then SIGKILL) by `stop()`.
 */
export class ManagedProcess {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #pgid: number;
  readonly #exited: Promise<void>;
  #output = '';
  #exitStatus: string | undefined;

  private constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.#child = spawn(
      '/bin/sh',
      [
        '-c',
        WATCHDOG,
        `${options.name}-watchdog`,
        String(process.pid),
        options.command,
        ...options.args,
      ],
      { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error(`${options.name}: could not spawn ${options.command}`);
    this.#pgid = pid;
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitStatus = signal === null ? `exit code ${code}` : `signal ${signal}`;
        live.delete(this);
        resolve();
      });
    });
    live.add(this);
    installExitHook();
  }

  /** Starts the command and resolves once it is ready; rejects with its output otherwise. */
  static async start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    const managed = new ManagedProcess(options);
    try {
      await managed.#waitReady(options.readyUrl, options.readyTimeoutMs ?? 30_000);
      return managed;
    } catch (error) {
      await managed.stop();
      throw error;
    }
  }

  /** Whether it has exited, and how (`exit code 1`); undefined while it runs. */
  get exitStatus(): string | undefined {
    return this.#exitStatus;
  }

  /** The last 64 KiB of its stdout and stderr. */
  output(): string {
    return this.#output;
  }

  /** Stops the whole process group: SIGTERM, then SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.#exitStatus === undefined) {
      signalGroup(this.#pgid, 'SIGTERM');
      const stopped = await Promise.race([
        this.#exited.then(() => true),
        sleep(10_000).then(() => false),
      ]);
      if (!stopped) signalGroup(this.#pgid, 'SIGKILL');
      await this.#exited;
    }
    // Anything the command left in its group goes too.
    signalGroup(this.#pgid, 'SIGKILL');
    this.#child.stdout?.destroy();
    this.#child.stderr?.destroy();
  }

  /** Synchronous SIGKILL of the group, for the process-exit hook. */
  killNow(): void {
    signalGroup(this.#pgid, 'SIGKILL');
  }

  async #waitReady(url: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = 'no answer yet';
    while (performance.now() < deadline) {
      if (this.#exitStatus !== undefined) {
        throw new Error(
          `${this.name} exited (${this.#exitStatus}) before it was ready; its output:\n${this.#output}`,
        );
      }
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.body?.cancel();
        if (response.ok) return;
        last = `HTTP ${response.status}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await Promise.race([sleep(100), this.#exited]);
    }
    throw new Error(
      `${this.name} was not ready at ${url} within ${timeoutMs} ms (${last}); its output:\n${this.#output}`,
    );
  }

  /** Resolves when the process has exited. */
  exited(): Promise<void> {
    return this.#exited;
  }
}

/** Whether the output says the listen address was taken (another process won the free port). */
export function portTaken(error: unknown): boolean {
  return error instanceof Error && /address already in use/i.test(error.message);
}
