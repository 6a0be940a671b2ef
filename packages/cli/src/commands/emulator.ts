import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type EmulatorHandle,
  type EmulatorOptions,
  PROFILE_NAMES,
  type ProfileName,
  startEmulator,
} from '@gemini-lanes/emulator';
import type { Command, CommandContext } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';

/** How a caller other than a terminal ends the command (tests, embedding programs). */
export interface EmulatorCommandHooks {
  /** Aborting it stops the emulator as SIGINT would; without it, SIGINT and SIGTERM do. */
  stop?: AbortSignal;
  /** Called once the emulator listens. */
  onListening?: (handle: EmulatorHandle) => void;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min} to ${max} (got ${value})`,
      'emulator',
    );
  }
  return n;
}

async function optionsFile(cwd: string, path: string): Promise<EmulatorOptions> {
  const file = resolve(cwd, path);
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`--options: no such file: ${file}`, 'emulator');
  }
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    throw new Error(
      `${file}: not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${file}: must hold a JSON object of emulator options`);
  }
  // startEmulator validates every field and names the bad one.
  return value as EmulatorOptions;
}

/** Command-line flags over the options file over the command's defaults. */
async function emulatorOptions({ io, options }: CommandContext): Promise<EmulatorOptions> {
  const fromFile =
    text(options.options) === undefined
      ? {}
      : await optionsFile(io.cwd, text(options.options) ?? '');
  const merged: EmulatorOptions = { port: 8089, ...fromFile };
  const port = text(options.port);
  if (port !== undefined) merged.port = integer('port', port, 0, 65_535);
  const host = text(options.host);
  if (host !== undefined) merged.host = host;
  const profile = text(options.profile);
  if (profile !== undefined) {
    if (!(PROFILE_NAMES as readonly string[]).includes(profile)) {
      throw new UsageError(
        `--profile must be one of ${PROFILE_NAMES.join(', ')} (got ${profile})`,
        'emulator',
      );
    }
    merged.profile = profile as ProfileName;
  }
  const seed = text(options.seed);
  if (seed !== undefined)
    merged.seed = integer('seed', seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const speed = text(options.speed);
  if (speed !== undefined) {
    const n = Number(speed);
    if (speed.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new UsageError(`--speed must be a number > 0 (got ${speed})`, 'emulator');
    }
    merged.speed = n;
  }
  if (options.tls === true) merged.network = { ...merged.network, tls: true };
  return merged;
}

/** Resolves when the caller's signal aborts or the process gets SIGINT/SIGTERM. */
function stopRequested(stop: AbortSignal | undefined): { done: Promise<void>; dispose(): void } {
  let release = () => {};
  const done = new Promise<void>((resolveStop) => {
    if (stop !== undefined) {
      if (stop.aborted) resolveStop();
      stop.addEventListener('abort', () => resolveStop(), { once: true });
      return;
    }
    const onSignal = () => resolveStop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    release = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  });
  return { done, dispose: () => release() };
}

/** The `emulator` command, stopped by `hooks.stop` when given, otherwise by SIGINT/SIGTERM. */
export function createEmulatorCommand(hooks: EmulatorCommandHooks = {}): Command {
  return {
    name: 'emulator',
    summary: 'Run the Gemini API emulator (latency model, project quota, faults) until stopped.',
    usage:
      'emulator [--port <n>] [--host <addr>] [--profile <name>] [--seed <n>] [--speed <x>] [--tls] [--options <file>]',
    description: `Serves the Gemini API on HTTP for the unmodified @google/genai client (point
httpOptions.baseUrl at the printed URL): generateContent, streamGenerateContent (SSE),
countTokens, embeddings, function calling, the Batch API and the Files API, with a latency
model per model, the project's quota (429 with RetryInfo), optional faults and network delays.
POST /emulator/control changes latency, faults and quota while it runs; /metrics serves its
counters. --options reads a JSON file of emulator options (models, quota, network, faults,
batch, ...); flags given on the command line win over it. Runs until Ctrl+C (SIGINT) or
SIGTERM, then closes every connection and exits 0.`,
    options: {
      port: {
        type: 'string',
        short: 'p',
        valueName: '<n>',
        description: 'port to listen on; 0 picks a free one (default 8089)',
      },
      host: {
        type: 'string',
        valueName: '<addr>',
        description: 'address to listen on (default 127.0.0.1)',
      },
      profile: {
        type: 'string',
        valueName: '<name>',
        description: `latency profile: ${PROFILE_NAMES.join(' or ')} (no latency at all) (default default)`,
      },
      seed: {
        type: 'string',
        valueName: '<n>',
        description: 'seed of every random draw; a seed replays a run (default 1)',
      },
      speed: {
        type: 'string',
        valueName: '<x>',
        description: 'divides every time constant, quota windows included (default 1: real time)',
      },
      tls: {
        type: 'boolean',
        description: 'serve HTTPS with a self-signed certificate made at start (needs openssl)',
      },
      options: {
        type: 'string',
        valueName: '<file>',
        description: 'JSON file of emulator options',
      },
    },
    examples: [
      'gemini-lanes emulator',
      'gemini-lanes emulator --port 0 --profile zero --speed 100',
      'gemini-lanes emulator --seed 7 --options emulator.json',
      `curl -X POST localhost:8089/emulator/control -d '{"latencyMultiplier":3}'`,
    ],
    async run(context) {
      const { io } = context;
      const options = await emulatorOptions(context);
      const stop = stopRequested(hooks.stop);
      let handle: EmulatorHandle;
      try {
        handle = await startEmulator(options);
      } catch (error) {
        stop.dispose();
        const code = (error as { code?: unknown }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new Error(
            `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port} (${String(code)})`,
          );
        }
        throw error;
      }
      try {
        const o = handle.options;
        io.stdout.write(
          [
            `Gemini API emulator listening on ${handle.url}`,
            `  profile ${o.profile}, seed ${o.seed}, speed ${o.speed}, quota ${o.quotaEnabled ? 'on' : 'off'}`,
            `  models: ${Object.keys(o.models).join(', ')}`,
            `  client: new GoogleGenAI({ apiKey: 'any', httpOptions: { baseUrl: '${handle.url}', apiVersion: 'v1beta' } })`,
            `  control: POST ${handle.url}/emulator/control   metrics: ${handle.url}/metrics`,
            hooks.stop ? '' : 'Press Ctrl+C to stop.',
          ]
            .filter((line) => line !== '')
            .map((line) => `${line}\n`)
            .join(''),
        );
        hooks.onListening?.(handle);
        await stop.done;
      } finally {
        stop.dispose();
        await handle.close();
      }
      const stats = handle.stats();
      io.stdout.write(
        `emulator stopped after ${stats.requests} request(s) on ${stats.connectionsAccepted} connection(s)\n`,
      );
      return ExitCode.ok;
    },
  };
}

/** `gemini-lanes emulator`: runs until SIGINT or SIGTERM. */
export const emulatorCommand: Command = createEmulatorCommand();
