import { ConfigError, formatIssue, type GeminiLanesConfig } from '@gemini-lanes/core';
import type { Command } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { type ResolvedConfig, resolveConfig } from '../resolve-config.js';

function summary(config: GeminiLanesConfig): string {
  const { latency, throughput } = config.lanes;
  return [
    `service ${config.service}`,
    `latency lane: ${latency.models.join(', ')}; SLA ${latency.sla.ttftMs} ms to first chunk, ${latency.sla.durationMs} ms unary; queue wait ≤ ${latency.sla.maxQueueWaitMs} ms`,
    `throughput lane: ${throughput.models.join(', ')}; concurrency ${throughput.concurrency.min}–${throughput.concurrency.max} (${throughput.concurrency.algorithm}); ${throughput.batch.mode}`,
    `quota: ${Object.keys(config.quota.models).length} model(s), ${Math.round(config.quota.latencyReservedShare * 100)}% reserved for the latency lane`,
  ]
    .map((line) => `  ${line}\n`)
    .join('');
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check a configuration file and print every problem with its path.',
  usage: 'validate [--config <file>] [--print]',
  description: `Reads the configuration (from --config, or the nearest gemini-lanes.config.* in this
directory or a parent), checks every field and the rules between fields, and prints each problem
as "<path> <what is wrong> (got <value>)". Exits 0 when valid, 1 when not.`,
  options: {
    config: {
      type: 'string',
      short: 'c',
      valueName: '<file>',
      description: 'configuration file (.ts, .mts, .mjs, .js, .json, .yaml, .yml)',
    },
    print: {
      type: 'boolean',
      description: 'print the resolved configuration, defaults included, as JSON',
    },
  },
  examples: [
    'gemini-lanes validate',
    'gemini-lanes validate --config deploy/gemini-lanes.config.yaml',
    'gemini-lanes validate --print > resolved.json',
  ],
  async run({ io, options }) {
    let resolved: ResolvedConfig;
    try {
      resolved = await resolveConfig(io.cwd, options.config);
    } catch (error) {
      if (!(error instanceof ConfigError) || error.file === undefined) throw error;
      io.stderr.write(`${error.file}: ${error.issues.length} problem(s)\n`);
      for (const issue of error.issues) io.stderr.write(`  ${formatIssue(issue)}\n`);
      return ExitCode.failure;
    }
    const { config, file } = resolved;
    if (options.print) {
      io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      return ExitCode.ok;
    }
    const source = file ?? 'no configuration file found; the defaults';
    io.stdout.write(`${source}: valid\n${summary(config)}`);
    return ExitCode.ok;
  },
};
