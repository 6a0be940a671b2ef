import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AlertmanagerApi } from './alertmanager-api.ts';
import { freePort } from './free-port.ts';
import { ManagedProcess, portTaken } from './managed-process.ts';

export interface AlertmanagerServerOptions {
  /** The `prometheus-alertmanager` (or `alertmanager`) binary. */
  binary: string;
  /** A directory of its own for the configuration and its state. */
  dir: string;
  /** The configuration, as YAML text. */
  configYaml: string;
}

/** A real Alertmanager the test started. */
export interface AlertmanagerServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`, for Prometheus's `alerting` section. */
  readonly address: string;
  readonly api: AlertmanagerApi;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * Starts Alertmanager on a free port of 127.0.0.1, clustering off (an empty
 * `--cluster.listen-address`, so it opens no gossip port and waits for no peers), and resolves
 * once `/-/ready` answers.
 */
export async function startAlertmanager(
  options: AlertmanagerServerOptions,
): Promise<AlertmanagerServer> {
  await mkdir(options.dir, { recursive: true });
  const configFile = join(options.dir, 'alertmanager.yml');
  await writeFile(configFile, options.configYaml);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const url = `http://${address}`;
    try {
      const process = await ManagedProcess.start({
        name: 'alertmanager',
        command: options.binary,
        args: [
          `--config.file=${configFile}`,
          `--storage.path=${join(options.dir, 'data')}`,
          `--web.listen-address=${address}`,
          '--cluster.listen-address=',
        ],
        cwd: options.dir,
        readyUrl: `${url}/-/ready`,
      });
      return { url, address, api: new AlertmanagerApi(url), process, stop: () => process.stop() };
    } catch (error) {
      if (attempt >= 3 || !portTaken(error)) throw error;
    }
  }
}
