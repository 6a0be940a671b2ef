/**
 * Benchmark of the latency lane's response cache (issue 7), run with the Node 24 toolchain
 * after `pnpm build`:
 *
 *   node test/bench/response-cache.ts            full run (about ten seconds)
 *   node test/bench/response-cache.ts --quick    fewer samples
 *
 * The emulator runs in a child process (support/emulator-process.ts) on 127.0.0.1, latency
 * model at zero, so an upstream call costs only the HTTP round trip and the SDK. Contenders,
 * side by side in one run, in groups of one call each in a shuffled order after a warm-up, each
 * call timed on its own (`performance.now()` around `lane.generateContent`, or around the whole
 * stream for the stream contender):
 *   - memory hit: a deterministic request (temperature 0) already in the memory store;
 *   - memory stream hit: the same as a stream, every chunk consumed;
 *   - redis hit: the same request in a Redis store on a real local redis-server (when one is
 *     installed): one GET round trip on loopback;
 *   - upstream: the same request without temperature (not cacheable: a `bypass` lookup, then
 *     admission and the SDK call to the emulator), for scale.
 * Target: memory hit p99 < 0.2 ms. Reported, not asserted. Results go to
 * test/bench/results/response-cache.json and .md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { GenerateContentParameters, GenerateContentResponse } from '@google/genai';
import { builtPackages, say } from './support/built-packages.ts';
import { startEmulatorProcess } from './support/emulator-process.ts';
import { seeded } from './support/seeded.ts';

const quick = process.argv.includes('--quick');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const MODEL = 'gemini-2.5-flash-lite';
const API_KEY = 'bench-key';
const TARGET_P99_MS = 0.2;
const GROUPS = quick ? 500 : 5000;
const WARMUP = quick ? 200 : 1000;

// The packages under test, by name, as packages/lanes resolves them; their built dist/ runs.
const load = builtPackages('lanes');

interface LaneLike {
  generateContent(params: GenerateContentParameters): Promise<GenerateContentResponse>;
  generateContentStream(params: GenerateContentParameters): AsyncGenerator<GenerateContentResponse>;
  close(): Promise<void>;
}
interface LanesModule {
  createLatencyLane(
    config: unknown,
    options: { apiKey: string; baseUrl: string; cache?: unknown },
  ): LaneLike;
}
interface CoreModule {
  defineConfig(input: object): { lanes: { latency: unknown } };
}
interface RedisModule {
  createClient(options: { url: string }): {
    connect(): Promise<unknown>;
    quit(): Promise<unknown>;
    on(event: string, listener: () => void): unknown;
  };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

const CACHED: GenerateContentParameters = {
  model: MODEL,
  contents: 'Explain a response cache in one paragraph.',
  config: { temperature: 0, maxOutputTokens: 4000, thinkingConfig: { thinkingBudget: 0 } },
};
const UNCACHED: GenerateContentParameters = {
  ...CACHED,
  config: { maxOutputTokens: 4000, thinkingConfig: { thinkingBudget: 0 } },
};

async function drain(stream: AsyncGenerator<GenerateContentResponse>): Promise<void> {
  for await (const _chunk of stream) {
    // consumed
  }
}

/** A redis-server on a free port with no persistence, or undefined when none is installed. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const { spawn } = await import('node:child_process');
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true));
    setTimeout(() => resolve(false), 300);
  });
  if (failed) return undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGKILL');
    },
  };
}

async function main(): Promise<void> {
  const lanes = await load<LanesModule>('@gemini-lanes/lanes');
  const core = await load<CoreModule>('@gemini-lanes/core');
  const redisModule = await load<RedisModule>('redis');
  const server = await startEmulatorProcess({ profile: 'zero', quota: false, seed: 1 });
  const redisServer = await startRedis();
  const config = (cache: object) =>
    core.defineConfig({
      lanes: {
        latency: { models: [MODEL], pool: { prewarm: 1 }, cache },
        throughput: { models: [MODEL] },
      },
    }).lanes.latency;
  const memoryLane = lanes.createLatencyLane(config({}), { apiKey: API_KEY, baseUrl: server.url });
  let redisClient: ReturnType<RedisModule['createClient']> | undefined;
  let redisLane: LaneLike | undefined;
  if (redisServer) {
    redisClient = redisModule.createClient({ url: redisServer.url });
    redisClient.on('error', () => {});
    for (let attempt = 0; ; attempt++) {
      try {
        await redisClient.connect();
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    redisLane = lanes.createLatencyLane(config({ store: 'redis', redisUrl: redisServer.url }), {
      apiKey: API_KEY,
      baseUrl: server.url,
      cache: redisClient,
    });
  }

  const contenders: Array<{ name: string; run: () => Promise<unknown> }> = [
    { name: 'memory hit', run: () => memoryLane.generateContent(CACHED) },
    { name: 'memory stream hit', run: () => drain(memoryLane.generateContentStream(CACHED)) },
    ...(redisLane
      ? [{ name: 'redis hit', run: () => (redisLane as LaneLike).generateContent(CACHED) }]
      : []),
    { name: 'upstream (not cacheable)', run: () => memoryLane.generateContent(UNCACHED) },
  ];
  // Fill the caches (the Redis write is not awaited by the caller: read until it is a hit).
  await memoryLane.generateContent(CACHED);
  await drain(memoryLane.generateContentStream(CACHED));
  if (redisLane) {
    await redisLane.generateContent(CACHED);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (let i = 0; i < WARMUP; i++) for (const c of contenders) await c.run();

  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  const next = seeded(7);
  for (let g = 0; g < GROUPS; g++) {
    const order = [...contenders];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [
        order[j] as (typeof order)[number],
        order[i] as (typeof order)[number],
      ];
    }
    for (const c of order) {
      const start = performance.now();
      await c.run();
      samples.get(c.name)?.push(performance.now() - start);
    }
  }
  await memoryLane.close();
  await redisLane?.close();
  await redisClient?.quit().catch(() => {});
  await redisServer?.stop();
  await server.stop();

  const rows = contenders.map((c) => {
    const values = samples.get(c.name) ?? [];
    return {
      contender: c.name,
      samples: values.length,
      p50Ms: round(quantile(values, 0.5)),
      p99Ms: round(quantile(values, 0.99)),
    };
  });
  const memory = rows[0];
  const upstream = rows[rows.length - 1];
  const results = {
    benchmark: 'response-cache',
    command: `node test/bench/response-cache.ts${quick ? ' --quick' : ''}`,
    node: process.version,
    cpu: cpus()[0]?.model,
    loadAverage: loadavg().map((l) => round(l, 2)),
    groups: GROUPS,
    warmup: WARMUP,
    targetMemoryHitP99Ms: TARGET_P99_MS,
    memoryHitMeetsTarget: (memory?.p99Ms ?? Number.POSITIVE_INFINITY) < TARGET_P99_MS,
    upstreamToMemoryHitP50Ratio: round((upstream?.p50Ms ?? 0) / (memory?.p50Ms ?? 1), 1),
    rows,
  };
  const markdown = [
    '# Response cache: hit latency',
    '',
    `\`${results.command}\` on Node ${results.node}, ${results.cpu ?? 'unknown CPU'}; ${GROUPS} groups after ${WARMUP} warm-up rounds, contenders shuffled in each group; emulator in its own process at zero latency.`,
    '',
    '| contender | p50 ms | p99 ms |',
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.contender} | ${r.p50Ms} | ${r.p99Ms} |`),
    '',
    `Target: memory hit p99 < ${TARGET_P99_MS} ms: ${results.memoryHitMeetsTarget ? 'met' : 'not met'}. An upstream call (zero model latency, loopback) takes ${results.upstreamToMemoryHitP50Ratio}× a memory hit at p50.`,
    '',
  ].join('\n');
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, 'response-cache.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS, 'response-cache.md'), markdown);
  for (const r of rows) say(`${r.contender.padEnd(26)} p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`);
  say(`memory hit p99 < ${TARGET_P99_MS} ms: ${results.memoryHitMeetsTarget ? 'met' : 'NOT met'}`);
  say(`wrote ${join(RESULTS, 'response-cache.json')} and response-cache.md`);
}

await main();
