/**
 * Scale benchmark of the throughput lane's job runner (issue 8, scenario 3), run with the Node 24
 * toolchain after `pnpm build`. A bench, not part of CI:
 *
 *   node test/bench/job-scale.ts                  1,000,000 lines per contender (7-9 min each, so
 *                                                 about 40 min for the five default contenders)
 *   node test/bench/job-scale.ts --lines 300000   a smaller job (`--quick` is 50,000 lines)
 *   node test/bench/job-scale.ts --flags "--max-semi-space-size=16" --flags "..."
 *                                                 only these Node flags (repeatable; "" is none)
 *   node test/bench/job-scale.ts --rounds 3       each contender 3 times, alternating; medians
 *
 * Streams an N-line JSONL job (one short classification prompt per line) into a temp dir once,
 * then runs it through `lane.run(file, { output })` with the lane's defaults (adaptive
 * concurrency, checkpoint beside the output, fsync on) against an emulator child with no
 * latency (profile `zero`) and a quota far above what the job can use (the lane's limiter is
 * configured with the same quota, so every call still goes through it).
 *
 * Each contender is the same job in a Node process of its own (support/job-scale-child.ts)
 * started with the Node heap flags under test: none (V8's own sizing), then capped young and
 * old generations. The child samples its RSS every 100 ms and reads its `maxRSS` (its own
 * high-water mark, so neither this process nor the emulator is counted); lines per second and
 * RSS are reported side by side. After each run the output is stream-read here: exactly N
 * lines, each with a response, ids unique and all present (a bitmap, so checking costs no
 * memory to speak of), then deleted with its checkpoint. Temp files are deleted at the end
 * (also on Ctrl-C). Results go to test/bench/results/job-scale.json and .md
 * (job-scale-<lines>.* for another size; job-scale.diagnostic[-<lines>].* with --flags).
 *
 * Diagnostics: a contender with `--expose-gc` forces a full GC every 10 s and records the live
 * heap after it (whether memory grows with the job or only garbage waits for the collector);
 * its RSS figures are not comparable with a plain run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { distFingerprint } from './support/build-fingerprint.ts';
import { emulatorStats } from './support/emulator-client.ts';
import { startEmulatorProcess } from './support/emulator-process.ts';
import { onInterrupt, stoppedOnInterrupt } from './support/interrupt.ts';
import type { ChildJob, ChildResult } from './support/job-scale-child.ts';
import { benchTempDir } from './support/temp-dir.ts';

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const LINES = argv.includes('--quick') ? 50_000 : Number(option('--lines') ?? 1_000_000);
if (!(Number.isSafeInteger(LINES) && LINES > 0)) {
  throw new Error(`--lines must be a positive integer (got ${option('--lines')})`);
}
const ROUNDS = Number(option('--rounds') ?? 1);
if (!(Number.isSafeInteger(ROUNDS) && ROUNDS > 0)) {
  throw new Error(`--rounds must be a positive integer (got ${option('--rounds')})`);
}
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const CHILD = fileURLToPath(new URL('./support/job-scale-child.ts', import.meta.url));
const MODEL = 'gemini-2.5-flash';
const API_KEY = 'bench-key';
const TARGET_RSS_MB = 256;
/** Far above what the job can use: the limiter is exercised, never binding. */
const QUOTA = { rpm: 100_000_000, inputTpm: 100_000_000_000, rpd: 1_000_000_000 };

/**
 * The heap settings compared by default: V8's own sizing (on a large host it lets the young
 * generation grow to 2 × 64 MB and old space fill to about 4-5 times the live heap before a
 * full GC), a smaller young generation, and both generations capped.
 */
const DEFAULT_CONTENDERS: string[][] = [
  [],
  ['--max-semi-space-size=16'],
  ['--max-semi-space-size=16', '--max-old-space-size=256'],
  ['--max-semi-space-size=16', '--max-old-space-size=128'],
  ['--max-semi-space-size=8', '--max-old-space-size=128'],
];
const customFlags = argv.flatMap((a, i) => (a === '--flags' ? [argv[i + 1] ?? ''] : []));
const CONTENDERS =
  customFlags.length > 0
    ? customFlags.map((f) => f.split(/\s+/).filter((x) => x.length > 0))
    : DEFAULT_CONTENDERS;

const MB = 1024 * 1024;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (n: number) => n.toLocaleString('en');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const flagsName = (flags: string[]) =>
  flags.length === 0 ? 'none (V8 defaults)' : flags.join(' ');

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

const exact = (c: Check, lines: number) =>
  c.lines === lines &&
  c.withResponse === lines &&
  c.duplicateIds === 0 &&
  c.missingIds === 0 &&
  c.unknownIds === 0;

/** One contender's run, as measured by its child process and checked here. */
interface Run {
  round: number;
  nodeFlags: string[];
  loadAverageBefore: number[];
  jobSeconds: number;
  linesPerSecond: number;
  rss: { peakMB: number; p50MB: number; atStartMB: number; atEndMB: number; maxRssMB: number };
  heapTotalPeakMB: number;
  heapUsedPeakMB: number;
  liveHeapMB?: number[];
  gc: ChildResult['gc'];
  summary: ChildResult['summary'];
  outputMB: number;
  check: Check;
  upstreamRequests: number;
  concurrencyLimitAtEnd: number;
  ok: boolean;
}

/** A contender's medians over its rounds. */
interface Contender {
  nodeFlags: string[];
  rounds: number;
  linesPerSecond: number;
  jobSeconds: number;
  peakRssMB: number;
  maxRssMB: number;
  atStartRssMB: number;
  heapTotalPeakMB: number;
  heapUsedPeakMB: number;
  gc: ChildResult['gc'];
  /** Lines per second relative to the first contender (V8 defaults in the default sweep). */
  speedRatio: number;
  rssOk: boolean;
  outputOk: boolean;
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
  rounds: number;
  inputMB: number;
  targetRssMB: number;
  contenders: Contender[];
  runs: Run[];
  ok: boolean;
}

/** Runs the job once in a child started with `flags`. */
async function runChild(flags: string[], job: ChildJob): Promise<ChildResult> {
  const child = spawn(process.execPath, [...flags, CHILD, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const unregister = onInterrupt(() => child.kill('SIGKILL'));
  let result: ChildResult | undefined;
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length));
    else say(line);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  unregister();
  if (code !== 0 || result === undefined) {
    throw new Error(`the job child (${flagsName(flags)}) exited with ${code} and no result`);
  }
  return result;
}

function markdown(r: Results): string {
  const rows = r.contenders
    .map(
      (c) =>
        `| ${c.nodeFlags.length === 0 ? 'none (V8 defaults)' : c.nodeFlags.map((f) => `\`${f}\``).join(' ')} | ${fmt(c.linesPerSecond)} | ${c.speedRatio.toFixed(2)} | **${c.peakRssMB}** | ${c.maxRssMB} | ${c.atStartRssMB} | ${c.heapTotalPeakMB} / ${c.heapUsedPeakMB} | ${fmt(c.gc.minor)} / ${fmt(c.gc.major)} / ${fmt(c.gc.pauseMs)} | ${c.outputOk ? 'exact' : '**not exact**'} | ${c.rssOk ? 'met' : '**missed**'} |`,
    )
    .join('\n');
  const live = r.runs
    .filter((run) => run.liveHeapMB)
    .map(
      (run) =>
        `\nLive heap after a forced GC every 10 s (\`${flagsName(run.nodeFlags)}\`): ${run.liveHeapMB?.join(', ')} MB.\n`,
    )
    .join('');
  return `# Job scale benchmark

\`${r.command}\` on ${r.machine} (Node ${r.node}), ${r.date}; lanes build \`${r.lanesBuild}\`.
${fmt(r.lines)} lines (input ${fmt(r.inputMB)} MB) per run, ${r.rounds === 1 ? 'one run per contender' : `${r.rounds} rounds, contenders alternating; medians`}. Each run is the job in a Node process of its own, started with the flags shown; RSS is that process's alone. Emulator in its own process on 127.0.0.1 (profile \`zero\`, quota far above use); load average before / after: ${r.loadAverage.before.join(' ')} / ${r.loadAverage.after.join(' ')}.

| Node heap flags | lines/s | × speed | peak RSS MB (sampled every 100 ms) | \`maxRSS\` MB | RSS at start MB | peak heap total / used MB | GCs minor / major / pause ms | output | peak RSS < ${r.targetRssMB} MB |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
${rows}
${live}
Output checked after every run: exactly one line per input id, each with a response (0 duplicate, 0 missing, 0 unknown ids).${r.ok ? '' : ' **At least one run failed this check: see the JSON.**'}
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
    say(
      `job scale: ${fmt(LINES)} lines, ${CONTENDERS.length} contenders × ${ROUNDS} rounds (load ${before.join(' ')})`,
    );
    const inputBytes = await writeInput(input, LINES);
    say(`  input written: ${round(inputBytes / MB)} MB`);
    const job: ChildJob = {
      url: server.url,
      input,
      output,
      model: MODEL,
      apiKey: API_KEY,
      quota: QUOTA,
    };
    const runs: Run[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      for (const flags of CONTENDERS) {
        await rm(output, { force: true });
        await rm(`${output}.ckpt`, { force: true });
        const loadAverageBefore = loadavg().map((l) => round(l, 2));
        say(`round ${r}, Node flags: ${flagsName(flags)} (load ${loadAverageBefore.join(' ')})`);
        const requestsBefore = await upstreamRequests(server.url);
        const child = await runChild(flags, job);
        const requests = (await upstreamRequests(server.url)) - requestsBefore;
        const check = await checkOutput(output, LINES);
        const rss = child.rssSamples;
        const sorted = [...rss].sort((a, b) => a - b);
        const run: Run = {
          round: r,
          nodeFlags: flags,
          loadAverageBefore,
          jobSeconds: round(child.jobSeconds),
          linesPerSecond: Math.round(LINES / child.jobSeconds),
          rss: {
            peakMB: round((sorted.at(-1) ?? 0) / MB),
            p50MB: round(median(rss) / MB),
            atStartMB: round((rss[0] ?? 0) / MB),
            atEndMB: round((rss.at(-1) ?? 0) / MB),
            maxRssMB: round(child.maxRssBytes / MB),
          },
          heapTotalPeakMB: round(child.heapTotalPeakBytes / MB),
          heapUsedPeakMB: round(child.heapUsedPeakBytes / MB),
          ...(child.liveHeapMB ? { liveHeapMB: child.liveHeapMB } : {}),
          gc: child.gc,
          summary: child.summary,
          outputMB: round((await stat(output)).size / MB),
          check,
          upstreamRequests: requests,
          concurrencyLimitAtEnd: child.concurrencyLimitAtEnd,
          ok: exact(check, LINES),
        };
        runs.push(run);
        say(
          `  ${fmt(run.linesPerSecond)} lines/s, peak RSS ${run.rss.peakMB} MB (maxRSS ${run.rss.maxRssMB}, at start ${run.rss.atStartMB}), GCs ${run.gc.minor} minor / ${run.gc.major} major, output ${run.ok ? 'exact' : 'NOT EXACT'}`,
        );
      }
    }
    const contenders = CONTENDERS.map((flags): Contender => {
      const mine = runs.filter((run) => run.nodeFlags === flags);
      const peakRssMB = round(median(mine.map((m) => m.rss.peakMB)));
      const maxRssMB = round(median(mine.map((m) => m.rss.maxRssMB)));
      return {
        nodeFlags: flags,
        rounds: mine.length,
        linesPerSecond: Math.round(median(mine.map((m) => m.linesPerSecond))),
        jobSeconds: round(median(mine.map((m) => m.jobSeconds))),
        peakRssMB,
        maxRssMB,
        atStartRssMB: round(median(mine.map((m) => m.rss.atStartMB))),
        heapTotalPeakMB: round(median(mine.map((m) => m.heapTotalPeakMB))),
        heapUsedPeakMB: round(median(mine.map((m) => m.heapUsedPeakMB))),
        gc: {
          minor: Math.round(median(mine.map((m) => m.gc.minor))),
          major: Math.round(median(mine.map((m) => m.gc.major))),
          pauseMs: Math.round(median(mine.map((m) => m.gc.pauseMs))),
        },
        speedRatio: 1,
        rssOk: Math.max(peakRssMB, maxRssMB) < TARGET_RSS_MB,
        outputOk: mine.every((m) => m.ok),
      };
    });
    const first = contenders[0]?.linesPerSecond ?? 1;
    for (const c of contenders) c.speedRatio = round(c.linesPerSecond / first, 2);
    const results: Results = {
      date: new Date().toISOString(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      node: process.version,
      command:
        `node test/bench/job-scale.ts ${argv.map((a) => (a.includes(' ') || a === '' ? JSON.stringify(a) : a)).join(' ')}`.trim(),
      lanesBuild,
      loadAverage: { before, after: loadavg().map((l) => round(l, 2)) },
      lines: LINES,
      rounds: ROUNDS,
      inputMB: round(inputBytes / MB),
      targetRssMB: TARGET_RSS_MB,
      contenders,
      runs,
      ok: runs.every((run) => run.ok),
    };
    await mkdir(RESULTS, { recursive: true });
    // A smaller job, or chosen flags (a diagnostic), keeps its own files.
    const name = `job-scale${customFlags.length > 0 ? '.diagnostic' : ''}${LINES === 1_000_000 ? '' : `-${LINES}`}`;
    await writeFile(join(RESULTS, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(RESULTS, `${name}.md`), markdown(results));
    say(`\nwrote ${join(RESULTS, `${name}.json`)} and ${name}.md\n`);
    say(markdown(results));
    if (!results.ok) process.exitCode = 1;
  } finally {
    await server.stop();
    await temp.remove();
  }
}

async function upstreamRequests(url: string): Promise<number> {
  return (await emulatorStats(url)).models[MODEL]?.requests ?? 0;
}

await main();
