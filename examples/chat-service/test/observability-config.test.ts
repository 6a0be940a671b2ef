/**
 * examples/observability (configuration files only, no package of its own) checked by the real
 * tools: `promtool check config` (which also checks the rule files it loads) and
 * `amtool check-config`, and the routing by `amtool config routes test`. Without the binaries
 * the tests are skipped with a note, unless CI is set: there they must run.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { DEFAULT_METRICS_PORT } from '../src/index.js';

const DIR = fileURLToPath(new URL('../../observability/', import.meta.url));
const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';
const AMTOOL = process.env.AMTOOL_BIN ?? 'amtool';
const INSTALL = 'apt-get install prometheus prometheus-alertmanager';

function isCi(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** Runs a tool in examples/observability; skips the test (fails it on CI) when it is missing. */
function run(context: TestContext, tool: string, args: string[]) {
  const result = spawnSync(tool, args, { cwd: DIR, encoding: 'utf8', timeout: 30_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    const note = `${tool} is not installed (${INSTALL})`;
    if (isCi()) throw new Error(`${note}; CI is set, so this check must run`);
    process.stderr.write(`skipped: ${note}\n`);
    context.skip(note);
  }
  if (result.error) throw result.error;
  return {
    status: result.status,
    stdout: result.stdout,
    output: `${result.stdout}${result.stderr}`,
  };
}

describe('examples/observability', () => {
  it('prometheus.yml is valid, and so are the generated rules it loads', (context) => {
    const { status, output } = run(context, PROMTOOL, ['check', 'config', 'prometheus.yml']);
    expect(output, output).toContain('SUCCESS: 1 rule files found');
    expect(output).toMatch(
      /Checking \.\.\/\.\.\/alerts\/gemini-lanes\.rules\.yml\s+SUCCESS: \d+ rules found/,
    );
    expect(status, output).toBe(0);
  });

  it('alertmanager.yml is valid', (context) => {
    const { status, output } = run(context, AMTOOL, ['check-config', 'alertmanager.yml']);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('routes pages to the pager, tickets to the ticket queue, and the rest nowhere', (context) => {
    const route = (label: string) =>
      run(context, AMTOOL, ['config', 'routes', 'test', '--config.file=alertmanager.yml', label]);
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
