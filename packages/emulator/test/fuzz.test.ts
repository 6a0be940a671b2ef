import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/index.js';
import { emulator } from './helpers.js';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const PATHS: Array<[string, string]> = [
  ['POST', '/v1beta/models/gemini-2.5-flash:generateContent'],
  ['POST', '/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse'],
  ['POST', '/v1beta/models/gemini-2.5-pro:streamGenerateContent'],
  ['POST', '/v1beta/models/gemini-2.5-flash-lite:countTokens'],
  ['POST', '/v1beta/models/gemini-embedding-001:batchEmbedContents'],
  ['POST', '/v1beta/models/text-embedding-004:embedContent'],
  ['POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent'],
  ['GET', '/v1beta/models/gemini-2.5-flash'],
  ['GET', '/v1beta/models'],
  ['GET', '/v1beta/batches'],
  ['GET', '/v1beta/batches/abc'],
  ['POST', '/v1beta/batches/abc:cancel'],
  ['GET', '/v1beta/files'],
  ['GET', '/v1beta/files/abc'],
  ['GET', '/v1beta/files/abc:download?alt=media'],
  ['POST', '/upload/v1beta/files'],
  ['POST', '/upload/v1beta/files?upload_id=nope'],
  ['GET', '/v1beta/files?pageSize=-1&pageToken=%%%'],
  ['GET', '/v1beta/batches?pageToken=b2Zmc2V0Ong='],
  ['POST', '/emulator/control'],
  ['GET', '/emulator/stats'],
  ['GET', '/metrics'],
  ['POST', '/%E0%A4%A'],
  ['POST', '/v1beta/models/%2e%2e/x:generateContent'],
  ['POST', '/v1beta//models/:generateContent'],
  ['GET', '/'],
];

const valid = {
  contents: [
    {
      role: 'user',
      parts: [{ text: 'hello' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }],
    },
  ],
  systemInstruction: { parts: [{ text: 'be brief' }] },
  tools: [
    {
      functionDeclarations: [
        { name: 'f', parameters: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } },
      ],
    },
  ],
  toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['f'] } },
  generationConfig: {
    maxOutputTokens: 20,
    thinkingConfig: { thinkingBudget: 10, includeThoughts: true },
    responseMimeType: 'application/json',
    responseSchema: { type: 'ARRAY', items: { type: 'NUMBER' } },
  },
  requests: [
    {
      model: 'models/gemini-embedding-001',
      content: { parts: [{ text: 'e' }] },
      outputDimensionality: 4,
    },
  ],
  batch: {
    displayName: 'd',
    inputConfig: {
      requests: {
        requests: [{ request: { contents: [{ parts: [{ text: 'b' }] }] }, metadata: { key: 'k' } }],
      },
    },
  },
  file: { displayName: 'x', mimeType: 'text/plain' },
  // A control patch the fuzz may break; it never holds faults, so none can be switched on.
  latencyMultiplier: 1,
};

function randomValue(r: Random, depth: number): unknown {
  switch (r.int(0, 9)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return [1e308, -1, 0, 2 ** 53 + 1, Number.MIN_VALUE, -0.5][r.int(0, 5)];
    case 3:
      return [
        '',
        'x',
        '\u0000',
        '😀'.repeat(r.int(0, 50)),
        'files/x',
        'cachedContents/c',
        'models/none',
      ][r.int(0, 6)];
    case 4:
      return depth > 3 ? [] : Array.from({ length: r.int(0, 3) }, () => randomValue(r, depth + 1));
    case 5:
      return depth > 3
        ? {}
        : { parts: [randomValue(r, depth + 1)], text: randomValue(r, depth + 1) };
    default:
      return r.int(-5, 5);
  }
}

/** Replaces or deletes random nodes of a valid body, so most of it stays plausible. */
function mutate(value: unknown, r: Random, depth = 0): unknown {
  if (r.next() < 0.08) return randomValue(r, depth);
  if (Array.isArray(value)) return value.map((v) => mutate(v, r, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (r.next() < 0.08) continue;
      out[k] = mutate(v, r, depth + 1);
    }
    if (r.next() < 0.05) out[`unknown${r.int(0, 9)}`] = randomValue(r, depth);
    return out;
  }
  return value;
}

function randomBody(r: Random): Buffer | undefined {
  switch (r.int(0, 7)) {
    case 0:
      return undefined;
    case 1:
      return Buffer.from(Array.from({ length: r.int(0, 300) }, () => r.int(0, 255)));
    case 2: {
      const text = JSON.stringify(mutate(valid, r));
      return Buffer.from(text.slice(0, r.int(0, text.length)));
    }
    case 3:
      return Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    default:
      return Buffer.from(JSON.stringify(mutate(valid, r)));
  }
}

function send(
  agent: Agent,
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
) {
  return new Promise<number>((resolve, reject) => {
    const req = request(`${url}${path}`, { method, agent, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('fuzz', () => {
  it('never crashes and never answers 5xx to 1,500 random requests', async () => {
    const handle = await emulator({
      profile: 'zero',
      bodyLimitBytes: 64 * 1024,
      batch: { pendingMs: 0, minRunningMs: 0 },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const r = new Random(2024);
    const statuses = new Map<number, number>();
    try {
      for (let round = 0; round < 150; round++) {
        const batch = Array.from({ length: 10 }, () => {
          const [natural, path] = PATHS[r.int(0, PATHS.length - 1)] ?? ['GET', '/'];
          const method =
            r.next() < 0.75 ? natural : (METHODS[r.int(0, METHODS.length - 1)] ?? 'POST');
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (r.next() < 0.9) headers['x-goog-api-key'] = 'k';
          if (r.next() < 0.05)
            headers['x-emulator-fault'] = ['', 'nope', '5000', 'RESET!'][r.int(0, 3)] ?? '';
          if (r.next() < 0.05)
            headers['x-emulator-batch-errors'] = ['1,x', '-1', '0,2'][r.int(0, 2)] ?? '';
          if (r.next() < 0.05) headers['x-goog-upload-protocol'] = 'resumable';
          if (r.next() < 0.05)
            headers['x-goog-upload-command'] =
              ['start', 'upload, finalize', 'query', 'bogus'][r.int(0, 3)] ?? '';
          const body = method === 'GET' || method === 'HEAD' ? undefined : randomBody(r);
          return send(agent, handle.url, method, path, headers, body).then((status) => {
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status >= 500)
              throw new Error(
                `${status} for ${method} ${path} ${body?.subarray(0, 200).toString()}`,
              );
          });
        });
        await Promise.all(batch);
      }
    } finally {
      agent.destroy();
    }
    // Malformed HTTP itself.
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(handle.port, handle.host, () => socket.write('NOT HTTP\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(handle.stats().internalErrors).toBe(0);
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
    // The run exercised successes and refusals alike.
    expect(statuses.get(200)).toBeGreaterThan(150);
    expect(statuses.get(400)).toBeGreaterThan(150);
    expect(statuses.get(403)).toBeGreaterThan(50);
    expect(statuses.get(404)).toBeGreaterThan(150);
  });
});
