import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RULE_FILE_NAMES, ruleFiles } from '@gemini-lanes/alerts';
import { type GeminiLanesConfig, serviceJob } from '@gemini-lanes/core';
import { type EmulatorHandle, type EmulatorOptions, startEmulator } from '@gemini-lanes/emulator';
import { localAlertmanagerConfig, type NotificationTimings } from './alertmanager-config.ts';
import { type AlertmanagerServer, startAlertmanager } from './alertmanager-server.ts';
import { type ServiceUnderTest, startServiceUnderTest } from './e2e-service.ts';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';
import { pollUntil } from './poll.ts';
import { type PrometheusServer, startPrometheus } from './prometheus-server.ts';
import type { ServiceBinaries } from './service-binaries.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

/** Everything the end-to-end test runs, each on a free port of 127.0.0.1. */
export interface E2eEnvironment {
  /** The temp dir holding the Prometheus and Alertmanager configuration and data. */
  readonly dir: string;
  /** The scrape job of the service: `serviceJob(config)`. */
  readonly job: string;
  /** The main emulator: the throughput lane's upstream and the latency lane's first endpoint. */
  readonly emulator: EmulatorHandle;
  /** The spare emulator: the latency lane's second endpoint. */
  readonly spareEmulator: EmulatorHandle;
  readonly service: ServiceUnderTest;
  readonly prometheus: PrometheusServer;
  readonly alertmanager: AlertmanagerServer;
  /** Alertmanager's receivers (`/page`, `/ticket`). */
  readonly webhook: WebhookReceiver;
  readonly otlp: OtlpReceiver;
  /** The output of Prometheus and Alertmanager and the event loop's delays, for a failure message. */
  diagnostics(): string;
  /** Stops everything that was started, in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

export interface E2eEnvironmentOptions {
  binaries: ServiceBinaries;
  /** The configuration; its latency lane lists two endpoints, whose URLs are placeholders. */
  config: GeminiLanesConfig;
  emulatorOptions: EmulatorOptions;
  spareEmulatorOptions: EmulatorOptions;
  apiKey: string;
  /** Scrape and rule evaluation interval. */
  intervalSeconds: number;
  notificationTimings: NotificationTimings;
}

/** Stops, in reverse order, what was started; collects every failure instead of stopping at the first. */
class StopStack {
  readonly #entries: Array<{ name: string; stop: () => Promise<void> }> = [];

  push(name: string, stop: () => Promise<void>): void {
    this.#entries.push({ name, stop });
  }

  async stopAll(): Promise<void> {
    const failures: string[] = [];
    for (const { name, stop } of this.#entries.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length > 0) throw new Error(`teardown failed:\n${failures.join('\n')}`);
  }
}

/**
 * The configuration with the latency lane's endpoints pointed at the emulators, in order (the
 * test's configuration lists them with placeholder URLs: the emulators listen on free ports).
 */
function withLatencyUpstreams(
  config: GeminiLanesConfig,
  urls: readonly string[],
): GeminiLanesConfig {
  const { endpoints } = config.lanes.latency;
  if (endpoints.length !== urls.length) {
    throw new Error(
      `the test's lanes.latency.endpoints lists ${endpoints.length} endpoints; the environment starts ${urls.length} emulators for them`,
    );
  }
  const latency = {
    ...config.lanes.latency,
    endpoints: endpoints.map((endpoint, i) => ({ ...endpoint, url: urls[i] as string })),
  };
  return { ...config, lanes: { ...config.lanes, latency } };
}

/**
 * Starts the emulators (the main one and the latency lane's spare endpoint), the service (in
 * this process), a webhook receiver standing in for the pager and the ticket queue, an OTLP
 * receiver, Alertmanager with the generated routing and Prometheus with the generated rules
 * scraping the service, and resolves once Prometheus has scraped the service. On any failure,
 * stops what it started before rethrowing.
 * `E2E_KEEP_TMP=1` keeps the temp dir (configuration, rules, TSDB) for a post-mortem.
 */
export async function startE2eEnvironment(options: E2eEnvironmentOptions): Promise<E2eEnvironment> {
  const stack = new StopStack();
  const dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-e2e-'));
  stack.push('temp dir', async () => {
    if (process.env.E2E_KEEP_TMP === '1') {
      process.stderr.write(`[e2e] kept ${dir}\n`);
      return;
    }
    await rm(dir, { recursive: true, force: true });
  });
  let prometheus: PrometheusServer | undefined;
  let alertmanager: AlertmanagerServer | undefined;
  // A stall of this process delays every timer in it (the emulators' too): worth knowing when a
  // timing-sensitive assertion fails.
  const eventLoop = monitorEventLoopDelay({ resolution: 10 });
  eventLoop.enable();
  stack.push('event loop monitor', async () => {
    eventLoop.disable();
  });
  const diagnostics = () =>
    [
      `--- event loop delay: max ${(eventLoop.max / 1e6).toFixed(0)} ms, p99 ${(eventLoop.percentile(99) / 1e6).toFixed(0)} ms ---`,
      ...[prometheus?.process, alertmanager?.process]
        .filter((p) => p !== undefined)
        .map((p) => `--- ${p.name} (${p.exitStatus ?? 'running'}) ---\n${p.output().slice(-4000)}`),
    ].join('\n');
  try {
    const { config } = options;
    const job = serviceJob(config);
    const files = ruleFiles(config);

    const webhook = await startWebhookReceiver();
    stack.push('webhook receiver', () => webhook.close());
    const otlp = await startOtlpReceiver();
    stack.push('OTLP receiver', () => otlp.close());
    const emulator = await startEmulator(options.emulatorOptions);
    stack.push('emulator', () => emulator.close());
    const spareEmulator = await startEmulator(options.spareEmulatorOptions);
    stack.push('spare emulator', () => spareEmulator.close());
    const service = await startServiceUnderTest({
      config: withLatencyUpstreams(config, [emulator.url, spareEmulator.url]),
      upstreamUrl: emulator.url,
      apiKey: options.apiKey,
      otlpTracesUrl: otlp.tracesUrl,
    });
    stack.push('service', () => service.close());

    const am = await startAlertmanager({
      binary: options.binaries.alertmanager,
      dir: join(dir, 'alertmanager'),
      configYaml: localAlertmanagerConfig(
        files[RULE_FILE_NAMES.alertmanager],
        webhook.url,
        options.notificationTimings,
      ),
    });
    alertmanager = am;
    stack.push('alertmanager', () => am.stop());
    const prom = await startPrometheus({
      binary: options.binaries.prometheus,
      dir: join(dir, 'prometheus'),
      intervalSeconds: options.intervalSeconds,
      targets: [{ job, address: service.metricsAddress }],
      ruleFiles: { [RULE_FILE_NAMES.rules]: files[RULE_FILE_NAMES.rules] },
      alertmanager: am.address,
    });
    prometheus = prom;
    stack.push('prometheus', () => prom.stop());

    await pollUntil(
      () => prom.api.targets(),
      (targets) => targets.some((t) => t.labels.job === job && t.health === 'up'),
      { timeoutMs: 30_000, description: `Prometheus to scrape job ${job}` },
    );
    return {
      dir,
      job,
      emulator,
      spareEmulator,
      service,
      prometheus: prom,
      alertmanager: am,
      webhook,
      otlp,
      diagnostics,
      stop: () => stack.stopAll(),
    };
  } catch (error) {
    const seen = diagnostics();
    await stack.stopAll().catch(() => {});
    if (error instanceof Error && seen !== '') error.message += `\n${seen}`;
    throw error;
  }
}
