/**
 * Reading and steering an emulator from outside its process: `/emulator/stats` (its own
 * counters: requests by status, 429s, accepted input tokens, quota use in the sliding minute)
 * and `/emulator/control` (a quota reset between contenders). A keep-alive agent of its own, so
 * polling never shares sockets with the clients under test.
 */
import { Agent, request } from 'node:http';
import type { ControlPatch, EmulatorStats } from '@gemini-lanes/emulator';

const agent = new Agent({ keepAlive: true, maxSockets: 2 });

function call(url: string, method: 'GET' | 'POST', body?: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        agent,
        method,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 400) reject(new Error(`${method} ${url}: ${text}`));
          else resolve(text);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The emulator's counters now. */
export async function emulatorStats(baseUrl: string): Promise<EmulatorStats> {
  return JSON.parse(await call(`${baseUrl}/emulator/stats`, 'GET')) as EmulatorStats;
}

/** Applies a control patch (e.g. `{ quota: { reset: true } }`). */
export async function controlEmulator(baseUrl: string, patch: ControlPatch): Promise<void> {
  await call(`${baseUrl}/emulator/control`, 'POST', patch);
}

/** One reading of a model's counters, at `atMs` of `performance.now()`. */
export interface ModelSample {
  atMs: number;
  /** Input tokens the emulator accepted (admitted past its quota), cumulative. */
  inputTokens: number;
  /** Input tokens counted in the emulator's sliding quota minute at that instant. */
  windowInputTokens: number;
  /** 429s served, cumulative. */
  rateLimited: number;
}

/**
 * Polls `/emulator/stats` every `everyMs` until `stop()`; returns the readings of `model`. A
 * reading's time is the midpoint of its round trip.
 */
export function sampleEmulator(
  baseUrl: string,
  model: string,
  everyMs: number,
): { stop(): Promise<ModelSample[]> } {
  const samples: ModelSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const before = performance.now();
      const stats = await emulatorStats(baseUrl);
      const atMs = (before + performance.now()) / 2;
      const m = stats.models[model];
      samples.push({
        atMs,
        inputTokens: m?.tokens.input ?? 0,
        windowInputTokens: m?.quota.inputTokensPerMinute ?? 0,
        rateLimited: stats.rateLimited,
      });
      const wait = everyMs - (performance.now() - before);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}
