import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LaneConnectionPool, type LaneConnectionPoolOptions } from '../src/index.js';

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const defaults: LaneConnectionPoolOptions = {
  connections: 8,
  prewarm: 3,
  keepAliveTimeoutMs: 60_000,
  keepAliveMaxTimeoutMs: 600_000,
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
};

describe('LaneConnectionPool', () => {
  let server: Server;
  let origin: string;
  let accepted: number;
  let requests: string[];
  const pools: LaneConnectionPool[] = [];
  const pool = (options: Partial<LaneConnectionPoolOptions> = {}) => {
    const p = new LaneConnectionPool({ ...defaults, ...options });
    pools.push(p);
    return p;
  };

  beforeEach(async () => {
    accepted = 0;
    requests = [];
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      res.end('ok');
    });
    server.keepAliveTimeout = 120_000;
    server.on('connection', () => accepted++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const p = pool({ prewarm: 0 });
    for (let i = 0; i < 20; i++) {
      const response = await p.fetch(`${origin}/v1beta/models/x:generateContent`, {
        method: 'POST',
        body: '{}',
      });
      expect(await response.text()).toBe('ok');
      // undici returns the socket to the pool a tick after the body ends; a request sent in the
      // same tick opens a second socket. Real callers do work between calls.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(accepted).toBe(1);
    expect(p.stats()).toMatchObject({ connected: 1, free: 1, running: 0 });
  });

  it('pre-warms the configured number of sockets without an API call, and the first requests use them', async () => {
    const p = pool({ prewarm: 3 });
    expect(await p.prewarm([origin])).toEqual([]);
    expect(accepted).toBe(3);
    expect(requests).toEqual(['GET /', 'GET /', 'GET /']);
    expect(p.stats()).toMatchObject({ connected: 3, free: 3 });
    await Promise.all(
      Array.from({ length: 3 }, () => p.fetch(`${origin}/a`).then((r) => r.text())),
    );
    expect(accepted).toBe(3);
  });

  it('keeps warm sockets open past the idle timeout, where an idle pool lets them close', {
    timeout: 20_000,
  }, async () => {
    // The server's Keep-Alive hint (120 s) would replace the idle timeout; the cap brings it to 1 s.
    const warm = pool({ prewarm: 2, keepAliveTimeoutMs: 1000, keepAliveMaxTimeoutMs: 1000 });
    const idle = pool({ prewarm: 2, keepAliveTimeoutMs: 1000, keepAliveMaxTimeoutMs: 1000 });
    await warm.prewarm([origin]);
    await idle.prewarm([origin]);
    warm.keepWarm([origin]);
    await waitFor(() => idle.stats().connected === 0, 'the idle pool to close its sockets');
    expect(warm.stats().connected).toBe(2);
    // The warm pool never had to reconnect: 2 + 2 sockets were ever accepted.
    expect(accepted).toBe(4);
  });

  it('reports a pre-warm failure instead of throwing', async () => {
    const p = pool({ prewarm: 1, connectTimeoutMs: 1000 });
    const failures = await p.prewarm(['http://127.0.0.1:1']);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.origin).toBe('http://127.0.0.1:1');
  });

  it('applies the lane deadline instead of undici defaults: headers slower than requestTimeoutMs fail', async () => {
    // undici checks its timers about every half second, so the margins are wide.
    const p = pool({ prewarm: 0, requestTimeoutMs: 300 });
    const error = await p.fetch(`${origin}/slow`).catch((e: unknown) => e);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    const patient = pool({ prewarm: 0, requestTimeoutMs: 5000 });
    expect(await (await patient.fetch(`${origin}/slow`)).text()).toBe('late');
  });

  it('refuses impossible options with a message naming the field', () => {
    expect(() => pool({ prewarm: 9 })).toThrow(
      'prewarm must be an integer in [0, connections] (got 9)',
    );
    expect(() => pool({ keepAliveTimeoutMs: 0 })).toThrow('keepAliveTimeoutMs must be > 0 (got 0)');
  });
});
