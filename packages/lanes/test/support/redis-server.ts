import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

function connectClient(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => {});
  return client;
}

export type TestRedisClient = ReturnType<typeof connectClient>;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** A real redis-server on a free loopback port with no persistence, and a connected client. */
export async function startRedis(): Promise<{
  url: string;
  client: TestRedisClient;
  stop(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  let client: TestRedisClient | undefined;
  while (client === undefined) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
    const candidate = connectClient(url);
    try {
      await candidate.connect();
      await candidate.ping();
      client = candidate;
    } catch {
      await candidate.destroy?.();
      if (Date.now() > deadline)
        throw new Error(`redis-server did not answer on ${url}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const connected = client;
  return {
    url,
    client: connected,
    async stop() {
      await connected.quit().catch(() => {});
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
