/**
 * Scale benchmark of the throughput lane's job runner (issue 8, scenario 3), run with the Node 24
 * toolchain after `pnpm build`. A bench, not part of CI:
 *
 *   node test/bench/job-scale.ts                  1,000,000 lines (about ten minutes on 2 cores)
 *   node test/bench/job-scale.ts --lines 50000    a smaller job (`--quick` is the same)
 *
 * Streams an N-line JSONL job (one short classification prompt per line) into a temp dir, then
 * runs it through `lane.run(file, { output })` with the lane's defaults (adaptive concurrency,
 * checkpoint beside the output, fsync on) against an emulator child with no latency (profile
 * `zero`) and a quota far above what the job can use (the lane's limiter is configured with
 * the same quota, so every call still goes through it). While it runs, `rss` is sampled every
 * 100 ms; at the end `maxRSS` from `process.resourceUsage()` (the process's high-water mark,
 * read before the output is checked). The output is then stream-read: exactly N lines, each
 * with a response, ids unique and all present (a bitmap, so checking costs no memory to speak
 * of). Temp files are deleted at the end (also on Ctrl-C). Results go to
 * test/bench/results/job-scale.json and .md (job-scale-<lines>.* for another size).
 *
 * Diagnostics: run with `node --expose-gc` and the job forces a full GC every 10 s and records
 * the live heap after it (whether memory grows with the job or only garbage waits for the
 * collector); RSS figures of such a run are not comparable with a plain run. A run with Node
 * flags (`--expose-gc`, `--max-semi-space-size`, ...) records them and writes
 * job-scale.diagnostic.{json,md} instead.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@gemini-lanes/core';
import { createQuotaLimiter, createThroughputLane } from '@gemini-lanes/lanes';
import { distFingerprint } from './support/build-fingerprint.ts';
import { emulatorStats } from './support/emulator-client.ts';
import { startEmulatorProcess } from './support/emulator-process.ts';
import { stoppedOnInterrupt } from './support/interrupt.ts';
import { benchTempDir } from './support/temp-dir.ts';

const argv = process.argv.slice(2);
const linesArg = argv.indexOf('--lines');
const LINES = argv.includes('--quick')
  ? 50_000
  : linesArg >= 0
    ? Number(argv[linesArg + 1])
    : 1_000_000;
if (!(Number.isSafeInteger(LINES) && LINES > 0)) {
  throw new Error(`--lines must be a positive integer (got ${argv[linesArg + 1]})`);
}
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const MODEL = 'gemini-2.5-flash';
const API_KEY = 'bench-key';
const TARGET_RSS_MB = 256;
/** Far above what the job can use: the limiter is exercised, never binding. */
const QUOTA = { rpm: 100_000_000, inputTpm: 100_000_000_000, rpd: 1_000_000_000 };

const MB = 1024 * 1024;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => n.toLocaleString('en');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const LABELS = ['billing', 'shipping', 'returns', 'account', 'technical', 'other'];

/** Writes the job's input, streaming with backpressure; returns its size in bytes. */
async function writeInput(path: string, lines: number): Promise<number> {
  const out = createWriteStream(path);
  for (let i = 0; i < lines; i++) {
    const line = `${JSON.stringify({
      id: `j${i}`,
      request: {
        model: MODEL,
        contents: `Classify this support ticket as one of ${LABELS.join(', ')}. Ticket ${i}: my order ${(i * 7919) % 100_000} arrived late and the invoice shows the wrong amount.`,
        config: { maxOutputTokens: 8, thinkingConfig: { thinkingBudget: 0 } },
      },
    })}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return (await stat(path)).size;
}

interface Check {
  lines: number;
  withResponse: number;
  errors: Record<string, number>;
  duplicateIds: number;
  unknownIds: number;
  missingIds: number;
}

/** Stream-reads the output: one line per input id, each seen once. */
async function checkOutput(path: string, lines: number): Promise<Check> {
  const seen = new Uint8Array(lines);
  const check: Check = {
    lines: 0,
    withResponse: 0,
    errors: {},
    duplicateIds: 0,
    unknownIds: 0,
    missingIds: 0,
  };
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const text of reader) {
    if (text === '') continue;
    check.lines++;
    const result = JSON.parse(text) as { id: string; response?: unknown; error?: { type: string } };
    const n = /^j(\d+)$/.exec(result.id)?.[1];
    const index = n === undefined ? -1 : Number(n);
    if (index < 0 || index >= lines) check.unknownIds++;
    else if (seen[index] === 1) check.duplicateIds++;
    else seen[index] = 1;
    if (result.response !== undefined) check.withResponse++;
    else if (result.error)
      check.errors[result.error.type] = (check.errors[result.error.type] ?? 0) + 1;
  }
  for (let i = 0; i < lines; i++) if (seen[i] !== 1) check.missingIds++;
  return check;
}

interface Results {
  date: string;
  machine: string;
  node: string;
  command: string;
  /** `distFingerprint('lanes')`: the build of the lanes package that ran. */
  lanesBuild: string;
  loadAverage: { before: number[]; after: number[] };
  lines: number;
  inputMB: number;
  outputMB: number;
  jobSeconds: number;
  linesPerSecond: number;
  rss: { peakMB: number; p50MB: number; atStartMB: number; atEndMB: number; maxRssMB: number };
  heapUsedPeakMB: number;
  /** With `--expose-gc`: heap used right after a forced full GC, every 10 s. */
  liveHeapMB?: number[];
  nodeFlags: string[];
  summary: { done: number; failed: number; written: number };
  check: Check;
  upstreamRequests: number;
  concurrencyLimitAtEnd: number;
  targetRssMB: number;
  ok: boolean;
}

function markdown(r: Results): string {
  const rssOk = r.rss.peakMB < TARGET_RSS_MB && r.rss.maxRssMB < TARGET_RSS_MB;
  const outputOk =
    r.check.lines === r.lines &&
    r.check.duplicateIds === 0 &&
    r.check.missingIds === 0 &&
    r.check.unknownIds === 0;
  return `# Job scale benchmark

\`${r.command}\` on ${r.machine} (Node ${r.node}), ${r.date}; lanes build \`${r.lanesBuild}\`.
Emulator in its own process on 127.0.0.1 (profile \`zero\`, quota far above use); load average before / after: ${r.loadAverage.before.join(' ')} / ${r.loadAverage.after.join(' ')}.

| measure | value | target |
| --- | ---: | --- |
| lines | ${fmt(r.lines)} (input ${fmt(r.inputMB)} MB, output ${fmt(r.outputMB)} MB) | |
| job wall time | ${fmt(r.jobSeconds)} s | |
| lines per second | ${fmt(r.linesPerSecond)} | |
| peak RSS, sampled every 100 ms | **${r.rss.peakMB} MB** (median ${r.rss.p50MB}, at start ${r.rss.atStartMB}, at end ${r.rss.atEndMB}) | < ${TARGET_RSS_MB} MB: ${rssOk ? 'met' : '**missed**'} |
| \`maxRSS\` (\`process.resourceUsage()\`, whole process) | ${r.rss.maxRssMB} MB | |
| peak heap used | ${r.heapUsedPeakMB} MB | |${r.liveHeapMB ? `\n| live heap after a forced GC, every 10 s | ${r.liveHeapMB.join(', ')} MB | |` : ''}
| output lines / with a response / errors | ${fmt(r.check.lines)} / ${fmt(r.check.withResponse)} / ${JSON.stringify(r.check.errors)} | exactly ${fmt(r.lines)}: ${outputOk ? 'met' : '**missed**'} |
| duplicate / missing / unknown ids | ${r.check.duplicateIds} / ${r.check.missingIds} / ${r.check.unknownIds} | 0 / 0 / 0 |
| upstream requests (emulator counter) | ${fmt(r.upstreamRequests)} | |
| lane concurrency limit at the end | ${r.concurrencyLimitAtEnd} | |
`;
}

async function main(): Promise<void> {
  // Read as soon as the modules are loaded: the packages may be rebuilt while the run goes on.
  const lanesBuild = await distFingerprint('lanes');
  const before = loadavg().map((l) => round(l, 2));
  const temp = await benchTempDir('bench-job-scale-');
  const dir = temp.path;
  const input = join(dir, 'input.jsonl');
  const output = join(dir, 'output.jsonl');
  const server = stoppedOnInterrupt(
    await startEmulatorProcess({
      profile: 'zero',
      seed: 12,
      quota: { [MODEL]: QUOTA },
    }),
  );
  try {
    say(`job scale: ${fmt(LINES)} lines (load ${before.join(' ')})`);
    const inputBytes = await writeInput(input, LINES);
    say(`  input written: ${round(inputBytes / MB)} MB`);
    const config = defineConfig({
      quota: { models: { [MODEL]: QUOTA }, latencyReservedShare: 0 },
      lanes: { throughput: { models: [MODEL] } },
    });
    const quota = createQuotaLimiter(config.quota);
    const lane = createThroughputLane(config.lanes.throughput, {
      apiKey: API_KEY,
      baseUrl: server.url,
      quota,
    });
    const requestsBefore = await upstreamRequests(server.url);
    const rss: number[] = [];
    let heapPeak = 0;
    const sample = () => {
      const m = process.memoryUsage();
      rss.push(m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    };
    sample();
    const sampler = setInterval(sample, 100);
    const gc = (globalThis as { gc?: () => void }).gc;
    const liveHeap: number[] = [];
    const probe = gc
      ? setInterval(() => {
          gc();
          liveHeap.push(round(process.memoryUsage().heapUsed / MB));
        }, 10_000)
      : undefined;
    const started = performance.now();
    const job = lane.run(input, { output });
    const progress = setInterval(() => {
      const p = job.progress();
      const seconds = (performance.now() - started) / 1000;
      say(
        `  ${fmt(p.done)} done (${p.failed} failed), ${fmt(Math.round(p.done / seconds))} lines/s, rss ${round((rss.at(-1) ?? 0) / MB)} MB, peak ${round(Math.max(...rss) / MB)} MB, limit ${lane.stats().limit}`,
      );
    }, 10_000);
    let summary: Awaited<typeof job.done>;
    try {
      summary = await job.done;
    } finally {
      clearInterval(progress);
      clearInterval(sampler);
      clearInterval(probe);
    }
    sample();
    const jobSeconds = (performance.now() - started) / 1000;
    const maxRssMB = round((process.resourceUsage().maxRSS * 1024) / MB);
    const limitAtEnd = lane.stats().limit;
    await lane.close();
    await quota.close();
    const requests = (await upstreamRequests(server.url)) - requestsBefore;
    say(`  job done in ${round(jobSeconds)} s; checking the output`);
    const check = await checkOutput(output, LINES);
    const sorted = [...rss].sort((a, b) => a - b);
    const results: Results = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      node: process.version,
      command: `node ${process.execArgv.map((f) => `${f} `).join('')}test/bench/job-scale.ts --lines ${LINES}`,
      lanesBuild,
      loadAverage: { before, after: loadavg().map((l) => round(l, 2)) },
      lines: LINES,
      inputMB: round(inputBytes / MB),
      outputMB: round((await stat(output)).size / MB),
      jobSeconds: round(jobSeconds),
      linesPerSecond: Math.round(LINES / jobSeconds),
      rss: {
        peakMB: round((sorted.at(-1) ?? 0) / MB),
        p50MB: round((sorted[Math.floor(sorted.length / 2)] ?? 0) / MB),
        atStartMB: round((rss[0] ?? 0) / MB),
        atEndMB: round((rss.at(-1) ?? 0) / MB),
        maxRssMB,
      },
      heapUsedPeakMB: round(heapPeak / MB),
      ...(gc ? { liveHeapMB: liveHeap } : {}),
      nodeFlags: process.execArgv,
      summary: { done: summary.done, failed: summary.failed, written: summary.written },
      check,
      upstreamRequests: requests,
      concurrencyLimitAtEnd: limitAtEnd,
      targetRssMB: TARGET_RSS_MB,
      ok:
        check.lines === LINES &&
        check.duplicateIds === 0 &&
        check.missingIds === 0 &&
        check.unknownIds === 0,
    };
    await mkdir(RESULTS, { recursive: true });
    // A smaller job, or one with Node flags (a diagnostic), keeps its own files.
    const name =
      process.execArgv.length > 0
        ? 'job-scale.diagnostic'
        : LINES === 1_000_000
          ? 'job-scale'
          : `job-scale-${LINES}`;
    await writeFile(join(RESULTS, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(RESULTS, `${name}.md`), markdown(results));
    say(`\nwrote ${join(RESULTS, `${name}.json`)} and ${name}.md\n`);
    say(markdown(results));
  } finally {
    await server.stop();
    await temp.remove();
  }
}

async function upstreamRequests(url: string): Promise<number> {
  return (await emulatorStats(url)).models[MODEL]?.requests ?? 0;
}

await main();
