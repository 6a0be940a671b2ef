import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { configReferenceFiles, type GeminiLanesConfig } from '@gemini-lanes/core';
import type { Command } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { resolveConfig } from '../resolve-config.js';
import { UsageError } from '../usage-error.js';

interface TargetSpec {
  /** The files by name; `config` is undefined for a target that does not read one. */
  files(config: GeminiLanesConfig | undefined): Promise<Record<string, string>>;
  /** The default output directory, relative to the working directory. */
  dir: string;
  /** Whether the output follows the user's configuration (and `all` includes it). */
  fromConfig: boolean;
}

// Loaded on use: the Grafana SDK is large, and other commands should not pay for it at start-up.
const TARGETS = {
  dashboards: {
    files: async (config) =>
      (await import('@gemini-lanes/dashboards')).dashboardFiles(required(config)),
    dir: 'dashboards',
    fromConfig: true,
  },
  alerts: {
    files: async (config) => (await import('@gemini-lanes/alerts')).ruleFiles(required(config)),
    dir: 'alerts',
    fromConfig: true,
  },
  // The reference documents every option of the schema: it reads no configuration, so `all`
  // (everything a configuration produces) leaves it out.
  'config-reference': {
    files: async () => configReferenceFiles(),
    dir: 'docs',
    fromConfig: false,
  },
} as const satisfies Record<string, TargetSpec>;
type Target = keyof typeof TARGETS;
const CONFIG_TARGETS = (Object.keys(TARGETS) as Target[]).filter((t) => TARGETS[t].fromConfig);

function isTarget(name: string): name is Target {
  return Object.hasOwn(TARGETS, name);
}

function required(config: GeminiLanesConfig | undefined): GeminiLanesConfig {
  if (config === undefined) throw new Error('generate: this target needs a configuration');
  return config;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export const generateCommand: Command = {
  name: 'generate',
  summary:
    'Write the Grafana dashboards and Prometheus rules for a configuration, or the configuration reference.',
  usage:
    'generate dashboards|alerts|all|config-reference [--config <file>] [--out <dir>] [--check]',
  description: `Generates from the same configuration the lanes run with:
  dashboards        gemini-lanes-{overview,latency,throughput}.json and grafana-provisioning.yaml
  alerts            gemini-lanes.rules.yml, runbook.md and alertmanager.example.yml
  all               both, into <out>/dashboards and <out>/alerts
and from the configuration schema alone (it reads no configuration, so all leaves it out):
  config-reference  configuration.md (every option) and gemini-lanes.config.schema.json (the
                    JSON Schema a gemini-lanes.config.json can name in "$schema")
--out defaults to ./dashboards, ./alerts, ./docs, or . for all. With --check nothing is written:
the command exits 1 and lists every file that is missing or differs (for CI).`,
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
    'gemini-lanes generate config-reference --out docs',
  ],
  async run({ io, options, positionals }) {
    const [what, ...extra] = positionals;
    const expected = 'dashboards, alerts, all or config-reference';
    if (what === undefined) throw new UsageError(`say what to generate: ${expected}`, 'generate');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`, 'generate');
    if (what !== 'all' && !isTarget(what)) {
      throw new UsageError(`unknown target '${what}' (expected ${expected})`, 'generate');
    }
    const fromConfig = what === 'all' || TARGETS[what].fromConfig;
    if (!fromConfig && options.config !== undefined) {
      throw new UsageError(
        `${what} reads no configuration (it documents every option); leave out --config`,
        'generate',
      );
    }
    const { config, file } = fromConfig
      ? await resolveConfig(io.cwd, options.config)
      : { config: undefined, file: undefined };
    const out = typeof options.out === 'string' ? resolve(io.cwd, options.out) : undefined;
    const targets: Array<[Target, string]> =
      what === 'all'
        ? CONFIG_TARGETS.map((t) => [t, join(out ?? io.cwd, TARGETS[t].dir)])
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
    const source = !fromConfig ? 'the configuration schema' : (file ?? 'the default configuration');
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
