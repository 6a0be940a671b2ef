/**
 * Benchmark of the Gemini API emulator (issue 4), run with the Node 24 toolchain after `pnpm build`:
 *
 *   node test/bench/emulator.ts            full run (about two minutes)
 *   node test/bench/emulator.ts --quick    shorter runs, fewer samples
 *
 * The emulator runs in a child process (this file with `--serve`), so the load generator's CPU
 * is not counted with it. Three scenarios:
 *   1. throughput: non-streaming generateContent driven by `wrk` (a Lua script for the POST body),
 *      latency model at zero (`profile: zero`), quota off; median of several runs after a warm-up;
 *   2. 1,000 concurrent streams through the real @google/genai client, counting errors;
 *   3. wall-clock calibration at speed 1 of the default profile: measured time to first chunk and
 *      decode rate (median, p95) against the profile's. Reported, not asserted.
 * Results go to test/bench/results/emulator.json and emulator.md.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { builtinModels, type EmulatorOptions, startEmulator } from '@gemini-lanes/emulator';
import { GoogleGenAI } from '@google/genai';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const SELF = fileURLToPath(import.meta.url);
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Child: serve until SIGTERM, then report the emulator's own CPU and counters.

async function serve(optionsJson: string): Promise<void> {
  const handle = await startEmulator(JSON.parse(optionsJson) as EmulatorOptions);
  const cpuAtStart = process.cpuUsage();
  process.stdout.write(`READY ${handle.url}\n`);
  process.once('SIGTERM', () => {
    const cpu = process.cpuUsage(cpuAtStart);
    const stats = handle.stats();
    handle.close().then(() => {
      process.stdout.write(
        `STATS ${JSON.stringify({ cpuMicros: cpu.user + cpu.system, stats })}\n`,
      );
    });
  });
}

interface Server {
  url: string;
  stop(): Promise<{
    cpuMicros: number;
    stats: { requests: number; internalErrors: number; connectionsAccepted: number };
  }>;
}

function startServer(options: EmulatorOptions): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [SELF, '--serve', JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulator child did not start')), 20_000);
    const check = () => {
      const ready = /READY (\S+)\n/.exec(out);
      if (!ready?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      const url = ready[1];
      resolve({
        url,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => {
              const stats = /STATS (.+)\n/.exec(out);
              done(JSON.parse(stats?.[1] ?? '{}'));
            });
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)));
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const load = () => loadavg().map((l) => round(l, 2));

// ---------------------------------------------------------------------------------------------
// 1. Throughput with wrk

const BODY = JSON.stringify({
  contents: [
    {
      role: 'user',
      parts: [{ text: 'Explain the difference between latency and throughput in two sentences.' }],
    },
  ],
  generationConfig: { maxOutputTokens: 256 },
});

const LUA = `
wrk.method = "POST"
wrk.body = '${BODY}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-goog-api-key"] = "bench"

done = function(summary, latency, requests)
  io.write(string.format(
    'WRK {"requests":%d,"durationMicros":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Micros":%d,"p99Micros":%d}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

interface WrkRun {
  requests: number;
  durationMicros: number;
  bytes: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Micros: number;
  p99Micros: number;
  requestsPerSecond: number;
}

async function wrk(
  url: string,
  script: string,
  seconds: number,
  connections: number,
): Promise<WrkRun> {
  const { stdout } = await run(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url],
    {
      maxBuffer: 1 << 20,
    },
  );
  const line = /WRK (\{.*\})/.exec(stdout)?.[1];
  if (!line) throw new Error(`could not read wrk's output:\n${stdout}`);
  const parsed = JSON.parse(line) as Omit<WrkRun, 'requestsPerSecond'>;
  return {
    ...parsed,
    requestsPerSecond: round(parsed.requests / (parsed.durationMicros / 1e6), 0),
  };
}

async function throughput(dir: string) {
  const script = join(dir, 'generate.lua');
  await writeFile(script, LUA);
  const server = await startServer({ profile: 'zero', quota: false, seed: 1 });
  const url = `${server.url}/v1beta/models/gemini-2.5-flash:generateContent`;
  const connections = 64;
  const seconds = quick ? 4 : 10;
  const runs = quick ? 2 : 4;
  say(
    `throughput: wrk -t1 -c${connections}, warm-up then ${runs} x ${seconds}s (load ${load().join(' ')})`,
  );
  await wrk(url, script, quick ? 2 : 4, connections);
  const results: WrkRun[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await wrk(url, script, seconds, connections);
    results.push(r);
    say(
      `  run ${i + 1}: ${r.requestsPerSecond} req/s, p50 ${round(r.p50Micros / 1000, 2)} ms, p99 ${round(r.p99Micros / 1000, 2)} ms, errors ${r.connectErrors + r.readErrors + r.writeErrors + r.statusErrors + r.timeouts}`,
    );
  }
  const end = await server.stop();
  const rps = results.map((r) => r.requestsPerSecond);
  return {
    command: `wrk -t1 -c${connections} -d${seconds}s -s generate.lua ${url.replace(server.url, '<emulator>')}`,
    runs: results,
    medianRequestsPerSecond: median(rps),
    minRequestsPerSecond: Math.min(...rps),
    maxRequestsPerSecond: Math.max(...rps),
    errors: results.reduce(
      (n, r) => n + r.connectErrors + r.readErrors + r.writeErrors + r.statusErrors + r.timeouts,
      0,
    ),
    emulatorCpuMicrosPerRequest: round(end.cpuMicros / Math.max(1, end.stats.requests), 1),
    emulatorInternalErrors: end.stats.internalErrors,
    loadAverage: load(),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. 1,000 concurrent streams through the real client

async function concurrentStreams() {
  const count = 1000;
  const server = await startServer({ profile: 'default', quota: false, seed: 2 });
  say(
    `streams: ${count} concurrent generateContentStream calls, default profile at speed 1 (load ${load().join(' ')})`,
  );
  const ai = new GoogleGenAI({
    apiKey: 'bench',
    httpOptions: { baseUrl: server.url, apiVersion: 'v1beta' },
  });
  let peakInFlight = 0;
  let peakConnections = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const stats = (await (await fetch(`${server.url}/emulator/stats`)).json()) as {
        inFlight: number;
        openConnections: number;
      };
      peakInFlight = Math.max(peakInFlight, stats.inFlight);
      peakConnections = Math.max(peakConnections, stats.openConnections);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      try {
        const stream = await ai.models.generateContentStream({
          model: 'gemini-2.5-flash',
          contents: `Stream number ${i}: tell a short story.`,
          config: { maxOutputTokens: 1200 },
        });
        let chunks = 0;
        let text = '';
        let last: { candidatesTokenCount: number; finishReason: string | undefined } = {
          candidatesTokenCount: 0,
          finishReason: undefined,
        };
        for await (const chunk of stream) {
          chunks++;
          text += chunk.text ?? '';
          last = {
            candidatesTokenCount: chunk.usageMetadata?.candidatesTokenCount ?? 0,
            finishReason: chunk.candidates?.[0]?.finishReason,
          };
        }
        // A stream counts as whole when it ended with a finish reason and its text matches its usage.
        const whole =
          last.finishReason !== undefined &&
          Math.ceil(text.length / 4) === last.candidatesTokenCount;
        return { ok: whole, chunks, error: whole ? undefined : 'incomplete stream' };
      } catch (error) {
        return {
          ok: false,
          chunks: 0,
          error: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  const end = await server.stop();
  const errors = outcomes.filter((o) => !o.ok);
  const result = {
    streams: count,
    errors: errors.length,
    firstErrors: [...new Set(errors.map((e) => e.error))].slice(0, 3),
    chunks: outcomes.reduce((n, o) => n + o.chunks, 0),
    wallSeconds: round(seconds, 2),
    peakInFlight,
    peakOpenConnections: peakConnections,
    connectionsAccepted: end.stats.connectionsAccepted,
    emulatorInternalErrors: end.stats.internalErrors,
    loadAverage: load(),
  };
  say(
    `  ${result.streams - result.errors}/${result.streams} complete, ${result.errors} errors, ${result.chunks} chunks in ${result.wallSeconds}s, peak ${peakInFlight} in flight on ${peakConnections} open connections`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// 3. Wall-clock calibration at speed 1

/** Parses `x-emulator-timing: ttft=450.2, thinking=0.0, decode=250.1`. */
function drawnTiming(header: string | undefined): { ttft: number; decode: number } | undefined {
  const ttft = /ttft=([\d.]+)/.exec(header ?? '')?.[1];
  const decode = /decode=([\d.]+)/.exec(header ?? '')?.[1];
  return ttft && decode ? { ttft: Number(ttft), decode: Number(decode) } : undefined;
}

async function calibration() {
  const model = 'gemini-2.5-flash';
  const profile = builtinModels('default')[model];
  if (profile === undefined) throw new Error(`no built-in profile for ${model}`);
  const samples = quick ? 200 : 600;
  const concurrency = 12;
  const server = await startServer({ profile: 'default', quota: false, seed: 3 });
  say(
    `calibration: ${samples} streams of ${model} at speed 1, ${concurrency} at a time, thinking off (load ${load().join(' ')})`,
  );
  const ai = new GoogleGenAI({
    apiKey: 'bench',
    httpOptions: { baseUrl: server.url, apiVersion: 'v1beta' },
  });
  const ttft: number[] = [];
  const drawnTtft: number[] = [];
  const decode: number[] = [];
  const drawnDecode: number[] = [];
  const overheadMs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < samples) {
      next++;
      const started = performance.now();
      const stream = await ai.models.generateContentStream({
        model,
        contents: 'Calibrate.',
        config: { maxOutputTokens: 80, thinkingConfig: { thinkingBudget: 0 } },
      });
      let first: { at: number; tokens: number } | undefined;
      let last = { at: 0, tokens: 0 };
      let drawn: { ttft: number; decode: number } | undefined;
      for await (const chunk of stream) {
        const now = {
          at: performance.now(),
          tokens: chunk.usageMetadata?.candidatesTokenCount ?? 0,
        };
        if (first === undefined) {
          first = now;
          drawn = drawnTiming(chunk.sdkHttpResponse?.headers?.['x-emulator-timing']);
        }
        last = now;
      }
      if (first === undefined || drawn === undefined) continue;
      ttft.push(first.at - started);
      drawnTtft.push(drawn.ttft);
      overheadMs.push(first.at - started - drawn.ttft);
      if (last.tokens > first.tokens && last.at > first.at) {
        decode.push((last.tokens - first.tokens) / ((last.at - first.at) / 1000));
        drawnDecode.push(drawn.decode);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await server.stop();
  // Expected values include the profile's mild load slowdown at this concurrency.
  const slowdown = 1 + profile.loadSlowdown * (concurrency - 1);
  const percent = (a: number, b: number) => round((a / b - 1) * 100);
  const row = (
    name: string,
    unit: string,
    measured: number[],
    drawnValues: number[],
    target: { median: number; p95: number },
    factor: number,
  ) => {
    const m = { median: quantile(measured, 0.5), p95: quantile(measured, 0.95) };
    const d = { median: quantile(drawnValues, 0.5), p95: quantile(drawnValues, 0.95) };
    const expected = { median: target.median * factor, p95: target.p95 * factor };
    return {
      quantity: name,
      unit,
      samples: measured.length,
      profile: target,
      expectedUnderLoad: { median: round(expected.median), p95: round(expected.p95) },
      drawn: { median: round(d.median), p95: round(d.p95) },
      measured: { median: round(m.median), p95: round(m.p95) },
      /** Measured against the profile: the wall-clock check of the issue (sampling error included). */
      errorPercent: {
        median: percent(m.median, expected.median),
        p95: percent(m.p95, expected.p95),
      },
      /** Measured against what the emulator drew for these same requests: its timing fidelity alone. */
      errorVsDrawnPercent: { median: percent(m.median, d.median), p95: percent(m.p95, d.p95) },
    };
  };
  const rows = [
    row('time to first chunk', 'ms', ttft, drawnTtft, profile.ttftMs, slowdown),
    row(
      'decode rate',
      'tokens/s',
      decode,
      drawnDecode,
      profile.decodeTokensPerSecond,
      1 / slowdown,
    ),
  ];
  for (const r of rows) {
    const within = Math.abs(r.errorPercent.median) <= 10 && Math.abs(r.errorPercent.p95) <= 10;
    say(
      `  ${r.quantity}: median ${r.measured.median} vs ${r.expectedUnderLoad.median} ${r.unit} (${r.errorPercent.median}%), p95 ${r.measured.p95} vs ${r.expectedUnderLoad.p95} (${r.errorPercent.p95}%) ${within ? 'within 10%' : 'OUTSIDE 10%'}; vs drawn ${r.errorVsDrawnPercent.median}% / ${r.errorVsDrawnPercent.p95}%`,
    );
  }
  const overhead = {
    median: round(quantile(overheadMs, 0.5), 2),
    p95: round(quantile(overheadMs, 0.95), 2),
  };
  say(
    `  time to first chunk beyond the drawn value (client, loopback, timers): median ${overhead.median} ms, p95 ${overhead.p95} ms`,
  );
  return {
    model,
    samples,
    concurrency,
    loadSlowdownFactor: round(slowdown, 3),
    rows,
    ttftOverheadMs: overhead,
    loadAverage: load(),
  };
}

// ---------------------------------------------------------------------------------------------

function markdown(
  results: Record<string, unknown> & {
    throughput: Awaited<ReturnType<typeof throughput>>;
    streams: Awaited<ReturnType<typeof concurrentStreams>>;
    calibration: Awaited<ReturnType<typeof calibration>>;
  },
): string {
  const t = results.throughput;
  const s = results.streams;
  const c = results.calibration;
  return `# Emulator benchmark

\`node test/bench/emulator.ts${quick ? ' --quick' : ''}\` on ${results.machine} (Node ${process.version}), ${results.date}.
The emulator ran in its own process; load averages are the machine's (it is shared).

## Non-streaming throughput (latency model at zero, quota off)

\`${t.command}\`

| run | requests/s | p50 ms | p99 ms | errors |
| --- | ---: | ---: | ---: | ---: |
${t.runs.map((r, i) => `| ${i + 1} | ${r.requestsPerSecond} | ${round(r.p50Micros / 1000, 2)} | ${round(r.p99Micros / 1000, 2)} | ${r.connectErrors + r.readErrors + r.writeErrors + r.statusErrors + r.timeouts} |`).join('\n')}

Median **${t.medianRequestsPerSecond} requests/s** (min ${t.minRequestsPerSecond}, max ${t.maxRequestsPerSecond}); target ≥ 5,000/s.
Emulator CPU ${t.emulatorCpuMicrosPerRequest} µs per request; load average after: ${t.loadAverage.join(' ')}.

## 1,000 concurrent streams (gemini-2.5-flash, default profile, speed 1, real @google/genai client)

${s.streams - s.errors}/${s.streams} streams complete, **${s.errors} errors**, ${s.chunks} chunks in ${s.wallSeconds} s; peak ${s.peakInFlight} generations in flight and ${s.peakOpenConnections} connections open at once (${s.connectionsAccepted} accepted in all).

## Wall-clock calibration at speed 1 (${c.model}, ${c.samples} streams, ${c.concurrency} concurrent)

Expected values include the profile's load slowdown at this concurrency (×${c.loadSlowdownFactor}). Reported, not asserted.

| quantity | profile median / p95 | expected under load | drawn for these requests | measured | vs profile | vs drawn |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${c.rows.map((r) => `| ${r.quantity} (${r.unit}) | ${r.profile.median} / ${r.profile.p95} | ${r.expectedUnderLoad.median} / ${r.expectedUnderLoad.p95} | ${r.drawn.median} / ${r.drawn.p95} | ${r.measured.median} / ${r.measured.p95} | ${r.errorPercent.median}% / ${r.errorPercent.p95}% | ${r.errorVsDrawnPercent.median}% / ${r.errorVsDrawnPercent.p95}% |`).join('\n')}

"vs profile" includes the sampling error of ${c.samples} draws; "vs drawn" compares with the latency the emulator drew for
the same requests (its \`x-emulator-timing\` header), so it isolates wall-clock fidelity. Time to first chunk
beyond the drawn value (client, loopback, timers): median ${c.ttftOverheadMs.median} ms, p95 ${c.ttftOverheadMs.p95} ms.
`;
}

async function main(): Promise<void> {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt >= 0) {
    await serve(process.argv[serveAt + 1] ?? '{}');
    return;
  }
  try {
    await run('wrk', ['-v']).catch((error: { code?: string; stdout?: string }) => {
      // `wrk -v` exits 1 after printing its version; only a missing binary is a problem.
      if (error.code === 'ENOENT')
        throw new Error('wrk is not installed (Debian: apt-get install wrk)');
    });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'emulator-bench-'));
  try {
    const results = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      node: process.version,
      quick,
      throughput: await throughput(dir),
      streams: await concurrentStreams(),
      calibration: await calibration(),
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(join(RESULTS, 'emulator.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(RESULTS, 'emulator.md'), markdown(results));
    say(`\nwrote ${join(RESULTS, 'emulator.json')} and emulator.md`);
    say(
      `summary: ${results.throughput.medianRequestsPerSecond} req/s (median), ${results.streams.errors} errors in ${results.streams.streams} concurrent streams, calibration ${results.calibration.rows.map((r) => `${r.quantity} ${r.errorPercent.median}%/${r.errorPercent.p95}%`).join(', ')}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
