import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EmulatorHandle, startEmulator } from '@gemini-lanes/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildRun, spawnJobChild } from './support/job-child.js';
import { MODEL, prng, requestLine, tempDir } from './support/job-files.js';

const CHILD = fileURLToPath(new URL('./fixtures/job-child.mjs', import.meta.url));

/** Where to kill a child: after it reports k results, or d ms after it started its job. */
type KillPoint = { afterResults: number } | { afterStartMs: number } | undefined;

function runChild(env: Record<string, string>, kill: KillPoint): Promise<ChildRun> {
  const { child, done } = spawnJobChild(CHILD, env, (run, line) => {
    if (line === 'r') {
      return kill !== undefined && 'afterResults' in kill && run.results === kill.afterResults;
    }
    if (line === 'started' && kill !== undefined && 'afterStartMs' in kill) {
      setTimeout(() => child.kill('SIGKILL'), kill.afterStartMs);
    }
    return false;
  });
  return done;
}

/**
 * The output's whole lines, which must each parse, with no input line answered twice. The last
 * line may be torn (no newline yet): only a resume may cut it.
 */
function checkOutput(text: string): { lines: number[]; ids: string[]; torn: boolean } {
  const torn = text.length > 0 && !text.endsWith('\n');
  const whole = text.split('\n').slice(0, -1);
  const parsed = whole.map((line) => JSON.parse(line) as { id: string; line: number });
  const lines = parsed.map((r) => r.line);
  expect(new Set(lines).size).toBe(lines.length);
  return { lines, ids: parsed.map((r) => r.id), torn };
}

describe('runJob: crash safety (a child process killed with SIGKILL, resumed each time)', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startEmulator({
      profile: 'zero',
      seed: 8,
      quota: false,
      // A little latency and a few failures, so calls finish out of order and some are errors.
      models: { [MODEL]: { ttftMs: { median: 2, p95: 15 } } },
      faults: { rates: { '500': 0.02, '503': 0.02 } },
    });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('ends with exactly one result line per input id after 20 kills and a torn write', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const n = 800;
      const lines = Array.from({ length: n }, (_, i) =>
        requestLine(`q${i + 1}`, `question ${i + 1}: ${'lorem ipsum '.repeat(i % 7)}`),
      );
      // Malformed lines have results too, keyed by their line number.
      lines[99] = '{"id": "broken-json", ';
      lines[249] = JSON.stringify({ id: 'no-request' });
      const input = join(dir, 'in.jsonl');
      const output = join(dir, 'out.jsonl');
      await writeFile(input, `${lines.join('\n')}\n`);
      const expectedIds = lines.map((_, i) =>
        i === 99 ? 'line:100' : i === 249 ? 'no-request' : `q${i + 1}`,
      );
      const env = { JOB_INPUT: input, JOB_OUTPUT: output, EMULATOR_URL: emulator.url };

      const random = prng(20_240_808);
      // Runs alternate: one that checkpoints rarely and is killed late, leaving more results after
      // its checkpoint than the window holds (the next run must find them by scanning the output,
      // and keep claiming them in its own checkpoints until it reads that far), then one that
      // checkpoints all the time and is killed early, or even while it recovers.
      const kills = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? { sparse: true, at: { afterResults: 25 + Math.floor(random() * 20) } as KillPoint }
          : {
              sparse: false,
              at: (random() < 0.4
                ? { afterStartMs: Math.floor(random() * 8) }
                : { afterResults: 1 + Math.floor(random() * 12) }) as KillPoint,
            },
      );
      let killed = 0;
      for (const { at, sparse } of kills) {
        const run = await runChild({ ...env, JOB_SPARSE_CHECKPOINTS: sparse ? '1' : '0' }, at);
        if (run.signal === 'SIGKILL') killed += 1;
        else expect(run, run.stderr).toMatchObject({ code: 0 });
        checkOutput(await readFile(output, 'utf8').catch(() => ''));
      }
      // Every point killed a job that still had work to do.
      expect(killed).toBe(20);

      // Dies right after writing half of its 5th result line.
      const tear = await runChild({ ...env, JOB_TEAR_AT: '5' }, undefined);
      expect(tear.signal).toBe('SIGKILL');
      // Lines written in the same write as the torn one are never reported.
      expect(tear.results).toBeLessThanOrEqual(4);
      const torn = checkOutput(await readFile(output, 'utf8'));
      expect(torn.torn).toBe(true);
      const before = torn.lines.length;
      expect(before).toBeLessThan(n);

      const last = await runChild(env, undefined);
      expect(last, last.stderr).toMatchObject({ code: 0, signal: null });
      expect(last.summary).toMatchObject({ done: n, resumed: true, written: n - before });

      const text = await readFile(output, 'utf8');
      const final = checkOutput(text);
      expect(final.torn).toBe(false);
      expect(final.lines.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(final.ids.sort()).toEqual([...expectedIds].sort());
      const stats = emulator.stats();
      expect(stats.requests).toBeGreaterThanOrEqual(n - 2);
      expect(stats.internalErrors).toBe(0);
      // The only error results: the two malformed lines and the injected 500s and 503s (never a
      // "cancelled" one from a killed run).
      const errors = text
        .split('\n')
        .filter((line) => line.includes('"error":'))
        .map((line) => (JSON.parse(line) as { error: { type: string } }).error.type);
      expect(errors.filter((type) => type === 'invalid_input')).toHaveLength(2);
      expect(new Set(errors)).toEqual(new Set(['invalid_input', 'INTERNAL', 'UNAVAILABLE']));
    } finally {
      await cleanup();
    }
  }, 120_000);
});
