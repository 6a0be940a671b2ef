/**
 * Smoke test of the workload-separation benchmark (test/bench/separation.ts): its short
 * profile runs end to end in a child process (emulator included) and writes its results. It
 * asserts that the run works and what it wrote is whole, never how fast anything was: this
 * machine's speed is not the benchmark's subject here.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BENCH = fileURLToPath(new URL('../bench/separation.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (data) => {
      output += String(data);
    });
    child.stderr.on('data', (data) => {
      output += String(data);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

interface Summary {
  arrivals: number;
  ttftP50: number;
  ttftP95: number;
  ttftP99: number;
  durationP95: number;
  rejectionRate: number;
  interactiveInputTpm: number;
  batchInputTpm: number;
  usdPer1MDelivered: number;
}

describe('separation benchmark, quick profile', () => {
  let out: string | undefined;
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('runs the four set-ups and writes JSON, Markdown and SVG charts', async () => {
    out = await mkdtemp(join(tmpdir(), 'separation-smoke-'));
    const { code, output } = await run(['--quick', '--out', out]);
    expect(code, output).toBe(0);

    const results = JSON.parse(await readFile(join(out, 'separation.json'), 'utf8')) as {
      quick: boolean;
      entries: Array<{ contender: { setup: string }; summary: Summary }>;
      verdicts: unknown[];
    };
    expect(results.quick).toBe(true);
    const bySetup = (setup: string) => results.entries.filter((e) => e.contender.setup === setup);
    for (const setup of ['latency', 'throughput', 'hybrid', 'separated']) {
      expect(bySetup(setup).length, setup).toBeGreaterThan(0);
    }
    // Interactive figures where interactive traffic ran; batch figures where batch traffic ran.
    for (const setup of ['latency', 'hybrid', 'separated']) {
      for (const { summary } of bySetup(setup)) {
        expect(summary.arrivals).toBeGreaterThan(0);
        for (const field of [
          'rejectionRate',
          'interactiveInputTpm',
          'usdPer1MDelivered',
        ] as const) {
          expect(Number.isFinite(summary[field]), `${setup} ${field}`).toBe(true);
        }
      }
    }
    for (const setup of ['throughput', 'hybrid', 'separated']) {
      for (const { summary } of bySetup(setup)) {
        expect(Number.isFinite(summary.batchInputTpm), `${setup} batchInputTpm`).toBe(true);
        expect(Number.isFinite(summary.usdPer1MDelivered), `${setup} usd`).toBe(true);
      }
    }
    // Accepted interactive requests have latencies unless every one was refused.
    for (const setup of ['latency', 'separated']) {
      for (const { summary } of bySetup(setup)) {
        for (const field of ['ttftP50', 'ttftP95', 'ttftP99', 'durationP95'] as const) {
          expect(Number.isFinite(summary[field]), `${setup} ${field}`).toBe(true);
        }
      }
    }
    expect(results.verdicts.length).toBeGreaterThan(0);

    const report = await readFile(join(out, 'separation.md'), 'utf8');
    expect(report).toContain('# Workload separation');
    for (const chart of ['separation-p95.svg', 'separation-batch.svg', 'separation-pareto.svg']) {
      expect(existsSync(join(out, chart)), chart).toBe(true);
      const svg = await readFile(join(out, chart), 'utf8');
      expect(svg.startsWith('<svg'), chart).toBe(true);
      // One load level in the short profile: points, not yet lines.
      expect(svg).toContain('<circle');
      expect(svg.trimEnd().endsWith('</svg>'), chart).toBe(true);
    }
  }, 120_000);
});
