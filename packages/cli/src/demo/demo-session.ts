import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { GeminiLanesConfig } from '@gemini-lanes/core';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { startMixedService } from '@gemini-lanes/example-mixed-service';
import { createTelemetry } from '@gemini-lanes/otel';
import { register } from '@gemini-lanes/otel/register';
import type { CliIo } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { writeBatchInput } from './batch-input.js';
import { BatchJobDriver } from './batch-job.js';
import { writeDemoArtifacts } from './demo-artifacts.js';
import {
  BATCH_SIZE,
  DEMO_EMBEDDING_MODEL,
  demoEmulatorOptions,
  UPSTREAM_QUOTA_HEADROOM,
} from './demo-scenario.js';
import { laneSnapshot } from './lane-snapshot.js';
import { clock, LiveView, type ViewOutput } from './live-view.js';
import { LoadGenerator } from './load-generator.js';
import { InMemoryMetricReader } from './metric-reader.js';
import { RollingStats } from './rolling-stats.js';
import { renderSummary } from './run-summary.js';
import { stopSignal } from './stop-signal.js';

/** What the command line decided. */
export interface DemoSettings {
  config: GeminiLanesConfig;
  /** `--config` file, or undefined for the demo's own configuration. */
  configFile: string | undefined;
  /** Undefined: until Ctrl-C. */
  durationMs: number | undefined;
  /** How the duration was given, for the summary (`--duration 1m`). */
  durationText: string;
  /** Interactive requests per second. */
  load: number;
  seed: number;
  /** The Gemini API key with `--real`; undefined runs the emulator. */
  realApiKey: string | undefined;
  metricsPort: number;
  /** Absolute output directory. */
  out: string;
  /** The command that runs the demo again on the same files. */
  rerun: string;
}

/** How a caller other than a terminal drives the demo (tests, embedding programs). */
export interface DemoHooks {
  /** Aborting it stops the demo as Ctrl-C would; without it, SIGINT and SIGTERM do. */
  stop?: AbortSignal;
  /** Called once the service serves and the load has started. */
  onRunning?: (urls: { service: string; metrics: string | undefined }) => void;
  /** How a second Ctrl-C ends the process; default `process.exit`. */
  exit?: (code: number) => void;
}

const TICK_MS = 1000;
/** How long requests under way at the end may take to finish before they are cut. */
const LOAD_GRACE_MS = 1500;

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : `.${sep}${rel}`;
}

function upstreamText(
  config: GeminiLanesConfig,
  emulator: EmulatorHandle | undefined,
  seed: number,
) {
  if (emulator === undefined) {
    const where = config.lanes.latency.endpoints[0]?.url ?? 'the Gemini API';
    return `${where}, with your GEMINI_API_KEY: every call is billed to its project`;
  }
  const model = config.lanes.latency.models[0] ?? '';
  const q = config.quota.models[model];
  const quota =
    q === undefined
      ? ''
      : `, the service's ${model} quota ${count(q.rpm)} rpm and ${count(q.inputTpm)} input tokens/min (the project has ${UPSTREAM_QUOTA_HEADROOM}×)`;
  return `the Gemini API emulator on ${emulator.url}: realistic latency${quota}, 1.5% injected 5xx, seed ${seed}`;
}

/**
 * The demo: the emulator (or the Gemini API), the example service with both lanes behind the
 * router, instrumented and served to Prometheus, a mixed load over HTTP and a batch job, a live
 * view once a second, and at the end (duration, Ctrl-C, SIGTERM or `hooks.stop`) a summary.
 * Everything it starts is closed before it returns, so the process exits by itself.
 */
export async function runDemo(
  settings: DemoSettings,
  io: CliIo,
  hooks: DemoHooks = {},
): Promise<ExitCode> {
  const { config, out, seed } = settings;
  const view = new LiveView(io.stdout as ViewOutput);
  const exit = hooks.exit ?? ((code: number) => process.exit(code));
  const stop = stopSignal({
    signal: hooks.stop,
    onSecondInterrupt: () => {
      view.finish();
      io.stdout.write(
        '\nsecond Ctrl-C: exiting now (the batch job resumes from its last checkpoint)\n',
      );
      exit(130);
    },
  });
  const cleanup: Array<() => Promise<void>> = [];
  const timers: NodeJS.Timeout[] = [];
  const closeAll = async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  };
  try {
    const real = settings.realApiKey !== undefined;
    const target = `127.0.0.1:${settings.metricsPort === 0 ? 9464 : settings.metricsPort}`;
    const artifacts = await writeDemoArtifacts(out, config, target);
    const model = config.lanes.throughput.models[0] ?? 'gemini-2.5-flash-lite';
    const jobTotal = real ? BATCH_SIZE.real : BATCH_SIZE.emulator;
    const input = join('batch', 'input.jsonl');
    const output = join('batch', 'results.jsonl');
    await writeBatchInput(join(out, input), { count: jobTotal, seed, model });
    const resuming = existsSync(join(out, `${output}.ckpt`));

    let emulator: EmulatorHandle | undefined;
    if (!real) {
      emulator = await startEmulator(demoEmulatorOptions(config, seed));
      cleanup.push(() => (emulator as EmulatorHandle).close());
    }
    const reader = new InMemoryMetricReader();
    let sdk: Awaited<ReturnType<typeof register>>;
    try {
      sdk = await register({
        serviceName: config.service,
        prometheus: { host: '127.0.0.1', port: settings.metricsPort },
        metricReaders: [reader],
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        throw new Error(
          `cannot serve metrics on 127.0.0.1:${settings.metricsPort} (${String(code)}): is another demo or service running? --metrics-port 0 picks a free port`,
        );
      }
      throw error;
    }
    cleanup.push(() => sdk.shutdown());
    const telemetry = createTelemetry(config, {
      meterProvider: sdk.meterProvider,
      tracerProvider: sdk.tracerProvider,
    });
    // Unexpected service errors: on stderr as they happen, except on a terminal, where the view
    // is redrawn over them; there the first few are kept for the summary.
    const serviceErrors = { count: 0, kept: [] as string[] };
    const service = await startMixedService({
      config,
      telemetry,
      apiKey: settings.realApiKey ?? 'emulator',
      baseUrl: emulator?.url,
      host: '127.0.0.1',
      port: 0,
      filesRoot: out,
      embeddingModel: DEMO_EMBEDDING_MODEL,
      log: (message, error) => {
        serviceErrors.count += 1;
        const line = `service: ${message}: ${error instanceof Error ? error.message : String(error)}`;
        if (!view.interactive) io.stderr.write(`${line}\n`);
        else if (serviceErrors.kept.length < 5) serviceErrors.kept.push(line);
      },
    });
    cleanup.push(() => service.close());

    const until =
      settings.durationMs === undefined
        ? 'until Ctrl-C'
        : `for ${clock(settings.durationMs)} (${settings.durationText}) or until Ctrl-C`;
    io.stdout.write(
      [
        'gemini-lanes demo: the example service (examples/mixed-service), both lanes behind the router',
        `  service    ${service.url}  (POST /chat, /generate, /embed, /jobs: try it with curl while it runs)`,
        `  upstream   ${upstreamText(config, emulator, seed)}`,
        `  metrics    ${sdk.prometheusUrl ?? 'not served'}  (Prometheus text, while the demo runs)`,
        `  generated  ${[artifacts.dashboardsDir, artifacts.alertsDir].map((d) => `${shown(d, io.cwd)}${sep}`).join(', ')}, ${shown(artifacts.prometheusConfig, io.cwd)}  (${settings.configFile === undefined ? 'the demo configuration' : shown(settings.configFile, io.cwd)})`,
        `  batch job  ${count(jobTotal)} summaries from ${shown(join(out, input), io.cwd)}${resuming ? ', resuming from its checkpoint' : ''}`,
        `  runs       ${until}`,
        '',
      ].join('\n'),
    );

    const embeddingModel =
      config.quota.models[DEMO_EMBEDDING_MODEL] === undefined ? undefined : DEMO_EMBEDDING_MODEL;
    const load = new LoadGenerator({
      serviceUrl: service.url,
      ratePerSecond: settings.load,
      seed,
      model: config.lanes.latency.models[0] ?? model,
      embeddingModel,
    });
    const job = new BatchJobDriver({
      serviceUrl: service.url,
      input,
      output,
      total: jobTotal,
      resuming,
      // Against a billed upstream the job runs once; against the emulator it starts over.
      repeat: !real,
    });
    await job.start();
    const rolling = new RollingStats();
    const startedAt = Date.now();
    rolling.push(startedAt, laneSnapshot(await reader.read()));
    load.start();
    hooks.onRunning?.({ service: service.url, metrics: sdk.prometheusUrl });
    if (settings.durationMs !== undefined) {
      const durationText = settings.durationText;
      timers.push(setTimeout(() => stop.stop(durationText), settings.durationMs));
    }
    const frameBase = {
      durationMs: settings.durationMs,
      sla: {
        ttftMs: config.lanes.latency.sla.ttftMs,
        durationMs: config.lanes.latency.sla.durationMs,
      },
      upstream: real ? 'Gemini API' : `emulator, seed ${seed}`,
    };
    let stopping = false;
    let ticking: Promise<void> | undefined;
    const tick = async () => {
      const [metrics] = await Promise.all([reader.read(), job.poll().catch(() => undefined)]);
      if (stopping) return;
      const now = Date.now();
      rolling.push(now, laneSnapshot(metrics));
      view.draw({
        ...frameBase,
        elapsedMs: now - startedAt,
        stats: rolling.stats(),
        job: job.line(),
        load: load.describe(now),
      });
    };
    const ticker = setInterval(() => {
      // A slow collection skips a frame rather than piling up.
      ticking ??= tick().finally(() => {
        ticking = undefined;
      });
    }, TICK_MS);
    timers.push(ticker);

    const stoppedBy = await stop.requested;
    stopping = true;
    clearInterval(ticker);
    await ticking;
    view.finish();
    const elapsedMs = Date.now() - startedAt;
    io.stdout.write(
      `\nstopping (${stoppedBy}): letting requests finish, cancelling the batch job at a checkpoint, closing everything\n`,
    );
    await load.stop(LOAD_GRACE_MS);
    const finalJob = await job.cancel().catch(() => job.status);
    const totals = laneSnapshot(await reader.read());
    await closeAll();
    io.stdout.write(
      `\n${renderSummary({
        elapsedMs,
        stoppedBy,
        sla: frameBase.sla,
        totals,
        clients: load.stats(),
        job: finalJob,
        jobTotal,
        jobRunsFinished: job.finishedRuns,
        artifacts,
        metricsUrl: sdk.prometheusUrl,
        prometheusTarget: target,
        rerun: settings.rerun,
        serviceErrors,
        cwd: io.cwd,
      }).join('\n')}\n`,
    );
    return ExitCode.ok;
  } finally {
    for (const timer of timers) clearTimeout(timer);
    view.finish();
    try {
      await closeAll();
    } finally {
      stop.dispose();
    }
  }
}
