import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port.ts';
import { ManagedProcess, portTaken } from './managed-process.ts';
import { PrometheusApi } from './prometheus-api.ts';

/** One scrape job with one target. */
export interface ScrapeTarget {
  /** The `job` label: the service name the dashboards and rules select on. */
  job: string;
  /** `host:port` of the metrics endpoint. */
  address: string;
  /** Default `/metrics`. */
  metricsPath?: string;
}

export interface PrometheusServerOptions {
  /** The `prometheus` binary. */
  binary: string;
  /** A directory of its own: configuration, rule files and the TSDB go here. */
  dir: string;
  /** Scrape and rule evaluation interval, in seconds. */
  intervalSeconds: number;
  targets: readonly ScrapeTarget[];
  /** Rule files by name, as YAML text. */
  ruleFiles: Readonly<Record<string, string>>;
  /** `host:port` of the Alertmanager alerts are sent to. */
  alertmanager?: string;
}

/** A real Prometheus the test started. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly api: PrometheusApi;
  readonly process: ManagedProcess;
  /** The `prometheus.yml` it runs with. */
  readonly configFile: string;
  stop(): Promise<void>;
}

function configYaml(options: PrometheusServerOptions, ruleFiles: string[]): string {
  const interval = `${options.intervalSeconds}s`;
  // A scrape must end before the next starts; Prometheus refuses a timeout above the interval.
  const timeout = `${Math.round(options.intervalSeconds * 800)}ms`;
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: timeout, evaluation_interval: interval },
    rule_files: ruleFiles,
    ...(options.alertmanager === undefined
      ? {}
      : {
          alerting: {
            alertmanagers: [
              { api_version: 'v2', static_configs: [{ targets: [options.alertmanager] }] },
            ],
          },
        }),
    scrape_configs: options.targets.map((t) => ({
      job_name: t.job,
      metrics_path: t.metricsPath ?? '/metrics',
      static_configs: [{ targets: [t.address] }],
    })),
  });
}

/**
 * Starts Debian's Prometheus on a free port of 127.0.0.1 with the given scrape targets and rule
 * files, its TSDB in `dir`, and resolves once `/-/ready` answers. A port another process took
 * in the meantime is retried with a new one.
 */
export async function startPrometheus(options: PrometheusServerOptions): Promise<PrometheusServer> {
  await mkdir(options.dir, { recursive: true });
  const ruleFiles: string[] = [];
  for (const [name, text] of Object.entries(options.ruleFiles)) {
    const path = join(options.dir, name);
    await writeFile(path, text);
    ruleFiles.push(path);
  }
  const configFile = join(options.dir, 'prometheus.yml');
  await writeFile(configFile, configYaml(options, ruleFiles));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    try {
      const process = await ManagedProcess.start({
        name: 'prometheus',
        command: options.binary,
        args: [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(options.dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-lifecycle',
          // A test's data never needs keeping; the default (15d) only matters for disk use.
          '--storage.tsdb.retention.time=1d',
        ],
        cwd: options.dir,
        readyUrl: `${url}/-/ready`,
      });
      return {
        url,
        api: new PrometheusApi(url),
        process,
        configFile,
        stop: () => process.stop(),
      };
    } catch (error) {
      if (attempt >= 3 || !portTaken(error)) throw error;
    }
  }
}
