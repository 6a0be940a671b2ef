import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  costOf,
  type GeminiLanesConfig,
  isGeminiLanesError,
  type PriceTable,
} from '@gemini-lanes/core';
import type { EmulatorHandle, EmulatorOptions } from '@gemini-lanes/emulator';
import type {
  Job,
  JobCancelledError,
  JobProgress,
  JobSummary,
  ThroughputLane,
} from '@gemini-lanes/lanes';
import type { CliIo, Command, CommandContext } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { resolveConfig } from '../resolve-config.js';
import { UsageError } from '../usage-error.js';

/** How a caller other than a terminal drives the command (tests, embedding programs). */
export interface RunCommandHooks {
  /** Aborting it stops the job as Ctrl-C would; without it, SIGINT and SIGTERM do. */
  stop?: AbortSignal;
  /** Called with the job once it runs (to watch its results). */
  onJob?: (job: Job) => void;
  /** Options of the embedded emulator `--emulator` starts (default: realistic latency, seed 1, speed 10). */
  emulator?: EmulatorOptions;
  /** Clock for progress and ETA. Default `Date.now`. */
  now?: () => number;
}

/** How often a progress line is printed when stdout is not a terminal. */
const PLAIN_PROGRESS_MS = 5000;
/** How often the terminal's progress bar is redrawn. */
const BAR_PROGRESS_MS = 250;
const BAR_WIDTH = 20;
/**
 * The embedded emulator: realistic latency, ten times faster than real time (quota windows
 * too), so a job of a few hundred lines shows its progress in seconds, not minutes.
 */
const EMBEDDED_EMULATOR: EmulatorOptions = { seed: 1, speed: 10 };

interface RunArguments {
  /** As typed, for the resume hint. */
  inputArg: string;
  input: string;
  out: string;
  checkpoint: string;
  config: string | undefined;
  checkpointArg: string | undefined;
  noResume: boolean;
  overwrite: boolean;
  emulator: boolean;
  model: string | undefined;
  /** Undefined: the configuration's `lanes.throughput.batch.mode`. */
  mode: 'parallel' | 'batch-api' | undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function usage(message: string): UsageError {
  return new UsageError(message, 'run');
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

function parseArguments({ io, options, positionals }: CommandContext): RunArguments {
  const [inputArg, ...extra] = positionals;
  if (inputArg === undefined) throw usage('missing <input.jsonl>: the job file to run');
  if (extra.length > 0) throw usage(`one input file at a time (also got '${extra[0]}')`);
  const outArg = text(options.out);
  if (outArg === undefined || outArg === '') {
    throw usage('missing --out <results.jsonl>: where to write the results');
  }
  const noResume = options['no-resume'] === true;
  const overwrite = options.overwrite === true;
  if (noResume && overwrite) {
    throw usage('--no-resume and --overwrite contradict each other: pick one');
  }
  const model = text(options.model);
  if (model !== undefined && model.trim() === '') throw usage('--model must name a model');
  const modeArg = text(options.mode);
  if (modeArg !== undefined && modeArg !== 'parallel' && modeArg !== 'batch-api') {
    throw usage(`--mode must be parallel or batch-api (got ${modeArg})`);
  }
  const mode = modeArg as RunArguments['mode'];
  if (mode === 'batch-api' && model !== undefined) {
    throw usage(
      '--model works in parallel mode only: with --mode batch-api each line names its model',
    );
  }
  const input = resolve(io.cwd, inputArg);
  const out = resolve(io.cwd, outArg);
  if (input === out) throw usage('--out must not be the input file');
  const checkpointArg = text(options.checkpoint);
  return {
    inputArg,
    input,
    out,
    checkpoint: checkpointArg === undefined ? `${out}.ckpt` : resolve(io.cwd, checkpointArg),
    config: text(options.config),
    checkpointArg,
    noResume,
    overwrite,
    emulator: options.emulator === true,
    model,
    mode,
  };
}

/** A shell word: quoted unless it is plainly safe. */
function shellWord(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command line that continues this job: the same one, minus what would start it over. */
function resumeCommand(args: RunArguments, outArg: string): string {
  const words = ['gemini-lanes', 'run', args.inputArg, '--out', outArg];
  if (args.config !== undefined) words.push('--config', args.config);
  if (args.checkpointArg !== undefined) words.push('--checkpoint', args.checkpointArg);
  if (args.emulator) words.push('--emulator');
  if (args.model !== undefined) words.push('--model', args.model);
  if (args.mode !== undefined) words.push('--mode', args.mode);
  return words.map(shellWord).join(' ');
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function usd(value: number): string {
  return `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
}

/**
 * The job's progress as a terminal shows it. The total number of lines is estimated from the
 * bytes read: lines read so far (done + in flight) scaled by the input's size over the bytes
 * read, exact once the whole input is read. The ETA comes from this run's pace.
 */
class ProgressView {
  readonly #now: () => number;
  #start: { at: number; done: number } | undefined;
  /** Once the whole input is read the total only grows (a result between its call and its write is in neither count). */
  #exactTotal = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  describe(p: JobProgress): { fraction: number | undefined; text: string } {
    const now = this.#now();
    this.#start ??= { at: now, done: p.done };
    const read = p.done + p.inFlight;
    let total: number | undefined;
    let exact = false;
    if (p.totalBytes !== undefined && p.bytesRead !== undefined && p.bytesRead > 0) {
      exact = p.bytesRead >= p.totalBytes;
      if (exact) {
        this.#exactTotal = Math.max(this.#exactTotal, read);
        total = this.#exactTotal;
      } else {
        total = Math.max(read, Math.round((read * p.totalBytes) / p.bytesRead));
      }
    }
    const fraction =
      total !== undefined && total > 0
        ? Math.min(1, p.done / total)
        : p.totalBytes
          ? (p.bytesRead ?? 0) / p.totalBytes
          : undefined;
    const finished = p.done - this.#start.done;
    const elapsed = now - this.#start.at;
    // From this run's pace once a line has finished; the runner's own estimate (bytes read over
    // time) only when no total is known.
    let eta: number | undefined;
    if (total === undefined) eta = p.etaMs;
    else if (finished > 0 && elapsed > 0) eta = ((total - p.done) * elapsed) / finished;
    const parts = [
      `${p.done}${total === undefined ? '' : `/${exact ? '' : '~'}${total}`} done`,
      `${p.failed} failed`,
      `${p.inFlight} in flight`,
      `${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s`,
      usd(p.costUsd),
    ];
    if (eta !== undefined && (total === undefined || p.done < total)) {
      parts.push(`ETA ${duration(eta)}`);
    }
    return { fraction, text: parts.join(' · ') };
  }

  /** The bar and the figures, within `columns` when known (the bar goes first, then the tail). */
  bar(p: JobProgress, columns: number | undefined): string {
    const { fraction, text: line } = this.describe(p);
    if (fraction === undefined) return fit(line, columns);
    const filled = Math.round(fraction * BAR_WIDTH);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const full = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${percent}  ${line}`;
    if (columns === undefined || full.length < columns) return full;
    return fit(`${percent.trim()} ${line}`, columns);
  }

  plain(p: JobProgress): string {
    const { fraction, text: line } = this.describe(p);
    return `progress: ${fraction === undefined ? '' : `${Math.floor(fraction * 100)}% · `}${line}`;
  }
}

/** Cut to fit a terminal line: a longer one would wrap, and the next redraw could not erase it. */
function fit(line: string, columns: number | undefined): string {
  return columns === undefined || line.length < columns ? line : `${line.slice(0, columns - 2)}…`;
}

/** The terminal's width, when stdout is one that says. */
function columnsOf(stdout: CliIo['stdout']): number | undefined {
  const { columns } = stdout as { columns?: unknown };
  return typeof columns === 'number' && columns > 0 ? columns : undefined;
}

/** Resolves when the caller's signal aborts or the process gets SIGINT/SIGTERM (once each). */
function stopRequested(stop: AbortSignal | undefined): {
  done: Promise<string>;
  dispose(): void;
} {
  let release = () => {};
  const done = new Promise<string>((resolveStop) => {
    if (stop !== undefined) {
      if (stop.aborted) resolveStop('stop requested');
      else stop.addEventListener('abort', () => resolveStop('stop requested'), { once: true });
      return;
    }
    // Once: a second Ctrl-C finds no listener and ends the process at once, as usual.
    const onInt = () => resolveStop('Ctrl+C');
    const onTerm = () => resolveStop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    release = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
  return { done, dispose: () => release() };
}

/** Where the files stand, checked before anything starts so a conflict is a usage error. */
async function checkFiles(args: RunArguments, io: CliIo): Promise<'fresh' | 'resume'> {
  const checkpoint = (await sizeOf(args.checkpoint)) !== undefined;
  const outputBytes = (await sizeOf(args.out)) ?? 0;
  if (args.overwrite) {
    if (checkpoint || outputBytes > 0) {
      io.stdout.write(`--overwrite: starting over (emptying ${args.out})\n`);
    }
    return 'fresh';
  }
  if (checkpoint) {
    if (args.noResume) {
      throw usage(
        `${args.checkpoint} exists: an earlier run of this job stopped before it finished. Leave out --no-resume to continue it, or pass --overwrite to start over`,
      );
    }
    return 'resume';
  }
  if (outputBytes > 0) {
    throw usage(
      `${args.out} exists and there is no checkpoint ${args.checkpoint} to continue from: pass --overwrite to replace it, or choose another --out`,
    );
  }
  return 'fresh';
}

function apiKeyFrom(env: CliIo['env']): string | undefined {
  const key = env.GEMINI_API_KEY?.trim() || env.GOOGLE_API_KEY?.trim();
  return key === '' ? undefined : key;
}

interface Started {
  lane: ThroughputLane;
  emulator: EmulatorHandle | undefined;
  /** The configuration's price table (built-in prices with its `pricing` overrides). */
  prices: PriceTable;
}

async function startLane(
  config: GeminiLanesConfig,
  args: RunArguments,
  apiKey: string | undefined,
  hooks: RunCommandHooks,
): Promise<Started> {
  const [{ createQuotaLimiter, createThroughputLane }, { createTelemetry }] = await Promise.all([
    import('@gemini-lanes/lanes'),
    import('@gemini-lanes/otel'),
  ]);
  const emulator = args.emulator
    ? await (await import('@gemini-lanes/emulator')).startEmulator({
        ...EMBEDDED_EMULATOR,
        ...hooks.emulator,
      })
    : undefined;
  try {
    // No exporter is registered, so the instruments are no-ops; the telemetry carries the
    // configuration's price table (pricing overrides) into the lane's cost of each line.
    const telemetry = createTelemetry(config);
    const lane = createThroughputLane(config.lanes.throughput, {
      apiKey: emulator ? 'emulator' : apiKey,
      ...(emulator ? { baseUrl: emulator.url } : {}),
      telemetry,
      quota: createQuotaLimiter(config.quota),
    });
    return { lane, emulator, prices: telemetry.prices };
  } catch (error) {
    await emulator?.close();
    throw error;
  }
}

/** Runs the input through the lane: `lane.run()`, or with `--model` the same over a rewritten request. */
async function startJob(
  started: Started,
  config: GeminiLanesConfig,
  args: RunArguments,
  progressIntervalMs: number,
  mode: 'fresh' | 'resume',
): Promise<Job> {
  const options = {
    output: args.out,
    checkpoint: args.checkpoint,
    progressIntervalMs,
    ...(args.mode !== undefined ? { mode: args.mode } : {}),
    ...(args.overwrite ? { overwrite: true } : {}),
    ...(args.noResume ? { resume: false } : mode === 'resume' ? { resume: true } : {}),
  };
  const { lane, prices } = started;
  const model = args.model;
  if (model === undefined) return lane.run(args.input, options);
  // The lane's run() sends each line's request as it is; to send it to another model the
  // runner gets the lane's call with the model replaced, and the lane's own settings.
  const { runJob } = await import('@gemini-lanes/lanes');
  return runJob(
    args.input,
    (request, context) =>
      lane.generateContent(
        { ...request, model },
        { signal: context.signal, onAttempt: context.onAttempt },
      ),
    {
      ...options,
      concurrency: config.lanes.throughput.concurrency.max,
      maxInFlight: config.lanes.throughput.concurrency.max,
      cost: (response) => {
        const usage = response.usageMetadata;
        if (usage === undefined) return undefined;
        const breakdown = costOf(usage, model, 'standard', prices);
        return breakdown.known ? breakdown.usd.total : undefined;
      },
    },
  );
}

function summaryLine(summary: JobSummary, out: string): string {
  if (summary.resumed && summary.written === 0) {
    return `already complete: ${summary.done} results in ${out} (--overwrite runs it again)\n`;
  }
  const failed =
    summary.failed === 0
      ? '0 failed'
      : `${summary.failed} failed: their result lines carry "error" instead of "response"`;
  const resumed = summary.resumed
    ? `; ${summary.done - summary.written} from earlier runs, ${summary.written} this run`
    : '';
  return (
    `done: ${summary.done} lines → ${out} in ${(summary.elapsedMs / 1000).toFixed(1)} s (${failed}); ` +
    `${summary.tokens.toLocaleString('en-US')} tokens, ${usd(summary.costUsd)}${resumed}\n`
  );
}

/** The `run` command; `hooks` replace the terminal (signals, clock, the emulator's options) in tests. */
export function createRunCommand(hooks: RunCommandHooks = {}): Command {
  return {
    name: 'run',
    summary:
      'Run a JSONL file of requests through the throughput lane, with a checkpoint to resume from.',
    usage:
      'run <input.jsonl> --out <results.jsonl> [--config <file>] [--checkpoint <file>] [--no-resume|--overwrite] [--mode parallel|batch-api] [--emulator] [--model <m>]',
    description: `Each input line is {"id": "...", "request": {"model": "...", "contents": ..., "config": {...}}}
(the @google/genai generateContent parameters). Each is sent through the throughput lane built
from the configuration (adaptive concurrency, retries with backoff, the quota in quota.models:
every model a line names needs an entry there), and one result line per input line is written
to --out: {"id", "line", "response" | "error", "usage", "costUsd", "attempts"}.

The job is checkpointed (default <out>.ckpt). Ctrl+C stops it cleanly; running the same command
again continues where it stopped, and the output ends with exactly one result per input line.
A finished job run again does nothing. --no-resume refuses to continue a stopped job;
--overwrite starts over.

The API key comes from GEMINI_API_KEY (or GOOGLE_API_KEY). To try it without one, --emulator
starts the embedded Gemini API emulator on 127.0.0.1 (its realistic latency at ten times real
speed, generated text, no network) and sends everything there.

On a terminal a progress bar shows lines done of the total (estimated from the bytes read until
the whole input is read), failures, calls in flight, tokens per second, cost so far and the time
left; otherwise a progress line is printed every ${PLAIN_PROGRESS_MS / 1000} seconds.

Exit codes: 0 the job completed (every line has a result, failed lines included: count them
with grep '"error"'); 1 it did not complete (stopped by Ctrl+C, or an error; rerun to
continue); 2 usage (no input file, no --out, no API key without --emulator, an output or
checkpoint in the way).`,
    options: {
      out: {
        type: 'string',
        short: 'o',
        valueName: '<results.jsonl>',
        description: 'where to write one result line per input line (required)',
      },
      config: {
        type: 'string',
        short: 'c',
        valueName: '<file>',
        description:
          'configuration file (default: nearest gemini-lanes.config.*, else the defaults)',
      },
      checkpoint: {
        type: 'string',
        valueName: '<file>',
        description: 'checkpoint file (default <out>.ckpt)',
      },
      'no-resume': {
        type: 'boolean',
        description: 'refuse to continue a stopped run of this job (exit 2 if one exists)',
      },
      overwrite: {
        type: 'boolean',
        description: 'start over: delete the checkpoint and empty the output',
      },
      emulator: {
        type: 'boolean',
        description: 'run against the embedded Gemini API emulator (no API key needed)',
      },
      model: {
        type: 'string',
        valueName: '<m>',
        description: "send every request to this model instead of its line's (same on resume)",
      },
      mode: {
        type: 'string',
        valueName: '<mode>',
        description:
          'parallel (each line through the lane now) or batch-api (the Gemini Batch API at half price, results in input order; may take hours); default lanes.throughput.batch.mode',
      },
    },
    positionals: true,
    examples: [
      'gemini-lanes run jobs.jsonl --out results.jsonl',
      'gemini-lanes run jobs.jsonl --out results.jsonl --emulator',
      'gemini-lanes run jobs.jsonl --out results.jsonl --mode batch-api',
      'gemini-lanes run jobs.jsonl --out results.jsonl --model gemini-2.5-flash-lite --config gemini-lanes.config.yaml',
      'gemini-lanes run jobs.jsonl --out results.jsonl --overwrite',
      `grep -c '"error"' results.jsonl`,
    ],
    async run(context) {
      const { io } = context;
      const args = parseArguments(context);
      const inputBytes = await sizeOf(args.input);
      if (inputBytes === undefined) throw usage(`no such input file: ${args.input}`);
      const { config, file } = await resolveConfig(io.cwd, args.config);
      const apiKey = apiKeyFrom(io.env);
      if (!args.emulator && apiKey === undefined) {
        throw usage(
          'no Gemini API key: set GEMINI_API_KEY, or pass --emulator to try it on the embedded emulator',
        );
      }
      if (args.model !== undefined && config.quota.models[args.model] === undefined) {
        throw usage(
          `--model ${args.model} has no quota in the configuration (quota.models has ${Object.keys(config.quota.models).join(', ')})`,
        );
      }
      const mode = await checkFiles(args, io);
      await mkdir(dirname(args.out), { recursive: true });
      await mkdir(dirname(args.checkpoint), { recursive: true });
      const outArg = text(context.options.out) ?? args.out;
      const tty = io.stdout.isTTY === true;
      const now = hooks.now ?? Date.now;

      const started = await startLane(config, args, apiKey, hooks);
      const stop = stopRequested(hooks.stop);
      const concurrency = config.lanes.throughput.concurrency;
      io.stdout.write(
        `running ${basename(args.input)} (${bytes(inputBytes)}) through the throughput lane ` +
          `(adaptive concurrency ${concurrency.initial}, ${concurrency.min}..${concurrency.max}; ${args.model ? `model ${args.model}` : "each line's model"}; ` +
          `${file ? `configuration ${file}` : 'default configuration'}) → ${args.out}\n` +
          `${started.emulator ? `using the embedded Gemini API emulator at ${started.emulator.url} (generated answers, ${started.emulator.options.speed === 1 ? 'real-time latency' : `${started.emulator.options.speed}× real speed`}, no API key)\n` : ''}` +
          `${mode === 'resume' ? `continuing from the checkpoint ${args.checkpoint}\n` : `checkpoint: ${args.checkpoint}\n`}` +
          'Ctrl+C stops; the same command continues.\n',
      );

      let job: Job;
      try {
        job = await startJob(started, config, args, tty ? BAR_PROGRESS_MS : 1000, mode);
      } catch (error) {
        stop.dispose();
        await started.lane.close();
        await started.emulator?.close();
        throw error;
      }
      const view = new ProgressView(now);
      let lastPlain = now();
      let drawn = false;
      job.on('progress', (progress) => {
        if (tty) {
          io.stdout.write(`\r\x1b[2K${view.bar(progress, columnsOf(io.stdout))}`);
          drawn = true;
        } else if (now() - lastPlain >= PLAIN_PROGRESS_MS) {
          lastPlain = now();
          io.stdout.write(`${view.plain(progress)}\n`);
        }
      });
      let stoppedBy: string | undefined;
      void stop.done.then((reason) => {
        stoppedBy = reason;
        job.cancel(new Error(reason));
      });
      hooks.onJob?.(job);

      const endBar = () => {
        if (drawn) io.stdout.write('\n');
        drawn = false;
      };
      try {
        const summary = await job.done;
        endBar();
        io.stdout.write(summaryLine(summary, outArg));
        return ExitCode.ok;
      } catch (error) {
        endBar();
        if (isGeminiLanesError(error, 'ERR_JOB_CANCELLED')) {
          const { summary } = error as JobCancelledError;
          io.stderr.write(
            `stopped (${stoppedBy ?? 'cancelled'}) with ${summary.done} lines done (${summary.failed} failed); the results so far are in ${outArg}.\n` +
              `To continue where it stopped, run the same command:\n  ${resumeCommand(args, outArg)}\n`,
          );
          return ExitCode.failure;
        }
        if (
          isGeminiLanesError(error, 'ERR_JOB_INPUT_CHANGED') ||
          isGeminiLanesError(error, 'ERR_JOB_OUTPUT_EXISTS')
        ) {
          throw usage(
            `${(error as Error).message.replace(/; pass overwrite: true.*$/, '')}; pass --overwrite to start over`,
          );
        }
        const code = isGeminiLanesError(error) ? ` [${error.code}]` : '';
        io.stderr.write(
          `gemini-lanes run: the job failed: ${error instanceof Error ? error.message : String(error)}${code}\n` +
            `The checkpoint keeps what was done; once the cause is fixed, run the same command to continue:\n  ${resumeCommand(args, outArg)}\n`,
        );
        return ExitCode.failure;
      } finally {
        stop.dispose();
        await started.lane.close();
        await started.emulator?.close();
      }
    },
  };
}

/** `gemini-lanes run`: stops on SIGINT or SIGTERM. */
export const runCommand: Command = createRunCommand();
