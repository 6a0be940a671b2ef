import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costOf, resolvePriceTable } from '@gemini-lanes/core';
import type { EmulatorOptions } from '@gemini-lanes/emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunCommand, type RunCommandHooks } from '../src/commands/run.js';
import { type CliIo, ExitCode, main } from '../src/index.js';
import { memoryIo } from './io.js';

/** No latency but a 10 ms first token: a job of 200 lines lasts long enough to stop it midway. */
const EMULATOR: EmulatorOptions = {
  profile: 'zero',
  seed: 2,
  models: {
    'gemini-2.5-flash': { ttftMs: { median: 10, p95: 15 } },
    'gemini-2.5-flash-lite': { ttftMs: { median: 10, p95: 15 } },
  },
};

function jobLines(n: number, model = 'gemini-2.5-flash'): string {
  let text = '';
  for (let i = 1; i <= n; i += 1) {
    text += `${JSON.stringify({ id: `q-${i}`, request: { model, contents: `Question number ${i}?` } })}\n`;
  }
  return text;
}

async function results(path: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('gemini-lanes run', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-run-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = (args: string[], hooks: RunCommandHooks = {}, io = memoryIo(dir)) =>
    main(['run', ...args], io.io, [createRunCommand({ emulator: EMULATOR, ...hooks })]).then(
      (code) => ({ code, stdout: io.stdout, stderr: io.stderr }),
    );

  it('runs a small job on --emulator to completion, one result per line, failures included (exit 0)', async () => {
    await writeFile(
      join(dir, 'jobs.jsonl'),
      `${jobLines(20)}{"id":"bad","request":{"contents":"no model"}}\n`,
    );
    const out = await run(['jobs.jsonl', '--out', 'results.jsonl', '--emulator']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(ExitCode.ok);
    expect(out.stdout).toContain('using the embedded Gemini API emulator at http://127.0.0.1:');
    expect(out.stdout).toMatch(
      /done: 21 lines → results\.jsonl in \d+\.\d s \(1 failed: their result lines carry "error" instead of "response"\); [\d,]+ tokens, \$0\.\d{4}\n/,
    );
    const lines = await results(join(dir, 'results.jsonl'));
    expect(lines.map((l) => l.id).sort()).toEqual(
      ['bad', ...Array.from({ length: 20 }, (_, i) => `q-${i + 1}`)].sort(),
    );
    const ok = lines.filter((l) => l.id !== 'bad');
    for (const line of ok) {
      expect(line.response).toMatchObject({ modelVersion: 'gemini-2.5-flash' });
      expect(line.costUsd).toBeGreaterThan(0);
    }
    expect(lines.find((l) => l.id === 'bad')?.error).toMatchObject({ type: 'invalid_input' });

    // Run again: complete, nothing sent.
    const again = await run(['jobs.jsonl', '--out', 'results.jsonl', '--emulator']);
    expect(again.code).toBe(ExitCode.ok);
    expect(again.stdout).toContain('already complete: 21 results in results.jsonl');
  });

  it('runs a job through the Batch API with --mode batch-api, results in input order at the Batch tier (half price)', async () => {
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(12));
    // Poll the emulator's batches often: the default first poll is 30 s.
    await writeFile(
      join(dir, 'gemini-lanes.config.json'),
      JSON.stringify({ lanes: { throughput: { batch: { pollIntervalMs: 20 } } } }),
    );
    const batch = await run(
      ['jobs.jsonl', '--out', 'batch.jsonl', '--emulator', '--mode', 'batch-api'],
      {
        emulator: { ...EMULATOR, batch: { pendingMs: 10, msPerRequest: 1, minRunningMs: 10 } },
      },
    );
    expect(batch.stderr).toBe('');
    expect(batch.code).toBe(ExitCode.ok);
    const viaBatch = await results(join(dir, 'batch.jsonl'));
    expect(viaBatch.map((l) => l.id)).toEqual(Array.from({ length: 12 }, (_, i) => `q-${i + 1}`));
    // Each line is priced at the Batch tier: half what the same usage costs at standard prices.
    const prices = resolvePriceTable({});
    for (const line of viaBatch) {
      const usage = line.usage as Parameters<typeof costOf>[0];
      const standard = costOf(usage, 'gemini-2.5-flash', 'standard', prices);
      expect(standard.known && Number(line.costUsd) / standard.usd.total).toBeCloseTo(0.5, 9);
    }
    const refused = await run(['jobs.jsonl', '--out', 'x.jsonl', '--mode', 'batch', '--emulator']);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.stderr).toContain('--mode must be parallel or batch-api (got batch)');
  });

  it('continues a stopped job with the same command, with no result lost or repeated', async () => {
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(200));
    const stop = new AbortController();
    const first = await run(['jobs.jsonl', '--out', 'out/results.jsonl', '--emulator'], {
      stop: stop.signal,
      onJob: (job) => {
        let n = 0;
        job.on('result', () => {
          n += 1;
          if (n === 10) stop.abort();
        });
      },
    });
    expect(first.code).toBe(ExitCode.failure);
    const stoppedAt = Number(/with (\d+) lines done/.exec(first.stderr)?.[1]);
    expect(first.stderr).toMatch(
      /^stopped \(stop requested\) with \d+ lines done \(0 failed\); the results so far are in out\/results.jsonl.\n/,
    );
    expect(stoppedAt).toBeGreaterThanOrEqual(10);
    expect(stoppedAt).toBeLessThan(200);
    expect(first.stderr).toContain(
      'To continue where it stopped, run the same command:\n  gemini-lanes run jobs.jsonl --out out/results.jsonl --emulator\n',
    );
    expect(await results(join(dir, 'out', 'results.jsonl'))).toHaveLength(stoppedAt);

    const second = await run(['jobs.jsonl', '--out', 'out/results.jsonl', '--emulator']);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(ExitCode.ok);
    expect(second.stdout).toContain(
      `continuing from the checkpoint ${join(dir, 'out', 'results.jsonl.ckpt')}`,
    );
    expect(second.stdout).toContain(
      `; ${stoppedAt} from earlier runs, ${200 - stoppedAt} this run\n`,
    );
    const lines = await results(join(dir, 'out', 'results.jsonl'));
    expect(lines).toHaveLength(200);
    expect(new Set(lines.map((l) => l.id)).size).toBe(200);
    expect(lines.every((l) => l.error === undefined)).toBe(true);
  });

  it('sends every line to --model instead of its own', async () => {
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(5));
    const out = await run([
      'jobs.jsonl',
      '-o',
      'results.jsonl',
      '--emulator',
      '--model',
      'gemini-2.5-flash-lite',
    ]);
    expect(out.code).toBe(ExitCode.ok);
    expect(out.stdout).toContain('model gemini-2.5-flash-lite');
    const lines = await results(join(dir, 'results.jsonl'));
    expect(lines.map((l) => (l.response as { modelVersion: string }).modelVersion)).toEqual(
      Array(5).fill('gemini-2.5-flash-lite'),
    );
  });

  it('draws a progress bar on a terminal and prints progress lines otherwise', async () => {
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(30));
    let out = '';
    const tty: CliIo = {
      stdout: { write: (s: string) => (out += s), isTTY: true },
      stderr: { write: () => true },
      cwd: dir,
      env: {},
    };
    expect(
      await main(['run', 'jobs.jsonl', '--out', 'a.jsonl', '--emulator'], tty, [
        createRunCommand({ emulator: EMULATOR }),
      ]),
    ).toBe(0);
    // The last redraw before the summary: the whole input read, every line done.
    expect(out).toContain(
      `\r\u001b[2K[${'█'.repeat(20)}] 100%  30/30 done · 0 failed · 0 in flight · `,
    );
    expect(out).toMatch(/ tok\/s · \$0\.\d{4}\ndone: 30 lines/);

    // Not a terminal: a plain line every 5 s of the (injected) clock.
    let t = 0;
    const plain = await run(['jobs.jsonl', '--out', 'b.jsonl', '--emulator'], {
      now: () => (t += 6000),
    });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(
      /progress: 100% · 30\/30 done · 0 failed · 0 in flight · [\d,]+ tok\/s · \$0\.\d{4}\n/,
    );
    expect(plain.stdout).not.toContain('\r');
  });

  it('exits 2 naming the input file when it does not exist', async () => {
    const out = await run(['missing.jsonl', '--out', 'results.jsonl', '--emulator']);
    expect(out.code).toBe(ExitCode.usage);
    expect(out.stderr).toBe(
      `gemini-lanes run: no such input file: ${join(dir, 'missing.jsonl')}\nRun 'gemini-lanes run --help' for usage.\n`,
    );
  });

  it('exits 2 naming GEMINI_API_KEY when there is no key and no --emulator', async () => {
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(1));
    const out = await run(['jobs.jsonl', '--out', 'results.jsonl']);
    expect(out.code).toBe(ExitCode.usage);
    expect(out.stderr).toContain(
      'gemini-lanes run: no Gemini API key: set GEMINI_API_KEY, or pass --emulator to try it on the embedded emulator\n',
    );
    // With the key, the same command gets past that check (and fails later, on the network,
    // which this test does not reach: the output in the way stops it first).
    await writeFile(join(dir, 'results.jsonl'), 'not ours\n');
    const withKey = await run(
      ['jobs.jsonl', '--out', 'results.jsonl'],
      {},
      memoryIo(dir, { GEMINI_API_KEY: 'k' }),
    );
    expect(withKey.code).toBe(ExitCode.usage);
    expect(withKey.stderr).toContain('results.jsonl exists and there is no checkpoint');
  });

  it.each([
    [[], 'missing <input.jsonl>: the job file to run'],
    [['jobs.jsonl'], 'missing --out <results.jsonl>: where to write the results'],
    [['a.jsonl', 'b.jsonl', '--out', 'r.jsonl'], "one input file at a time (also got 'b.jsonl')"],
    [
      ['jobs.jsonl', '--out', 'r.jsonl', '--no-resume', '--overwrite'],
      '--no-resume and --overwrite contradict each other',
    ],
    [
      ['jobs.jsonl', '--out', 'r.jsonl', '--emulator', '--model', 'gemini-9'],
      '--model gemini-9 has no quota in the configuration',
    ],
    [['jobs.jsonl', '--out', 'r.jsonl', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(1));
    const out = await run(args);
    expect(out.code).toBe(ExitCode.usage);
    expect(out.stderr).toContain(message);
    expect(out.stderr).toContain("Run 'gemini-lanes run --help' for usage.");
  });

  it('refuses to continue with --no-resume, and starts over with --overwrite', async () => {
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(20));
    const stop = new AbortController();
    stop.abort();
    expect(
      (await run(['jobs.jsonl', '--out', 'r.jsonl', '--emulator'], { stop: stop.signal })).code,
    ).toBe(ExitCode.failure);
    const refused = await run(['jobs.jsonl', '--out', 'r.jsonl', '--emulator', '--no-resume']);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.stderr).toContain(
      `${join(dir, 'r.jsonl.ckpt')} exists: an earlier run of this job stopped before it finished. Leave out --no-resume to continue it, or pass --overwrite to start over`,
    );
    // The input changed since the checkpoint was made: continuing is refused, starting over is not.
    await writeFile(join(dir, 'jobs.jsonl'), jobLines(20, 'gemini-2.5-flash-lite'));
    const changed = await run(['jobs.jsonl', '--out', 'r.jsonl', '--emulator']);
    expect(changed.code).toBe(ExitCode.usage);
    expect(changed.stderr).toContain(
      `gemini-lanes run: job refused to resume: the input is not the one checkpoint ${join(dir, 'r.jsonl.ckpt')} was made for (its size was 1702 bytes, now 1802); pass --overwrite to start over\n`,
    );
    const fresh = await run(['jobs.jsonl', '--out', 'r.jsonl', '--emulator', '--overwrite']);
    expect(fresh.code).toBe(ExitCode.ok);
    expect(fresh.stdout).toContain('done: 20 lines');
    expect(await results(join(dir, 'r.jsonl'))).toHaveLength(20);
  });

  it('describes itself under --help', async () => {
    const out = await run(['--help']);
    expect(out.code).toBe(ExitCode.ok);
    expect(out.stdout).toContain(
      'Usage: gemini-lanes run <input.jsonl> --out <results.jsonl> [--config <file>] [--checkpoint <file>] [--no-resume|--overwrite] [--mode parallel|batch-api] [--emulator] [--model <m>]',
    );
    expect(out.stdout).toContain('To try it without one, --emulator');
    expect(out.stdout).toContain('Exit codes: 0 the job completed');
  });
});
