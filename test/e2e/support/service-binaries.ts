import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The real services the end-to-end test starts, by absolute path. */
export interface ServiceBinaries {
  prometheus: string;
  alertmanager: string;
}

/** Binaries found, or the packages whose binaries are missing. */
export type BinaryLookup =
  | { ok: true; binaries: ServiceBinaries }
  | { ok: false; missing: string[] };

/** The command that installs what is missing (scripts/setup.sh runs apt-get as root). */
export const SETUP_COMMAND = 'scripts/setup.sh --services';

function which(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const name of names) {
    for (const dir of dirs) {
      if (dir === '') continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * Finds Prometheus and Alertmanager: Debian's `prometheus` and `prometheus-alertmanager`
 * (what `scripts/setup.sh --services` installs), or upstream's `alertmanager` binary name.
 */
export function findServiceBinaries(): BinaryLookup {
  const prometheus = which(['prometheus']);
  const alertmanager = which(['prometheus-alertmanager', 'alertmanager']);
  if (prometheus !== undefined && alertmanager !== undefined) {
    return { ok: true, binaries: { prometheus, alertmanager } };
  }
  const missing: string[] = [];
  if (prometheus === undefined) missing.push('prometheus');
  if (alertmanager === undefined) missing.push('prometheus-alertmanager');
  return { ok: false, missing };
}
