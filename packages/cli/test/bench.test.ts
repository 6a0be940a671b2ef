import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchCommand, findBenchDir, listBenchmarks } from '../src/commands/bench.js';
import { UsageError } from '../src/usage-error.js';
import { memoryIo } from './io.js';

/** A fake checkout with two benchmarks: one that succeeds and prints its arguments, one that fails. */
function checkout(): string {
  const root = mkdtempSync(join(tmpdir(), 'gemini-lanes-bench-'));
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
  const bench = join(root, 'test', 'bench');
  mkdirSync(join(bench, 'support'), { recursive: true });
  writeFileSync(join(bench, 'ok.ts'), "console.log('ran ok', process.argv.slice(2).join(' '));\n");
  writeFileSync(join(bench, 'broken.ts'), 'process.exit(3);\n');
  writeFileSync(join(bench, 'job-scale.ts'), "console.log('long');\n");
  writeFileSync(join(bench, 'scratch.tmp.ts'), '');
  return root;
}

describe('gemini-lanes bench', () => {
  it('finds test/bench from a subdirectory and lists the benchmarks', async () => {
    const root = checkout();
    const nested = join(root, 'packages', 'x');
    mkdirSync(nested, { recursive: true });
    expect(findBenchDir(nested)).toBe(join(root, 'test', 'bench'));
    expect(listBenchmarks(join(root, 'test', 'bench'))).toEqual(['broken', 'job-scale', 'ok']);
    const m = memoryIo(nested);
    expect(await benchCommand.run({ io: m.io, options: { list: true }, positionals: [] })).toBe(0);
    expect(m.stdout).toContain('job-scale  (long; run by name)');
  });

  it('runs the named benchmarks with --quick and reports a failing one', async () => {
    const root = checkout();
    const m = memoryIo(root);
    expect(
      await benchCommand.run({ io: m.io, options: { quick: true }, positionals: ['ok'] }),
    ).toBe(0);
    expect(m.stdout).toContain('ran ok --quick');
    const failing = memoryIo(root);
    expect(
      await benchCommand.run({ io: failing.io, options: {}, positionals: ['ok', 'broken'] }),
    ).toBe(1);
    expect(failing.stderr).toContain('bench broken failed (exit 3)');
  });

  it('refuses an unknown name and a directory outside a checkout', async () => {
    const root = checkout();
    await expect(
      benchCommand.run({ io: memoryIo(root).io, options: {}, positionals: ['nope'] }),
    ).rejects.toThrow(UsageError);
    await expect(
      benchCommand.run({ io: memoryIo(tmpdir()).io, options: {}, positionals: [] }),
    ).rejects.toThrow(/inside a gemini-lanes checkout/);
  });
});
