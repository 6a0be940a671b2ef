import { resolve } from 'node:path';
import type { Command, CommandContext } from '../command.js';
import { parseDemoDuration } from '../demo/demo-duration.js';
import { DEFAULT_LOAD, demoConfig, NON_TTY_DURATION_MS } from '../demo/demo-scenario.js';
import { type DemoHooks, type DemoSettings, runDemo } from '../demo/demo-session.js';
import { resolveConfig } from '../resolve-config.js';
import { UsageError } from '../usage-error.js';

export type { DemoHooks } from '../demo/demo-session.js';

const DEFAULT_OUT = 'gemini-lanes-demo';

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function usage(message: string): UsageError {
  return new UsageError(message, 'demo');
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw usage(`--${name} must be an integer from ${min} to ${max} (got ${value})`);
  }
  return n;
}

/** A shell word, quoted only when it needs to be. */
function word(value: string): string {
  return /^[\w./:=@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function settingsOf({ io, options }: CommandContext): Promise<DemoSettings> {
  const real = options.real === true;
  const apiKey = io.env.GEMINI_API_KEY?.trim();
  if (real && !apiKey) {
    throw usage(
      '--real talks to the Gemini API and needs its key in GEMINI_API_KEY (export GEMINI_API_KEY=...); without --real the demo runs against the embedded emulator',
    );
  }
  const durationOption = text(options.duration);
  let durationMs: number | undefined;
  let durationText: string;
  if (durationOption !== undefined) {
    durationMs = parseDemoDuration(durationOption);
    if (durationMs === undefined) {
      throw usage(`--duration must be a time such as 30s, 2m or 1m30s (got ${durationOption})`);
    }
    durationText = `--duration ${durationOption}`;
  } else if (io.stdout.isTTY === true) {
    durationText = 'Ctrl-C';
  } else {
    // Not a terminal (CI, a pipe): nobody is there to press Ctrl-C.
    durationMs = NON_TTY_DURATION_MS;
    durationText = 'the default 60 s when not on a terminal';
  }
  const loadOption = text(options.load);
  let load: number = real ? DEFAULT_LOAD.real : DEFAULT_LOAD.emulator;
  if (loadOption !== undefined) {
    load = Number(loadOption);
    if (loadOption.trim() === '' || !Number.isFinite(load) || load <= 0 || load > 500) {
      throw usage(
        `--load must be a number of requests per second, > 0 and <= 500 (got ${loadOption})`,
      );
    }
  }
  const seedOption = text(options.seed);
  const seed = seedOption === undefined ? 1 : integer('seed', seedOption, 0, 2 ** 31 - 1);
  const portOption = text(options['metrics-port']);
  const metricsPort =
    portOption === undefined ? 9464 : integer('metrics-port', portOption, 0, 65_535);
  const outOption = text(options.out) ?? DEFAULT_OUT;
  const configOption = text(options.config);
  const { config, file } =
    configOption === undefined
      ? { config: demoConfig(), file: undefined }
      : await resolveConfig(io.cwd, configOption);
  const rerun = [
    'gemini-lanes demo',
    ...(outOption === DEFAULT_OUT ? [] : ['--out', word(outOption)]),
    ...(seed === 1 ? [] : ['--seed', String(seed)]),
    ...(configOption === undefined ? [] : ['--config', word(configOption)]),
  ].join(' ');
  return {
    config,
    configFile: file,
    durationMs,
    durationText,
    load,
    seed,
    realApiKey: real ? apiKey : undefined,
    metricsPort,
    out: resolve(io.cwd, outOption),
    rerun,
  };
}

/** The `demo` command; `hooks` let tests and other programs stop it and watch it start. */
export function createDemoCommand(hooks: DemoHooks = {}): Command {
  return {
    name: 'demo',
    summary:
      'Run the example service on both lanes under a mixed load against the emulator, with a live view.',
    usage:
      'demo [--duration <time>] [--load <rps>] [--seed <n>] [--real] [--metrics-port <n>] [--out <dir>] [--config <file>]',
    description: `Starts the Gemini API emulator, the example service (examples/mixed-service: a latency
lane and a throughput lane behind the router, instrumented, metrics served to Prometheus on
127.0.0.1) and drives it over HTTP like its users would: Poisson arrivals of chat streams and
unary calls (some repeated at temperature 0), a burst every 20 to 30 s that the latency lane
cannot all admit in time, embeddings, and a background batch job of 3,000 summaries. Once a
second it shows, per lane, time to first chunk p50/p95/p99 against the SLA, queue depth,
rejections, tokens per second, cost per hour, cache hit ratio and quota utilisation: redrawn in
place on a terminal, one plain line per second otherwise (CI). It stops at --duration or on
Ctrl-C (a second Ctrl-C exits at once), cancels the batch job at a checkpoint (the next run with
the same --out resumes it) and prints a summary. The Grafana dashboards, Prometheus rules and a
prometheus.yml for the demo's configuration are written to --out.

The demo configuration gives the service a quota the load presses on (Flash-Lite 1,500 rpm
and 600,000 input tokens a minute, a quarter reserved for the latency lane; the emulated
project has twice that), and the emulator injects 1.5% 5xx. With
--real and GEMINI_API_KEY the lanes call the Gemini API instead: that is billed, so the default
load drops to 1 request a second and the batch job to 50 requests.`,
    options: {
      duration: {
        type: 'string',
        short: 'd',
        valueName: '<time>',
        description:
          'how long to run: 30s, 2m, 1m30s (default: until Ctrl-C on a terminal, 60s otherwise)',
      },
      load: {
        type: 'string',
        valueName: '<rps>',
        description: `interactive requests per second (default ${DEFAULT_LOAD.emulator}; ${DEFAULT_LOAD.real} with --real)`,
      },
      seed: {
        type: 'string',
        valueName: '<n>',
        description: 'seed of the load, the batch input and the emulator (default 1)',
      },
      real: {
        type: 'boolean',
        description: 'call the Gemini API with GEMINI_API_KEY instead of the emulator (billed)',
      },
      'metrics-port': {
        type: 'string',
        valueName: '<n>',
        description:
          'port of the Prometheus endpoint on 127.0.0.1; 0 picks a free one (default 9464)',
      },
      out: {
        type: 'string',
        short: 'o',
        valueName: '<dir>',
        description: `where the dashboards, rules, prometheus.yml and the batch job's files go (default ./${DEFAULT_OUT})`,
      },
      config: {
        type: 'string',
        short: 'c',
        valueName: '<file>',
        description:
          'run the lanes with this configuration instead of the demo one (no discovery: the demo is tuned to its own quota)',
      },
    },
    examples: [
      'gemini-lanes demo',
      'gemini-lanes demo --duration 2m --load 10',
      'gemini-lanes demo --duration 30s --metrics-port 0 --out /tmp/demo > demo.log',
      'GEMINI_API_KEY=... gemini-lanes demo --real --duration 1m',
    ],
    async run(context) {
      return runDemo(await settingsOf(context), context.io, hooks);
    },
  };
}

/** `gemini-lanes demo`: runs until `--duration` or Ctrl-C. */
export const demoCommand: Command = createDemoCommand();
