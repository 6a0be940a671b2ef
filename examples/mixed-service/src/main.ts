/**
 * The example service as a program: `pnpm --filter @gemini-lanes/example-mixed-service start`.
 * Talks to the Gemini API when GEMINI_API_KEY is set, else to the embedded emulator; serves
 * Prometheus metrics on 127.0.0.1:9464 and the API on 127.0.0.1:8080 until Ctrl+C.
 */
import { parseArgs } from 'node:util';
import type { GeminiLanesConfig } from '@gemini-lanes/core';
import { loadConfigFile } from '@gemini-lanes/core/load';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { createTelemetry } from '@gemini-lanes/otel';
import { register } from '@gemini-lanes/otel/register';
import { startMixedService } from './mixed-service.js';
import { serviceConfig } from './service-config.js';

const USAGE = `usage: node dist/main.js [--host <addr>] [--port <n>] [--metrics-port <n>] [--config <file>] [--seed <n>]
  --host          address of the API and the metrics endpoint (env HOST; default 127.0.0.1)
  --port          API port (env PORT; default 8080; 0 picks a free one)
  --metrics-port  Prometheus port (env METRICS_PORT; default 9464)
  --config        a gemini-lanes configuration file (default: src/service-config.ts)
  --seed          the emulator's seed (default 1)
GEMINI_API_KEY set: the lanes call the Gemini API; unset: the embedded emulator.
`;

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new RangeError(`${name} must be a port number (got ${value})`);
  }
  return n;
}

/** The emulator enforces the configured quota, so the lanes meet the limits they plan for. */
function emulatorQuota(config: GeminiLanesConfig) {
  return Object.fromEntries(
    Object.entries(config.quota.models).map(([model, q]) => [
      model,
      { rpm: q.rpm, inputTpm: q.inputTpm, rpd: q.rpd },
    ]),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'metrics-port': { type: 'string' },
      config: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const env = process.env;
  const host = values.host ?? env.HOST ?? '127.0.0.1';
  const apiPort = port('--port', values.port ?? env.PORT, 8080);
  const metricsPort = port('--metrics-port', values['metrics-port'] ?? env.METRICS_PORT, 9464);
  const config = values.config ? await loadConfigFile(values.config) : serviceConfig;
  const apiKey = env.GEMINI_API_KEY;

  // Everything started so far, closed in reverse order on the way out (also after a failed start).
  const started: Array<() => Promise<void>> = [];
  try {
    let emulator: EmulatorHandle | undefined;
    if (!apiKey) {
      emulator = await startEmulator({
        seed: values.seed === undefined ? 1 : Number(values.seed),
        quota: emulatorQuota(config),
      });
      started.push(() => (emulator as EmulatorHandle).close());
    }
    const sdk = await register({
      serviceName: config.service,
      prometheus: { host, port: metricsPort },
    });
    started.push(() => sdk.shutdown());
    const telemetry = createTelemetry(config, {
      meterProvider: sdk.meterProvider,
      tracerProvider: sdk.tracerProvider,
    });
    const service = await startMixedService({
      config,
      telemetry,
      host,
      port: apiPort,
      apiKey: apiKey ?? 'emulator',
      baseUrl: emulator?.url,
    });
    started.push(() => service.close());
    const shown = service.url.replace('127.0.0.1', 'localhost');
    process.stdout.write(
      [
        `mixed-service listening on ${service.url}`,
        `  upstream: ${emulator ? `the Gemini API emulator on ${emulator.url} (GEMINI_API_KEY is not set)` : 'the Gemini API (GEMINI_API_KEY)'}`,
        `  metrics:  ${sdk.prometheusUrl ?? 'not served'}`,
        `  try:      curl -N ${shown}/chat -d '{"prompt":"Tell me about lanes"}'`,
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        // A second Ctrl+C while closing exits at once.
        process.once('SIGINT', () => process.exit(130));
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stdout.write('stopping: letting requests finish, cancelling jobs (checkpoints stay)\n');
  } finally {
    for (const close of started.reverse()) await close();
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    const hint =
      code === 'EADDRINUSE'
        ? ' (the port is in use: choose another with --port or --metrics-port)'
        : '';
    const usage = error instanceof RangeError || error instanceof TypeError ? `\n${USAGE}` : '\n';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mixed-service: ${message}${hint}${usage}`);
    process.exitCode = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1;
  },
);
