import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { emulator } from './helpers.js';

const body = JSON.stringify({ contents: [{ parts: [{ text: 'abcd' }] }] });

function post(
  url: string,
  agent?: Agent,
): Promise<{ status: number; headers: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/v1beta/models/gemini-2.5-flash:countTokens`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('network model', () => {
  it('keeps connections alive longer than clients idle, and counts connections', async () => {
    const handle = await emulator();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await post(handle.url, agent);
        expect(res.status).toBe(200);
        expect(res.headers['keep-alive']).toBe('timeout=120');
      }
      expect(handle.stats().connectionsAccepted).toBe(1);
    } finally {
      agent.destroy();
    }
    const short = await emulator({ keepAliveTimeoutMs: 5000 });
    expect((await post(short.url)).headers['keep-alive']).toBe('timeout=5');
  });

  it('delays each new connection, and adds a round trip to every response (scaled by speed)', async () => {
    // Two "regions": a distant one (2 s set-up, 1 s round trip at speed 10) and a near one.
    const far = await emulator({
      speed: 10,
      profile: 'zero',
      network: { connectDelayMs: 2000, rttMs: 1000 },
    });
    const near = await emulator({ speed: 10, profile: 'zero' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cold = await post(far.url, agent);
      expect(cold.status).toBe(200);
      expect(cold.ms).toBeGreaterThanOrEqual(299);
      const warm = await post(far.url, agent);
      expect(warm.ms).toBeGreaterThanOrEqual(99);
      expect(far.stats().connectionsAccepted).toBe(1);
      expect((await post(near.url)).status).toBe(200);
      expect(near.stats().connectionsAccepted).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('serves HTTPS with a certificate made at start, which the real client trusts', async () => {
    const handle = await emulator({ network: { tls: true } });
    expect(handle.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(handle.certificate).toContain('-----BEGIN CERTIFICATE-----');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        `${handle.url}/v1beta/models/gemini-2.5-flash:countTokens`,
        {
          method: 'POST',
          ca: handle.certificate,
          headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);

    // The SDK uses the global fetch, which trusts extra CAs only from NODE_EXTRA_CA_CERTS at start.
    const dir = await mkdtemp(join(tmpdir(), 'emulator-tls-'));
    try {
      await writeFile(join(dir, 'ca.pem'), handle.certificate ?? '');
      const script = `
        import { GoogleGenAI } from '@google/genai';
        const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: process.env.BASE_URL, apiVersion: 'v1beta' } });
        const res = await ai.models.generateContent({ model: 'gemini-2.5-flash-lite', contents: 'over tls' });
        process.stdout.write(JSON.stringify(res.usageMetadata));`;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', script],
        {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), BASE_URL: handle.url },
        },
      );
      expect(JSON.parse(stdout).promptTokenCount).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
