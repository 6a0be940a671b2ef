import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoCommand, demoCommand } from '../src/commands/demo.js';
import { ExitCode, main } from '../src/index.js';
import { memoryIo } from './io.js';

async function waitFor<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The two numbers of a summary row (`calls   412   1,310`). */
function row(out: string, label: string): [number, number] {
  const match = new RegExp(`^${label}\\s+([\\d,]+)\\s+([\\d,]+)$`, 'm').exec(out);
  if (match === null) throw new Error(`no summary row ${label} in:\n${out}`);
  return [Number(match[1]?.replace(/,/g, '')), Number(match[2]?.replace(/,/g, ''))];
}

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

function runBuilt(args: string[], cwd: string) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GEMINI_API_KEY: '' },
  });
  const output = { out: '', err: '' };
  child.stdout.on('data', (d) => {
    output.out += d;
  });
  child.stderr.on('data', (d) => {
    output.err += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output, exited };
}

describe('gemini-lanes demo', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-demo-'));
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('runs for --duration without a terminal: plain lines, metrics while running, a summary, the generated files', async () => {
    // A stop signal of its own, so the test process's SIGINT handlers stay untouched.
    const command = createDemoCommand({ stop: new AbortController().signal });
    const t = memoryIo(dir);
    const started = Date.now();
    const running = main(
      ['demo', '--duration', '4s', '--metrics-port', '0', '--out', 'out', '--seed', '3'],
      t.io,
      [command],
    );
    const metricsUrl = await waitFor(() => /metrics {4}(http:\/\/\S+)/.exec(t.stdout)?.[1]);
    const scraped = await waitFor(async () => {
      const text = await (await fetch(metricsUrl)).text();
      return /^gemini_lanes_requests_total\{[^}]*gemini_lanes_lane="throughput"[^}]*gemini_lanes_outcome="success"[^}]*\} [1-9]/m.test(
        text,
      )
        ? text
        : undefined;
    });
    expect(scraped).toContain('# TYPE gen_ai_client_operation_time_to_first_chunk histogram');
    expect(await running).toBe(ExitCode.ok);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(4000);
    expect(elapsed).toBeLessThan(15_000);
    expect(t.stderr).toBe('');
    const out = t.stdout;
    expect(out).not.toContain('\x1b[');

    const plain = out.split('\n').filter((line) => /^\[\d\d:\d\d\] \| /.test(line));
    expect(plain.length).toBeGreaterThanOrEqual(3);
    expect(plain.at(-1)).toMatch(
      /^\[00:0\d\] \| latency: ttft p95 \d+ ms!?, [\d.]+ req\/s, .* \| throughput: [\d.]+ req\/s, .* tok\/s, .* \| job: \d+\/3000 done, \d+ failed$/,
    );

    expect(out).toContain('gemini-lanes demo: stopped after 00:0');
    expect(out).toContain('(--duration 4s)');
    const [latencyCalls, throughputCalls] = row(out, 'calls');
    expect(latencyCalls).toBeGreaterThan(0);
    expect(throughputCalls).toBeGreaterThan(0);
    const [latencyOk, throughputOk] = row(out, ' {2}succeeded');
    expect(latencyOk).toBeGreaterThan(0);
    expect(throughputOk).toBeGreaterThan(0);
    expect(out).toMatch(/^time to first chunk {2}p50\s+\d+ ms\s+-$/m);
    expect(out).toMatch(/^within the SLA \(the SLI\)\s+[\d.]+%\s+-$/m);
    expect(out).toMatch(/^clients: \d+ chat streams/m);
    expect(out).toMatch(/^batch job: cancelled, [\d,]+ of 3,000 done/m);

    const out_ = join(dir, 'out');
    expect(out).toContain(
      `its checkpoint is ./out/batch/results.jsonl.ckpt; \`gemini-lanes demo --out out --seed 3\` continues it`,
    );
    expect(existsSync(join(out_, 'batch', 'results.jsonl.ckpt'))).toBe(true);
    for (const file of [
      'dashboards/gemini-lanes-overview.json',
      'dashboards/gemini-lanes-latency.json',
      'dashboards/gemini-lanes-throughput.json',
      'dashboards/grafana-provisioning.yaml',
      'alerts/gemini-lanes.rules.yml',
      'alerts/runbook.md',
    ]) {
      expect(existsSync(join(out_, file)), file).toBe(true);
    }
    const latencyDashboard = JSON.parse(
      await readFile(join(out_, 'dashboards/gemini-lanes-latency.json'), 'utf8'),
    ) as { title: string };
    expect(latencyDashboard.title).toContain('Latency');
    expect(await readFile(join(out_, 'alerts/gemini-lanes.rules.yml'), 'utf8')).toContain(
      'job="mixed-service"',
    );
    const prometheus = await readFile(join(out_, 'prometheus.yml'), 'utf8');
    expect(prometheus).toContain('job_name: "mixed-service"');
    expect(prometheus).toContain('- "alerts/gemini-lanes.rules.yml"');
    expect(out).toContain(`metrics: ${metricsUrl} served the demo's metrics while it ran`);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  }, 30_000);

  it('refuses --real without GEMINI_API_KEY, naming the variable (exit 2)', async () => {
    const t = memoryIo(dir, { GEMINI_API_KEY: '' });
    expect(await main(['demo', '--real', '--duration', '1s'], t.io, [demoCommand])).toBe(
      ExitCode.usage,
    );
    expect(t.stderr).toContain(
      '--real talks to the Gemini API and needs its key in GEMINI_API_KEY',
    );
    expect(t.stderr).toContain("Run 'gemini-lanes demo --help' for usage.");
    expect(t.stdout).toBe('');
    expect(existsSync(join(dir, 'gemini-lanes-demo'))).toBe(false);
  });

  it.each([
    [['--duration', 'soon'], '--duration must be a time such as 30s, 2m or 1m30s (got soon)'],
    [['--load', '0'], '--load must be a number of requests per second, > 0 and <= 500 (got 0)'],
    [['--seed', 'x'], '--seed must be an integer from 0 to 2147483647 (got x)'],
    [['--metrics-port', '70000'], '--metrics-port must be an integer from 0 to 65535'],
    [['--config', 'missing.yaml'], 'missing.yaml'],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    const t = memoryIo(dir);
    expect(await main(['demo', ...args], t.io, [demoCommand])).toBe(ExitCode.usage);
    expect(t.stderr).toContain(message);
  });

  it('describes itself under --help', async () => {
    const t = memoryIo(dir);
    expect(await main(['demo', '--help'], t.io, [demoCommand])).toBe(0);
    expect(t.stdout).toContain('Usage: gemini-lanes demo [--duration <time>]');
    expect(t.stdout).toContain('--real');
    expect(t.stdout).toContain('Examples:\n  gemini-lanes demo\n');
  });

  it('stops on Ctrl-C with a summary and exit 0; a second Ctrl-C exits at once', async () => {
    const first = runBuilt(['demo', '--metrics-port', '0', '--out', 'a'], dir);
    children.push(first.child);
    await waitFor(() => (/^\[00:01\] /m.test(first.output.out) ? true : undefined));
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output.out).toContain('(Ctrl-C)');
    expect(first.output.out).toMatch(/^batch job: cancelled/m);
    expect(first.output.err).toBe('');

    const second = runBuilt(['demo', '--metrics-port', '0', '--out', 'b'], dir);
    children.push(second.child);
    await waitFor(() => (/^\[00:01\] /m.test(second.output.out) ? true : undefined));
    second.child.kill('SIGINT');
    await waitFor(() => (second.output.out.includes('stopping (Ctrl-C)') ? true : undefined));
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(130);
    expect(second.output.out).toContain('second Ctrl-C: exiting now');
  }, 30_000);
});
