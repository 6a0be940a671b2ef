import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { GeminiLanesConfig } from '@gemini-lanes/core';
import type { Command } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { resolveConfig } from '../resolve-config.js';
import { UsageError } from '../usage-error.js';

// Loaded on use: the Grafana SDK is large, and other commands should not pay for it at start-up.
const TARGETS = {
  dashboards: {
    files: async (config: GeminiLanesConfig) =>
      (await import('@gemini-lanes/dashboards')).dashboardFiles(config),
    dir: 'dashboards',
  },
  alerts: {
    files: async (config: GeminiLanesConfig) =>
      (await import('@gemini-lanes/alerts')).ruleFiles(config),
    dir: 'alerts',
  },
} as const;
type Target = keyof typeof TARGETS;

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Write the Grafana dashboards and Prometheus rules for a configuration.',
  usage: 'generate dashboards|alerts|all [--config <file>] [--out <dir>] [--check]',
  description: `Generates from the same configuration the lanes run with:
  dashboards  gemini-lanes-{overview,latency,throughput}.json and grafana-provisioning.yaml
  alerts      gemini-lanes.rules.yml, runbook.md and alertmanager.example.yml
  all         both, into <out>/dashboards and <out>/alerts
--out defaults to ./dashboards, ./alerts, or . for all. With --check nothing is written: the
command exits 1 and lists every file that is missing or differs (for CI).`,
  options: {
    config: {
      type: 'string',
      short: 'c',
      valueName: '<file>',
      description: 'configuration file (default: nearest gemini-lanes.config.*, else the defaults)',
    },
    out: { type: 'string', short: 'o', valueName: '<dir>', description: 'output directory' },
    check: { type: 'boolean', description: 'compare instead of writing; exit 1 when stale' },
  },
  positionals: true,
  examples: [
    'gemini-lanes generate all',
    'gemini-lanes generate dashboards --config gemini-lanes.config.yaml --out deploy/grafana',
    'gemini-lanes generate alerts --out /etc/prometheus/rules/gemini-lanes',
    'gemini-lanes generate all --check',
  ],
  async run({ io, options, positionals }) {
    const [what, ...extra] = positionals;
    if (what === undefined)
      throw new UsageError('say what to generate: dashboards, alerts or all', 'generate');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, 'generate');
    if (what !== 'dashboards' && what !== 'alerts' && what !== 'all') {
      throw new UsageError(
        `unknown target '${what}' (expected dashboards, alerts or all)`,
        'generate',
      );
    }
    const { config, file } = await resolveConfig(io.cwd, options.config);
    const out = typeof options.out === 'string' ? resolve(io.cwd, options.out) : undefined;
    const targets: Array<[Target, string]> =
      what === 'all'
        ? (['dashboards', 'alerts'] as const).map((t) => [t, join(out ?? io.cwd, TARGETS[t].dir)])
        : [[what, out ?? resolve(io.cwd, TARGETS[what].dir)]];

    const stale: string[] = [];
    for (const [target, dir] of targets) {
      const files = await TARGETS[target].files(config);
      if (options.check) {
        for (const [name, text] of Object.entries(files)) {
          const current = await readIfExists(join(dir, name));
          if (current === undefined) stale.push(`${join(dir, name)} is missing`);
          else if (current !== text) stale.push(`${join(dir, name)} differs`);
        }
        continue;
      }
      await mkdir(dir, { recursive: true });
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
      const names = Object.keys(files);
      io.stdout.write(`${target}: wrote ${names.length} file(s) to ${dir}: ${names.join(', ')}\n`);
      // Say which files in the directory the generator does not own, so nothing stale hides there.
      const others = (await readdir(dir)).filter(
        (n) => !names.includes(n) && /\.(json|ya?ml)$/.test(n),
      );
      if (others.length > 0)
        io.stdout.write(`  (not generated, left as they are: ${others.join(', ')})\n`);
    }
    const source = file ?? 'the default configuration';
    if (options.check) {
      if (stale.length > 0) {
        io.stderr.write(
          `generated files are stale for ${source}:\n${stale.map((s) => `  ${s}`).join('\n')}\nRun 'gemini-lanes generate ${what}' to update them.\n`,
        );
        return ExitCode.failure;
      }
      io.stdout.write(`generated files are up to date for ${source}\n`);
    }
    return ExitCode.ok;
  },
};
