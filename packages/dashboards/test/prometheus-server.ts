/**
 * A real Prometheus for tests: started on 127.0.0.1 on a free port with a temporary storage
 * directory and no scrape targets, ready when `/-/ready` answers, stopped (and its directory
 * removed) by `stop()`. Queries go to `/api/v1/query`, so a query that does not parse comes
 * back as `bad_data`, exactly as Grafana would see it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrometheusQueryResult {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query; resolves with Prometheus's JSON answer whatever its status. */
  query(expr: string): Promise<PrometheusQueryResult>;
  stop(): Promise<void>;
}

const BINARY = process.env.PROMETHEUS_BIN ?? 'prometheus';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string, deadline: number) {
  let exitCode: number | null | undefined;
  void exited(child).then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`prometheus exited with ${exitCode} before it was ready:\n${stderr()}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // Not listening yet: poll again until the deadline.
    }
    await pause(100);
  }
  throw new Error(`prometheus was not ready at ${url} before the deadline:\n${stderr()}`);
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** Starts Prometheus and resolves once it is ready, within `timeoutMs`. */
export async function startPrometheus(timeoutMs = 60_000): Promise<PrometheusServer> {
  const deadline = Date.now() + timeoutMs;
  const dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
  let lastError: unknown;
  // A free port can be taken between probing and binding; try a few.
  for (let attempt = 0; attempt < 3 && Date.now() < deadline; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let output = '';
    const child = spawn(
      BINARY,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    // Raced below; a late 'error' after a successful start must not become an unhandled rejection.
    spawnError.catch(() => undefined);
    try {
      await Promise.race([waitReady(url, child, () => output, deadline), spawnError]);
    } catch (error) {
      lastError = error;
      await stopChild(child, 5000);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        break;
      }
      continue;
    }
    return {
      url,
      async query(expr: string) {
        const res = await fetch(`${url}/api/v1/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ query: expr }).toString(),
          signal: AbortSignal.timeout(30_000),
        });
        return (await res.json()) as PrometheusQueryResult;
      },
      async stop() {
        await stopChild(child, 10_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  const hint =
    (lastError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
      ? ` (${BINARY} not found: install Debian's prometheus package, e.g. scripts/setup.sh --services)`
      : '';
  throw new Error(`could not start Prometheus${hint}: ${String(lastError)}`);
}
