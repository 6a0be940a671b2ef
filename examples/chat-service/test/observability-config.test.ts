/**
 * examples/observability (configuration files only, no package of its own) checked by the real
 * tools: `promtool check config` (which also checks the rule files it loads) and
 * `amtool check-config`, and the routing by `amtool config routes test`. Without the binaries
 * the tests fail, naming the command that installs them (the README's test command does).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_PORT } from '../src/index.js';

const DIR = fileURLToPath(new URL('../../observability/', import.meta.url));
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';
const AMTOOL = process.env.AMTOOL_BIN ?? 'amtool';
const INSTALL =
  'scripts/setup.sh --services (as root), or apt-get install prometheus prometheus-alertmanager';

/** Runs a tool in examples/observability; fails, naming the install command, when it is missing. */
function run(tool: string, args: string[]) {
  const result = spawnSync(tool, args, { cwd: DIR, encoding: 'utf8', timeout: 30_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${tool} is not installed: run ${INSTALL}`);
  }
  if (result.error) throw result.error;
  return {
    status: result.status,
    stdout: result.stdout,
    output: `${result.stdout}${result.stderr}`,
  };
}

describe('examples/observability', () => {
  it('prometheus.yml is valid, and so are the generated rules it loads', () => {
    const { status, output } = run(PROMTOOL, ['check', 'config', 'prometheus.yml']);
    expect(output, output).toContain('SUCCESS: 1 rule files found');
    expect(output).toMatch(
      /Checking \.\.\/\.\.\/alerts\/gemini-lanes\.rules\.yml\s+SUCCESS: \d+ rules found/,
    );
    expect(status, output).toBe(0);
  });

  it('alertmanager.yml is valid', () => {
    const { status, output } = run(AMTOOL, ['check-config', 'alertmanager.yml']);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('routes pages to the pager, tickets to the ticket queue, and the rest nowhere', () => {
    const route = (label: string) =>
      run(AMTOOL, ['config', 'routes', 'test', '--config.file=alertmanager.yml', label]);
    expect(route('severity=critical').stdout.trim()).toBe('pager');
    expect(route('severity=warning').stdout.trim()).toBe('ticket');
    expect(route('severity=info').stdout.trim()).toBe('null');
  });

  it('scrapes each example on the metrics port it serves by default, under the rules’ job', async () => {
    const config = await readFile(`${DIR}/prometheus.yml`, 'utf8');
    expect(config).toContain('job_name: gemini-app');
    // The chat service's port comes from its code; the other two are their mains' defaults.
    for (const [port, example] of [
      [DEFAULT_METRICS_PORT, 'chat-service'],
      [9466, 'batch-summariser'],
      [9467, 'existing-otel-setup'],
    ] as const) {
      expect(config).toMatch(
        new RegExp(
          `targets: \\[["']127\\.0\\.0\\.1:${port}["']\\]\\n\\s+labels:\\n\\s+example: ${example}\\n`,
        ),
      );
    }
  });
});
