/**
 * Benchmark of the throughput lane (issue 8), run with the Node 24 toolchain after `pnpm build`:
 *
 *   node test/bench/throughput-lane.ts            full run (about twelve minutes)
 *   node test/bench/throughput-lane.ts --quick    one round, caps 16 and 32, shorter runs (< 60 s)
 *   ... --only=<contender>[;<contender>]           only these contenders (for exploring)
 *   ... --speed=<n>                                another emulator speed (default 60)
 *
 * The emulator runs in a child process (support/emulator-process.ts) on 127.0.0.1 only, is read
 * from outside through its own counters (`/emulator/stats`, support/emulator-client.ts) and has
 * its quota reset between contenders through its control route (`quota.reset`), so one
 * contender's debt never hits the next. Contenders side by side in one run, in a seeded shuffled
 * order every round, after a warm-up; medians over rounds.
 *
 * 1. Input TPM against the quota ceiling. One model (`gemini-2.5-flash`) with the paid tier-1
 *    quota (1,000 RPM, 1,000,000 input TPM, 10,000 RPD), the realistic latency profile
 *    (`default`: thinking on, time to first token, decode rate), the emulator at speed 60 (its
 *    minute is one real second; every latency and quota window scaled alike). A fixed backlog
 *    of summarisation prompts, log-normal sizes (median 3,000 tokens, p95 10,000), eight minutes
 *    of quota, so input TPM binds long before RPM. Contenders:
 *      - the lane's job runner, `lane.run(file.jsonl, { output })`, and `Promise.all` over
 *        `lane.generateContent` (the lane's defaults, its quota limiter configured with the
 *        emulator's own quota and no latency-lane reserve, as no latency lane runs here);
 *      - the same job with the concurrency pinned at 64 (not a default: the quota limiter alone
 *        then paces the lane);
 *      - `Promise.all` with `p-limit` over a plain `GoogleGenAI`, cap swept, no retries (a
 *        failed request is lost);
 *      - the same with the retry loop a careful user writes: on 429 or 5xx, wait what the
 *        error's `RetryInfo.retryDelay` says (else full-jitter backoff), up to 6 attempts;
 *      - the SDK's own retries, `httpOptions.retryOptions` (its defaults: 5 attempts, 1 s
 *        initial delay doubling to 60 s, randomised), with p-limit, cap swept.
 *    Every delay a contender configures (the SDK's retry delays, the hand-written loop's
 *    backoff, the lane's `retry.baseDelayMs`/`maxDelayMs`, the lane's clock that paces its
 *    concurrency cooldown and retry budget, its quota limiter's clock and sleep) is divided by
 *    the same speed, so it lives in the emulator's time as it would against the real API;
 *    `RetryInfo` delays come from the emulator in real time already. Measured per run, from the
 *    emulator's counters (sampled every 20 ms): input tokens it accepted over the steady state
 *    (emulated minutes 3 to 7, after the adaptive limit's ramp and before the backlog can run
 *    dry) as a fraction of the 1,000,000 ceiling (and per emulated minute, in the JSON); 429s as
 *    a share of upstream requests; requests lost (failed for good) and unfinished when the run's deadline
 *    (11 emulated minutes) stopped it; wall time. The best cap of each baseline is the highest
 *    steady-state fraction among caps that lose at most 1 % of the backlog.
 * 2. Embedding micro-batching: N (1,000 and 5,000) concurrent `lane.embedContent` calls of one
 *    text each (768 dimensions) against the same N calls as their own `models.embedContent` on a
 *    plain client, the emulator at speed 1 with the built-in `gemini-embedding-001` quota (3,000
 *    RPM): answered calls per second, upstream requests (emulator counter), share of the RPM
 *    quota used, client CPU per call; 5 alternating rounds (2 in --quick, 1,000 calls only).
 *
 * Targets are reported, not asserted. Results go to test/bench/results/throughput-lane.json and
 * .md (throughput-lane.quick.* for --quick, throughput-lane.explore.* with --only or --speed).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@gemini-lanes/core';
import type { EmulatorStats } from '@gemini-lanes/emulator';
import {
  createQuotaLimiter,
  createThroughputLane,
  type JobResult,
  type ThroughputLane,
} from '@gemini-lanes/lanes';
import { type GenerateContentParameters, GoogleGenAI } from '@google/genai';
import pLimit from 'p-limit';
import { distFingerprint } from './support/build-fingerprint.ts';
import {
  controlEmulator,
  emulatorStats,
  type ModelSample,
  sampleEmulator,
} from './support/emulator-client.ts';
import { startEmulatorProcess } from './support/emulator-process.ts';
import { stoppedOnInterrupt } from './support/interrupt.ts';
import { seeded } from './support/seeded.ts';
import { benchTempDir } from './support/temp-dir.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
/** `--only=a;b`: run only these contenders (names as in the table); for exploring. */
const only = argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(';');
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const API_KEY = 'bench-key';
const MODEL = 'gemini-2.5-flash';
const EMBED_MODEL = 'gemini-embedding-001';

/** The paid tier-1 quota of gemini-2.5-flash: the emulator's and the lane's. */
const QUOTA = { rpm: 1000, inputTpm: 1_000_000, rpd: 10_000 };
/** Emulated ms per real ms: the emulator's minute is one real second (`--speed=N` to explore). */
const SPEED = Number(argv.find((a) => a.startsWith('--speed='))?.slice('--speed='.length) ?? 60);
if (!(SPEED > 0)) throw new Error(`--speed must be a number > 0 (got ${SPEED})`);
const MINUTE_REAL_MS = 60_000 / SPEED;
/**
 * The steady state measured: emulated minutes FIRST .. FIRST + M, after the adaptive
 * concurrency's ramp from its initial limit and before the backlog can run dry.
 */
const FIRST_MEASURED_MINUTE = quick ? 2 : 3;
const MEASURED_MINUTES = quick ? 2 : 4;
/** Backlog size in minutes of quota: the ramp, the steady state and one to spare. */
const BACKLOG_MINUTES = FIRST_MEASURED_MINUTE + MEASURED_MINUTES + 1;
/** A run stops (aborting what is left) this many emulated minutes after it started. */
const DEADLINE_MINUTES = BACKLOG_MINUTES + (quick ? 1 : 3);
const ROUNDS = quick ? 1 : 3;
const CAPS = quick ? [16, 32] : [2, 4, 8, 16, 32, 64];
const USER_MAX_ATTEMPTS = 6;
const TARGET_FRACTION = 0.95;
const TARGET_429_SHARE = 0.01;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
const median = (values: readonly number[]) => quantile(values, 0.5);
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const pct = (x: number, digits = 1) => `${round(100 * x, digits)} %`;
const loadAverage = () => loadavg().map((l) => round(l, 2));

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

// ---------------------------------------------------------------------------------------------
// The backlog: summarisation prompts of realistic sizes

const WORDS =
  'the quarterly report shows revenue growth across regions while operating costs rose modestly and the board approved new investment in data infrastructure customer support and research pipelines'.split(
    ' ',
  );

/** A deterministic text of exactly `chars` characters. */
function filler(chars: number, random: () => number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const word = WORDS[Math.floor(random() * WORDS.length)] ?? 'data';
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, chars);
}

interface Backlog {
  requests: GenerateContentParameters[];
  /** Input tokens as the emulator counts them (characters / 4, rounded up). */
  tokens: number[];
  totalTokens: number;
}

const PROMPT_HEAD = 'Summarise the following document in five bullet points.\n\n';

/** Prompts of log-normal size (median 3,000 tokens, p95 10,000), totalling `minutes` of quota. */
function buildBacklog(minutes: number, seed: number): Backlog {
  const random = seeded(seed);
  const sigma = Math.log(10_000 / 3_000) / 1.645;
  const requests: GenerateContentParameters[] = [];
  const tokens: number[] = [];
  let totalTokens = 0;
  while (totalTokens < minutes * QUOTA.inputTpm) {
    const target = Math.round(
      Math.min(32_000, Math.max(300, 3_000 * Math.exp(sigma * normal(random)))),
    );
    const text = PROMPT_HEAD + filler(target * 4 - PROMPT_HEAD.length, random);
    const count = Math.ceil(text.length / 4);
    requests.push({ model: MODEL, contents: text });
    tokens.push(count);
    totalTokens += count;
  }
  return { requests, tokens, totalTokens };
}

// ---------------------------------------------------------------------------------------------
// Contenders

interface Outcome {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** The lane's concurrency limit, read every emulated minute (lane contenders only). */
  laneLimits?: number[];
  /** Lost items by the attempts they had (`run()` only): below the maximum means the retry budget ran out. */
  lostByAttempts?: Record<string, number>;
}

type ContenderKind = 'lane-run' | 'lane-generate' | 'plimit' | 'plimit-retry' | 'sdk-retry';

interface Contender {
  name: string;
  kind: ContenderKind;
  /** p-limit's cap; for the lane, a concurrency pinned at this value (min = initial = max). */
  cap?: number;
}

function errorKey(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return String(status);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'error';
}

function countErrors(into: Record<string, number>, error: unknown): void {
  const key = errorKey(error);
  into[key] = (into[key] ?? 0) + 1;
}

/** The emulated clock the lane and its quota limiter run on. */
const scaledClock = { now: () => performance.now() * SPEED };

function laneFor(
  url: string,
  pinned: number | undefined,
): { lane: ThroughputLane; close(): Promise<void> } {
  const config = defineConfig({
    // The lane's quota is the emulator's; no share reserved for a latency lane, which this
    // benchmark does not run (with the default 0.2 the lane would stop at 80 % by design).
    quota: { models: { [MODEL]: QUOTA }, latencyReservedShare: 0 },
    lanes: {
      throughput: {
        models: [MODEL],
        // The default adaptive concurrency, unless pinned (the quota limiter alone then paces).
        ...(pinned ? { concurrency: { min: pinned, initial: pinned, max: pinned } } : {}),
        // The defaults (500 ms, 60 s) in emulated time.
        retry: { baseDelayMs: 500 / SPEED, maxDelayMs: 60_000 / SPEED },
      },
    },
  });
  const quota = createQuotaLimiter(config.quota, {
    clock: scaledClock,
    sleep: (ms, signal) => sleep(ms / SPEED, undefined, signal ? { signal } : {}),
  });
  const lane = createThroughputLane(config.lanes.throughput, {
    apiKey: API_KEY,
    baseUrl: url,
    quota,
    clock: scaledClock,
  });
  return {
    lane,
    close: async () => {
      await lane.close();
      await quota.close();
    },
  };
}

/** `RetryInfo.retryDelay` in ms from an `ApiError` (its message carries the JSON body). */
function retryInfoMs(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : '';
  const match = /"retryDelay":\s*"([\d.]+)s"/.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1000;
}

/** The loop a careful user writes around one call: honour RetryInfo, else back off, 6 attempts. */
async function withRetries<T>(
  call: () => Promise<T>,
  signal: AbortSignal,
  random: () => number,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const retryable = status === 429 || (typeof status === 'number' && status >= 500);
      if (!retryable || attempt >= USER_MAX_ATTEMPTS || signal.aborted) throw error;
      const base = 1000 / SPEED;
      const backoff = random() * Math.min(60_000 / SPEED, base * 2 ** (attempt - 1));
      const hinted = retryInfoMs(error);
      await sleep(hinted === undefined ? backoff : hinted + random() * base, undefined, {
        signal,
      });
    }
  }
}

/** A call the deadline stopped: unfinished, not lost. */
function stoppedByDeadline(error: unknown, signal: AbortSignal): boolean {
  const name = (error as { name?: unknown }).name;
  return error === signal.reason || name === 'AbortError';
}

interface Workspace {
  dir: string;
  input: string;
  runs: number;
}

async function runContender(
  contender: Contender,
  url: string,
  backlog: Backlog,
  workspace: Workspace,
  signal: AbortSignal,
): Promise<Outcome> {
  const outcome: Outcome = { ok: 0, failed: 0, errors: {} };
  const settle = (settled: PromiseSettledResult<unknown>[]) => {
    for (const s of settled) {
      if (s.status === 'fulfilled') outcome.ok++;
      else if (!(signal.aborted && stoppedByDeadline(s.reason, signal))) {
        outcome.failed++;
        countErrors(outcome.errors, s.reason);
      }
    }
  };
  if (contender.kind === 'lane-run' || contender.kind === 'lane-generate') {
    const { lane, close } = laneFor(url, contender.cap);
    const limits: number[] = [lane.stats().limit];
    outcome.laneLimits = limits;
    const watch = setInterval(() => limits.push(lane.stats().limit), MINUTE_REAL_MS);
    try {
      if (contender.kind === 'lane-run') {
        const output = join(workspace.dir, `out-${workspace.runs++}.jsonl`);
        const job = lane.run(workspace.input, { output, overwrite: true, signal });
        job.on('result', (result: JobResult) => {
          if (result.error === undefined) outcome.ok++;
          else {
            outcome.failed++;
            const key = result.error.status ? String(result.error.status) : result.error.type;
            outcome.errors[key] = (outcome.errors[key] ?? 0) + 1;
            outcome.lostByAttempts ??= {};
            const n = String(result.attempts);
            outcome.lostByAttempts[n] = (outcome.lostByAttempts[n] ?? 0) + 1;
          }
        });
        await job.done.catch((error: unknown) => {
          if (!signal.aborted) throw error;
        });
        await rm(output, { force: true });
        await rm(`${output}.ckpt`, { force: true });
      } else {
        settle(
          await Promise.allSettled(
            backlog.requests.map((request) => lane.generateContent(request, { signal })),
          ),
        );
      }
    } finally {
      clearInterval(watch);
      await close();
    }
    return outcome;
  }
  const cap = contender.cap ?? 1;
  const ai = new GoogleGenAI({
    apiKey: API_KEY,
    httpOptions: {
      baseUrl: url,
      // The SDK's defaults (5 attempts, 1 s doubling to 60 s), in emulated time.
      ...(contender.kind === 'sdk-retry'
        ? { retryOptions: { attempts: 5, initialDelay: 1 / SPEED, maxDelay: 60 / SPEED } }
        : {}),
    },
  });
  // `rejectOnClear`: calls still queued at the deadline reject (with an AbortError) instead of
  // never settling.
  const limit = pLimit({ concurrency: cap, rejectOnClear: true });
  const onAbort = () => limit.clearQueue();
  signal.addEventListener('abort', onAbort, { once: true });
  const random = seeded(7);
  const send = (request: GenerateContentParameters) =>
    ai.models.generateContent({
      ...request,
      config: { ...request.config, abortSignal: signal },
    });
  try {
    settle(
      await Promise.allSettled(
        backlog.requests.map((request) =>
          limit(() =>
            contender.kind === 'plimit-retry'
              ? withRetries(() => send(request), signal, random)
              : send(request),
          ),
        ),
      ),
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// One run of one contender, measured from the emulator's counters

interface RunResult {
  contender: string;
  round: number;
  wallMs: number;
  /** Accepted input tokens per emulated minute over the measured minutes, over the quota. */
  fraction: number;
  /** The same per emulated minute, from minute 0 until the run ended. */
  perMinute: number[];
  /** 429s served in each emulated minute of the run. */
  rateLimitedPerMinute: number[];
  /** Highest reading of the emulator's sliding-minute input tokens, over the quota. */
  peakWindow: number;
  upstreamRequests: number;
  rateLimited: number;
  share429: number;
  ok: number;
  /** Failed for good: the caller got an error. */
  lost: number;
  /** Neither answered nor failed when the deadline stopped the run. */
  unfinished: number;
  errors: Record<string, number>;
  laneLimits?: number[];
  lostByAttempts?: Record<string, number>;
}

/** A cumulative counter at real time `atMs`, linearly interpolated between readings. */
function counterAt(
  samples: readonly ModelSample[],
  atMs: number,
  field: 'inputTokens' | 'rateLimited' = 'inputTokens',
): number {
  let previous: ModelSample | undefined;
  for (const s of samples) {
    if (s.atMs >= atMs) {
      if (previous === undefined) return s[field];
      const f = (atMs - previous.atMs) / (s.atMs - previous.atMs);
      return previous[field] + f * (s[field] - previous[field]);
    }
    previous = s;
  }
  return previous?.[field] ?? 0;
}

function modelRequests(stats: EmulatorStats): number {
  return stats.models[MODEL]?.requests ?? 0;
}

async function measure(
  contender: Contender,
  roundIndex: number,
  url: string,
  backlog: Backlog,
  workspace: Workspace,
): Promise<RunResult> {
  await controlEmulator(url, { quota: { reset: true } });
  const before = await emulatorStats(url);
  const sampler = sampleEmulator(url, MODEL, 20);
  const controller = new AbortController();
  const started = performance.now();
  const deadline = setTimeout(
    () => controller.abort(new Error('deadline')),
    DEADLINE_MINUTES * MINUTE_REAL_MS,
  );
  let outcome: Outcome;
  try {
    outcome = await runContender(contender, url, backlog, workspace, controller.signal);
  } finally {
    clearTimeout(deadline);
  }
  const wallMs = performance.now() - started;
  // Aborted calls are answered (and counted) by the emulator a moment later.
  await sleep(50);
  const samples = await sampler.stop();
  const after = await emulatorStats(url);
  const perMinute: number[] = [];
  const rateLimitedPerMinute: number[] = [];
  for (let m = 0; (m + 1) * MINUTE_REAL_MS <= wallMs + MINUTE_REAL_MS / 2; m++) {
    const from = started + m * MINUTE_REAL_MS;
    const to = from + MINUTE_REAL_MS;
    perMinute.push(round((counterAt(samples, to) - counterAt(samples, from)) / QUOTA.inputTpm));
    rateLimitedPerMinute.push(
      Math.round(counterAt(samples, to, 'rateLimited') - counterAt(samples, from, 'rateLimited')),
    );
  }
  const a = counterAt(samples, started + FIRST_MEASURED_MINUTE * MINUTE_REAL_MS);
  const b = counterAt(
    samples,
    started + (FIRST_MEASURED_MINUTE + MEASURED_MINUTES) * MINUTE_REAL_MS,
  );
  const upstreamRequests = modelRequests(after) - modelRequests(before);
  const rateLimited = after.rateLimited - before.rateLimited;
  return {
    contender: contender.name,
    round: roundIndex,
    wallMs: Math.round(wallMs),
    fraction: round((b - a) / MEASURED_MINUTES / QUOTA.inputTpm),
    perMinute,
    rateLimitedPerMinute,
    peakWindow: round(Math.max(0, ...samples.map((s) => s.windowInputTokens)) / QUOTA.inputTpm),
    upstreamRequests,
    rateLimited,
    share429: upstreamRequests > 0 ? rateLimited / upstreamRequests : 0,
    ok: outcome.ok,
    lost: outcome.failed,
    unfinished: backlog.requests.length - outcome.ok - outcome.failed,
    errors: outcome.errors,
    ...(outcome.laneLimits ? { laneLimits: outcome.laneLimits } : {}),
    ...(outcome.lostByAttempts ? { lostByAttempts: outcome.lostByAttempts } : {}),
  };
}

function contenders(): Contender[] {
  const list: Contender[] = [
    { name: 'lane run()', kind: 'lane-run' },
    ...(quick ? [] : [{ name: 'lane generateContent', kind: 'lane-generate' } as const]),
    // Not a default: shows the quota limiter pacing on its own, with more slots than needed.
    ...(quick
      ? []
      : [{ name: 'lane run(), concurrency pinned at 64', kind: 'lane-run', cap: 64 } as const]),
    ...CAPS.map((cap): Contender => ({ name: `p-limit ${cap}`, kind: 'plimit', cap })),
    ...CAPS.map(
      (cap): Contender => ({ name: `p-limit ${cap} + retry loop`, kind: 'plimit-retry', cap }),
    ),
    ...CAPS.map(
      (cap): Contender => ({ name: `p-limit ${cap} + SDK retryOptions`, kind: 'sdk-retry', cap }),
    ),
  ];
  return only ? list.filter((c) => only.includes(c.name)) : list;
}

/** Medians over a contender's rounds. */
interface ContenderSummary {
  contender: string;
  kind: ContenderKind;
  cap: number | undefined;
  rounds: number;
  fraction: number;
  fractionRange: [number, number];
  share429: number;
  upstreamRequests: number;
  lost: number;
  /** The most any round lost. */
  lostMax: number;
  unfinished: number;
  wallSeconds: number;
  /** The lane's concurrency limit at the end of the median run (lane contenders). */
  laneLimit?: number;
}

function summarize(list: readonly Contender[], runs: readonly RunResult[]): ContenderSummary[] {
  return list.map((c) => {
    const mine = runs.filter((r) => r.contender === c.name);
    const fractions = mine.map((r) => r.fraction);
    const limits = mine.map((r) => r.laneLimits?.at(-1)).filter((l) => l !== undefined);
    const summary: ContenderSummary = {
      contender: c.name,
      kind: c.kind,
      cap: c.cap,
      rounds: mine.length,
      fraction: median(fractions),
      fractionRange: [Math.min(...fractions), Math.max(...fractions)],
      share429: round(median(mine.map((r) => r.share429)), 4),
      upstreamRequests: median(mine.map((r) => r.upstreamRequests)),
      lost: median(mine.map((r) => r.lost)),
      lostMax: Math.max(...mine.map((r) => r.lost)),
      unfinished: median(mine.map((r) => r.unfinished)),
      wallSeconds: round(median(mine.map((r) => r.wallMs)) / 1000, 1),
    };
    if (limits.length > 0) summary.laneLimit = median(limits);
    return summary;
  });
}

/**
 * The best cap of a kind: the highest achieved fraction (to the percentage point) among caps
 * that lose at most 1 % of the backlog (else among all), then fewer lost, then fewer 429s.
 */
function bestOf(
  summaries: readonly ContenderSummary[],
  kind: ContenderKind,
  backlog: number,
): ContenderSummary | undefined {
  const all = summaries.filter((s) => s.kind === kind);
  const safe = all.filter((s) => s.lost <= 0.01 * backlog);
  const pool = safe.length > 0 ? safe : all;
  const points = (s: ContenderSummary) => Math.round(s.fraction * 100);
  return [...pool].sort(
    (a, b) => points(b) - points(a) || a.lost - b.lost || a.share429 - b.share429,
  )[0];
}

interface QuotaScenario {
  speed: number;
  quota: typeof QUOTA;
  backlog: { requests: number; inputTokens: number; minutesOfQuota: number };
  firstMeasuredMinute: number;
  measuredMinutes: number;
  deadlineMinutes: number;
  rounds: number;
  caps: number[];
  summaries: ContenderSummary[];
  best: Record<'plimit' | 'plimit-retry' | 'sdk-retry', string | undefined>;
  runs: RunResult[];
}

async function quotaScenario(): Promise<QuotaScenario> {
  const backlog = buildBacklog(BACKLOG_MINUTES, 11);
  const temp = await benchTempDir('bench-throughput-');
  const dir = temp.path;
  const input = join(dir, 'backlog.jsonl');
  await writeFile(
    input,
    backlog.requests.map((request, i) => `${JSON.stringify({ id: `r${i}`, request })}\n`).join(''),
  );
  const workspace: Workspace = { dir, input, runs: 0 };
  const server = stoppedOnInterrupt(
    await startEmulatorProcess({
      profile: 'default',
      speed: SPEED,
      seed: 8,
      quota: { [MODEL]: QUOTA },
    }),
  );
  const list = contenders();
  const runs: RunResult[] = [];
  try {
    say(
      `1. quota: backlog ${backlog.requests.length} prompts, ${backlog.totalTokens.toLocaleString('en')} input tokens (${round(backlog.totalTokens / QUOTA.inputTpm, 2)} minutes of quota); speed ${SPEED}; ${list.length} contenders × ${ROUNDS} round(s)`,
    );
    // Warm-up: a few calls through each kind of client, so JIT and connections are not timed.
    const warm = buildBacklog(0.05, 3);
    for (const kind of ['lane-generate', 'plimit', 'sdk-retry'] as const) {
      await runContender(
        { name: 'warm-up', kind, cap: 8 },
        server.url,
        warm,
        workspace,
        new AbortController().signal,
      );
    }
    const random = seeded(5);
    for (let r = 0; r < ROUNDS; r++) {
      for (const contender of shuffled(list, random)) {
        const run = await measure(contender, r, server.url, backlog, workspace);
        runs.push(run);
        say(
          `  [${r + 1}/${ROUNDS}] ${contender.name.padEnd(38)} ${pct(run.fraction).padStart(8)} of quota (per minute ${run.perMinute.join(' ')}), 429s ${pct(run.share429)} of ${run.upstreamRequests} (per minute ${run.rateLimitedPerMinute.join(' ')}), lost ${run.lost}, unfinished ${run.unfinished}, ${round(run.wallMs / 1000, 1)} s${run.laneLimits ? `, lane limit per minute ${run.laneLimits.join(' ')}` : ''}${run.lostByAttempts ? `, lost by attempts ${JSON.stringify(run.lostByAttempts)}` : ''}`,
        );
      }
    }
  } finally {
    await server.stop();
    await temp.remove();
  }
  const summaries = summarize(list, runs);
  return {
    speed: SPEED,
    quota: QUOTA,
    backlog: {
      requests: backlog.requests.length,
      inputTokens: backlog.totalTokens,
      minutesOfQuota: round(backlog.totalTokens / QUOTA.inputTpm, 2),
    },
    firstMeasuredMinute: FIRST_MEASURED_MINUTE,
    measuredMinutes: MEASURED_MINUTES,
    deadlineMinutes: DEADLINE_MINUTES,
    rounds: ROUNDS,
    caps: CAPS,
    summaries,
    best: {
      plimit: bestOf(summaries, 'plimit', backlog.requests.length)?.contender,
      'plimit-retry': bestOf(summaries, 'plimit-retry', backlog.requests.length)?.contender,
      'sdk-retry': bestOf(summaries, 'sdk-retry', backlog.requests.length)?.contender,
    },
    runs,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Embedding micro-batching

/** The built-in quota of gemini-embedding-001 (the emulator has no RPD for it; the lane needs one). */
const EMBED_QUOTA = { rpm: 3000, inputTpm: 1_000_000, rpd: 1_000_000 };
const EMBED_SIZES = quick ? [1000] : [1000, 5000];
const EMBED_ROUNDS = quick ? 2 : 5;
/** 768 dimensions, as retrieval indexes commonly store them (the model's own default is 3,072). */
const EMBED_CONFIG = { taskType: 'RETRIEVAL_DOCUMENT', outputDimensionality: 768 };

interface EmbedRun {
  contender: 'lane' | 'plain';
  calls: number;
  round: number;
  wallMs: number;
  ok: number;
  failed: number;
  upstreamRequests: number;
  rateLimited: number;
  inputTokens: number;
  cpuMsPerCall: number;
}

interface EmbedSummary {
  contender: 'lane' | 'plain';
  calls: number;
  /** Calls answered with their embedding, per second of wall time. */
  callsPerSecond: number;
  wallMs: number;
  upstreamRequests: number;
  /** Admitted upstream requests over the RPM quota (the calls land within one minute). */
  rpmShare: number;
  rateLimited: number;
  failed: number;
  inputTpmShare: number;
  cpuMsPerCall: number;
}

function embedTexts(count: number, seed: number): string[] {
  const random = seeded(seed);
  // Chunks of a document, 200 to 600 characters (50 to 150 tokens), as a RAG indexer sends them.
  return Array.from({ length: count }, (_, i) =>
    `chunk ${i}: ${filler(200 + Math.floor(random() * 400), random)}`.slice(0, 610),
  );
}

async function embedOnce(
  contender: 'lane' | 'plain',
  texts: readonly string[],
  url: string,
  roundIndex: number,
): Promise<EmbedRun> {
  await controlEmulator(url, { quota: { reset: true } });
  const before = await emulatorStats(url);
  let ok = 0;
  let failed = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  let wallMs = 0;
  if (contender === 'lane') {
    const config = defineConfig({
      quota: {
        models: { [EMBED_MODEL]: EMBED_QUOTA, [MODEL]: QUOTA },
        latencyReservedShare: 0,
      },
      lanes: { throughput: { models: [EMBED_MODEL] } },
    });
    const quota = createQuotaLimiter(config.quota);
    const lane = createThroughputLane(config.lanes.throughput, {
      apiKey: API_KEY,
      baseUrl: url,
      quota,
    });
    try {
      cpu = process.cpuUsage();
      started = performance.now();
      const settled = await Promise.allSettled(
        texts.map((text) =>
          lane.embedContent({ model: EMBED_MODEL, contents: text, config: EMBED_CONFIG }),
        ),
      );
      wallMs = performance.now() - started;
      for (const s of settled) {
        if (s.status === 'fulfilled' && s.value.embeddings?.length === 1) ok++;
        else failed++;
      }
    } finally {
      await lane.close();
      await quota.close();
    }
  } else {
    const ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: url } });
    cpu = process.cpuUsage();
    started = performance.now();
    const settled = await Promise.allSettled(
      texts.map((text) =>
        ai.models.embedContent({ model: EMBED_MODEL, contents: text, config: EMBED_CONFIG }),
      ),
    );
    wallMs = performance.now() - started;
    for (const s of settled) {
      if (s.status === 'fulfilled' && s.value.embeddings?.length === 1) ok++;
      else failed++;
    }
  }
  const used = process.cpuUsage(cpu);
  await sleep(20);
  const after = await emulatorStats(url);
  const m = (stats: EmulatorStats) => stats.models[EMBED_MODEL];
  return {
    contender,
    calls: texts.length,
    round: roundIndex,
    wallMs,
    ok,
    failed,
    upstreamRequests: (m(after)?.requests ?? 0) - (m(before)?.requests ?? 0),
    rateLimited: after.rateLimited - before.rateLimited,
    inputTokens: (m(after)?.tokens.input ?? 0) - (m(before)?.tokens.input ?? 0),
    cpuMsPerCall: (used.user + used.system) / 1000 / texts.length,
  };
}

async function embeddingScenario(): Promise<{ runs: EmbedRun[]; summaries: EmbedSummary[] }> {
  const server = stoppedOnInterrupt(
    await startEmulatorProcess({ profile: 'default', speed: 1, seed: 9 }),
  );
  const runs: EmbedRun[] = [];
  try {
    say(
      `2. embeddings: ${EMBED_SIZES.join(' and ')} concurrent calls of one text each, ${EMBED_MODEL} (RPM ${EMBED_QUOTA.rpm}), speed 1, ${EMBED_ROUNDS} rounds`,
    );
    await embedOnce('lane', embedTexts(50, 1), server.url, -1);
    await embedOnce('plain', embedTexts(50, 1), server.url, -1);
    for (const size of EMBED_SIZES) {
      const texts = embedTexts(size, size);
      for (let r = 0; r < EMBED_ROUNDS; r++) {
        const order: Array<'lane' | 'plain'> = r % 2 === 0 ? ['lane', 'plain'] : ['plain', 'lane'];
        for (const contender of order) {
          const run = await embedOnce(contender, texts, server.url, r);
          runs.push(run);
          say(
            `  [${size}, ${r + 1}/${EMBED_ROUNDS}] ${contender.padEnd(5)} ${Math.round((run.ok * 1000) / run.wallMs)} answered calls/s (${Math.round(run.wallMs)} ms), ${run.upstreamRequests} upstream requests, ${run.rateLimited} 429s, ${run.failed} failed, ${round(run.cpuMsPerCall, 3)} ms CPU per call`,
          );
        }
      }
    }
  } finally {
    await server.stop();
  }
  const summaries: EmbedSummary[] = [];
  for (const size of EMBED_SIZES) {
    for (const contender of ['lane', 'plain'] as const) {
      const mine = runs.filter((r) => r.calls === size && r.contender === contender);
      const wallMs = median(mine.map((r) => r.wallMs));
      const upstream = median(mine.map((r) => r.upstreamRequests));
      summaries.push({
        contender,
        calls: size,
        callsPerSecond: Math.round((median(mine.map((r) => r.ok)) * 1000) / wallMs),
        wallMs: Math.round(wallMs),
        upstreamRequests: upstream,
        // Requests the quota counted: 429s are not.
        rpmShare: round((upstream - median(mine.map((r) => r.rateLimited))) / EMBED_QUOTA.rpm, 4),
        rateLimited: median(mine.map((r) => r.rateLimited)),
        failed: median(mine.map((r) => r.failed)),
        inputTpmShare: round(median(mine.map((r) => r.inputTokens)) / EMBED_QUOTA.inputTpm, 4),
        cpuMsPerCall: round(median(mine.map((r) => r.cpuMsPerCall)), 3),
      });
    }
  }
  return { runs, summaries };
}

// ---------------------------------------------------------------------------------------------
// Report

interface Results {
  date: string;
  machine: string;
  node: string;
  quick: boolean;
  command: string;
  /** `distFingerprint('lanes')`: the build of the lanes package that ran. */
  lanesBuild: string;
  loadAverage: { before: number[]; after: number[] };
  wallSeconds: number;
  quota: QuotaScenario;
  embeddings: { runs: EmbedRun[]; summaries: EmbedSummary[] };
}

const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const fmt = (n: number) => n.toLocaleString('en');

function markdown(r: Results): string {
  const q = r.quota;
  const bests = new Set(Object.values(q.best).filter((b) => b !== undefined));
  const label = (s: ContenderSummary) =>
    `${bests.has(s.contender) ? `**${s.contender}** (best)` : s.contender}${s.laneLimit === undefined ? '' : ` (concurrency limit at the end: ${s.laneLimit})`}`;
  const rows = q.summaries.map((s) => {
    const range = s.rounds > 1 ? ` (${pct(s.fractionRange[0])}–${pct(s.fractionRange[1])})` : '';
    return `| ${label(s)} | ${pct(s.fraction)}${range} | ${pct(s.share429, 2)} | ${fmt(s.upstreamRequests)} | ${fmt(s.lost)}${s.lostMax > s.lost ? ` (max ${fmt(s.lostMax)})` : ''} | ${fmt(s.unfinished)} | ${s.wallSeconds} |`;
  });
  const lane = q.summaries.find((s) => s.contender === 'lane run()');
  const targets = lane
    ? `The lane's \`run()\` against the targets: input TPM ${pct(lane.fraction)} of the ceiling (target ≥ ${pct(TARGET_FRACTION, 0)}: ${verdict(lane.fraction >= TARGET_FRACTION)}), 429s ${pct(lane.share429, 2)} of upstream requests (target < ${pct(TARGET_429_SHARE, 0)}: ${verdict(lane.share429 < TARGET_429_SHARE)}), ${lane.lostMax === 0 ? 'nothing lost in any round' : `${lane.lost} lost (median; ${lane.lostMax} in the worst round)`} (target 0: ${verdict(lane.lostMax === 0)})${lane.unfinished > 0 ? `, and ${fmt(lane.unfinished)} of ${fmt(q.backlog.requests)} requests still unfinished at the deadline` : ''}.`
    : '';
  const embedRows = r.embeddings.summaries.map(
    (e) =>
      `| ${e.calls} | ${e.contender === 'lane' ? '`lane.embedContent` (micro-batched)' : 'plain `models.embedContent`, one call each'} | ${fmt(e.callsPerSecond)} | ${fmt(e.wallMs)} | ${fmt(e.upstreamRequests)} | ${pct(e.rpmShare, 2)} | ${fmt(e.rateLimited)} | ${fmt(e.failed)} | ${e.cpuMsPerCall} |`,
  );
  return `# Throughput lane benchmark

\`${r.command}\` on ${r.machine} (Node ${r.node}), ${r.date}; ${r.wallSeconds} s in all; lanes build \`${r.lanesBuild}\`.
Emulator in its own process on 127.0.0.1; load average before / after: ${r.loadAverage.before.join(' ')} / ${r.loadAverage.after.join(' ')}.

## 1. Input TPM against the quota ceiling

\`${MODEL}\`, quota ${fmt(q.quota.rpm)} RPM / ${fmt(q.quota.inputTpm)} input TPM / ${fmt(q.quota.rpd)} RPD (emulator and lane alike; no latency-lane reserve), profile \`default\`
(thinking on), emulator speed ${q.speed} (an emulated minute is ${round(60 / q.speed, 2)} s). Backlog: ${fmt(q.backlog.requests)} prompts,
${fmt(q.backlog.inputTokens)} input tokens (${q.backlog.minutesOfQuota} minutes of quota; log-normal sizes, median 3,000, p95 10,000 tokens).
Achieved = input tokens the emulator accepted in emulated minutes ${q.firstMeasuredMinute}–${q.firstMeasuredMinute + q.measuredMinutes} (the steady state) over ${q.measuredMinutes} × the ceiling.
Runs stop at ${q.deadlineMinutes} emulated minutes (wall s × ${round(q.speed / 60, 2)} = emulated minutes; draining the backlog at the ceiling takes a little over ${q.backlog.minutesOfQuota - 1}). Fresh emulator quota per run. Medians of ${q.rounds} round(s) (range of achieved; most lost in one round).

| contender | input TPM / ceiling (steady state) | 429s / upstream requests | upstream requests | lost | unfinished | wall s |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

${targets}

## 2. Embedding micro-batching (\`${EMBED_MODEL}\`, RPM ${fmt(EMBED_QUOTA.rpm)}, speed 1, medians of ${EMBED_ROUNDS} alternating rounds)

| concurrent calls | contender | calls/s | wall ms | upstream requests | RPM quota used | 429s | failed | client CPU ms per call |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${embedRows.join('\n')}
`;
}

async function main(): Promise<void> {
  // Read as soon as the modules are loaded: the packages may be rebuilt while the run goes on.
  const lanesBuild = await distFingerprint('lanes');
  const before = loadAverage();
  const began = performance.now();
  say(`throughput lane benchmark${quick ? ' (quick)' : ''} (load ${before.join(' ')})`);
  const quota = await quotaScenario();
  const embeddings = only ? { runs: [], summaries: [] } : await embeddingScenario();
  const results: Results = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    node: process.version,
    quick,
    command: [
      'node test/bench/throughput-lane.ts',
      ...argv.map((a) => (a.includes(' ') ? `'${a}'` : a)),
    ].join(' '),
    lanesBuild,
    loadAverage: { before, after: loadAverage() },
    wallSeconds: round((performance.now() - began) / 1000, 1),
    quota,
    embeddings,
  };
  await mkdir(RESULTS, { recursive: true });
  // An exploring run (--only, --speed) never overwrites the figures the README quotes.
  // A quick run keeps its own files too.
  const name =
    only || SPEED !== 60
      ? 'throughput-lane.explore'
      : quick
        ? 'throughput-lane.quick'
        : 'throughput-lane';
  await writeFile(join(RESULTS, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS, `${name}.md`), markdown(results));
  say(`\nwrote ${join(RESULTS, `${name}.json`)} and ${name}.md (${results.wallSeconds} s)`);
  say(markdown(results));
}

await main();
