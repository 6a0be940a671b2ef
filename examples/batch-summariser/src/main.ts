/**
 * `pnpm --filter @gemini-lanes/example-batch-summariser start [-- [--overwrite] [input.jsonl [output.jsonl]]]`
 *
 * Summarises `{ id, text }` documents (default: the 200 in data/documents.jsonl) into
 * out/summaries.jsonl through the throughput lane, checkpointed: Ctrl-C stops it, and the same
 * command continues where it stopped. With GEMINI_API_KEY set it calls Gemini; without it, an
 * embedded emulator with realistic latency stands in. Metrics on 127.0.0.1:9466/metrics
 * (METRICS_PORT) while it runs.
 */
import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defineConfig, isGeminiLanesError } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import {
  createQuotaLimiter,
  createThroughputLane,
  JobCancelledError,
  type JobResult,
} from '@gemini-lanes/lanes';
import { createTelemetry } from '@gemini-lanes/otel';
import { register } from '@gemini-lanes/otel/register';
import { etaMs, progressLine } from './progress-line.js';
import { summariseDocuments } from './summarise.js';

const USAGE = 'usage: node dist/main.js [--overwrite] [input.jsonl [output.jsonl]]\n';
const DEFAULT_METRICS_PORT = 9466;

function fail(message: string, code: number): never {
  process.stderr.write(`batch-summariser: ${message}\n`);
  process.exit(code);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: { overwrite: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
}

const args = parseCommandLine();
if (args.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.positionals.length > 2) fail(`too many arguments\n${USAGE}`, 2);
// pnpm runs the script in this package's folder; paths given on its command line are the
// caller's, relative to where pnpm was started (INIT_CWD).
const callerDir = process.env.INIT_CWD ?? process.cwd();
const input =
  args.positionals[0] === undefined
    ? fileURLToPath(new URL('../data/documents.jsonl', import.meta.url))
    : resolve(callerDir, args.positionals[0]);
const output =
  args.positionals[1] === undefined
    ? 'out/summaries.jsonl'
    : relative(process.cwd(), resolve(callerDir, args.positionals[1])) || '.';
const inputStat = await stat(input).catch(() => undefined);
if (!inputStat?.isFile()) fail(`no such input file: ${input}\n${USAGE}`, 2);
const metricsPort = Number(process.env.METRICS_PORT ?? DEFAULT_METRICS_PORT);

const apiKey = process.env.GEMINI_API_KEY;
let emulator: EmulatorHandle | undefined;
if (!apiKey) {
  // Summaries are short: the emulator answers with about 60 tokens rather than its default 400.
  emulator = await startEmulator({
    seed: 1,
    models: { 'gemini-2.5-flash': { outputTokens: { median: 60, p95: 120 } } },
  });
}
const sdk = await register({ serviceName: 'batch-summariser', prometheus: { port: metricsPort } });
const config = defineConfig({ service: 'batch-summariser' });
const telemetry = createTelemetry(config, sdk);
const lane = createThroughputLane(config.lanes.throughput, {
  apiKey: apiKey || 'emulator',
  ...(emulator ? { baseUrl: emulator.url } : {}),
  telemetry,
  quota: createQuotaLimiter(config.quota),
});

const stop = new AbortController();
// Once: a second Ctrl-C ends the process at once, the default.
process.once('SIGINT', () => stop.abort(new Error('interrupted (Ctrl-C)')));

const tty = process.stdout.isTTY === true;
let lastPrinted = 0;
let start: { done: number; at: number } | undefined;
let example: string | undefined;
process.stdout.write(
  `summarising ${input} → ${output} through the throughput lane (${emulator ? `embedded emulator at ${emulator.url}; set GEMINI_API_KEY to call Gemini` : 'Gemini API'})\n` +
    `metrics on ${sdk.prometheusUrl ?? '(none)'}; Ctrl-C stops, the same command continues\n`,
);

function firstText(result: JobResult): string | undefined {
  const parts = result.response?.candidates?.[0]?.content?.parts ?? [];
  const text = parts
    .map((part) => part.text ?? '')
    .join('')
    .trim();
  return text === ''
    ? undefined
    : `${result.id}: ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`;
}

process.exitCode = 0;
try {
  const run = await summariseDocuments({
    input,
    output,
    lane,
    signal: stop.signal,
    ...(args.values.overwrite ? { overwrite: true } : {}),
    onInvalid: (line, problem) => process.stderr.write(`${input}:${line}: skipped: ${problem}\n`),
    onProgress: (progress) => {
      const now = Date.now();
      start ??= { done: progress.done, at: now };
      const line = progressLine(progress, etaMs(progress, start, now));
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else if (now - lastPrinted >= 5000) {
        lastPrinted = now;
        process.stdout.write(`${line}\n`);
      }
    },
    onResult: (result) => {
      example ??= firstText(result);
    },
  });
  const { summary } = run;
  if (tty) process.stdout.write('\r\x1b[2K');
  if (summary.resumed && summary.written === 0) {
    process.stdout.write(
      `already complete: ${summary.done} results in ${output} (--overwrite runs it again)\n`,
    );
  } else {
    process.stdout.write(
      `done: ${summary.done} documents → ${output} (${summary.failed} failed) in ${(summary.elapsedMs / 1000).toFixed(1)} s; ` +
        `${summary.tokens.toLocaleString('en-US')} tokens, $${summary.costUsd.toFixed(4)}` +
        `${summary.resumed ? `; ${summary.done - summary.written} from an earlier run, ${summary.written} this run` : ''}\n`,
    );
    if (example) process.stdout.write(`e.g. ${example}\n`);
  }
} catch (error) {
  if (tty) process.stdout.write('\n');
  if (error instanceof JobCancelledError) {
    process.stdout.write(
      `stopped with ${error.summary.done} documents summarised (results so far in ${output}); run the same command again to continue\n`,
    );
    process.exitCode = 130;
  } else if (
    isGeminiLanesError(error, 'ERR_JOB_INPUT_CHANGED') ||
    isGeminiLanesError(error, 'ERR_JOB_OUTPUT_EXISTS')
  ) {
    process.stderr.write(`batch-summariser: ${error.message} (here: --overwrite)\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `batch-summariser: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
} finally {
  await lane.close();
  await sdk.shutdown();
  await emulator?.close();
}
