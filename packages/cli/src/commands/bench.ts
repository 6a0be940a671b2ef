import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';

/** The checkout's `test/bench` folder: the nearest one in `cwd` or a parent. */
export function findBenchDir(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, 'test', 'bench');
    if (existsSync(join(candidate, 'support')) && existsSync(join(dir, 'pnpm-workspace.yaml'))) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The benchmarks in `dir`: every `<name>.ts` at its top level, by name. */
export function listBenchmarks(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.includes('.tmp.'))
    .map((e) => e.name.slice(0, -'.ts'.length))
    .sort();
}

/** Benchmarks left out of a run of everything: they take long and are run by name. */
const ON_REQUEST = new Set(['job-scale', 'separation']);

function runOne(
  file: string,
  args: readonly string[],
  io: Parameters<Command['run']>[0]['io'],
): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [file, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...io.env },
    });
    child.stdout.on('data', (chunk) => io.stdout.write(String(chunk)));
    child.stderr.on('data', (chunk) => io.stderr.write(String(chunk)));
    const stop = () => child.kill('SIGINT');
    process.once('SIGINT', stop);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', stop);
      done(code ?? (signal ? 1 : 0));
    });
  });
}

export const benchCommand: Command = {
  name: 'bench',
  summary: "Run the repository's benchmarks (from a checkout) and write their results.",
  usage: 'bench [<name>...] [--quick] [--list]',
  description: `Runs the benchmarks under test/bench of the gemini-lanes checkout this directory is in,
one after another, each side by side with its baselines against an emulator in its own process.
Each prints medians and ratios and writes JSON and Markdown into test/bench/results/. Without
names it runs every benchmark but the long ones (job-scale: a 1,000,000-line job under five heap settings, about 40 minutes; separation:
the 20-minute workload-separation experiment), which run by name (or as node test/bench/job-scale.ts --lines 50000 for a smaller one). Build first (pnpm build): the benchmarks import the packages' dist/. Exit code: 0 when
every benchmark ran, 1 when one failed (it does not judge the figures against targets).`,
  options: {
    quick: {
      type: 'boolean',
      description:
        'a short run of each (fewer rounds and requests); for a smoke test, not for figures',
    },
    list: { type: 'boolean', description: 'list the benchmarks and exit' },
  },
  positionals: true,
  examples: [
    'gemini-lanes bench --list',
    'gemini-lanes bench --quick',
    'gemini-lanes bench latency-lane throughput-lane',
    'gemini-lanes bench job-scale',
  ],
  async run({ io, options, positionals }) {
    const dir = findBenchDir(io.cwd);
    if (dir === undefined) {
      throw new UsageError(
        'no test/bench here: run gemini-lanes bench inside a gemini-lanes checkout (the benchmarks are not part of the published packages)',
        'bench',
      );
    }
    const available = listBenchmarks(dir);
    if (options.list) {
      for (const name of available) {
        io.stdout.write(`${name}${ON_REQUEST.has(name) ? '  (long; run by name)' : ''}\n`);
      }
      return ExitCode.ok;
    }
    const names = positionals;
    for (const name of names) {
      if (!available.includes(name)) {
        throw new UsageError(
          `no benchmark named ${name}; there are: ${available.join(', ')}`,
          'bench',
        );
      }
    }
    const chosen = names.length > 0 ? names : available.filter((n) => !ON_REQUEST.has(n));
    const args = options.quick ? ['--quick'] : [];
    for (const name of chosen) {
      io.stdout.write(`\n== bench ${name}${args.length > 0 ? ` ${args.join(' ')}` : ''}\n`);
      const code = await runOne(join(dir, `${name}.ts`), args, io);
      if (code !== 0) {
        io.stderr.write(`bench ${name} failed (exit ${code})\n`);
        return ExitCode.failure;
      }
    }
    io.stdout.write(`\nresults: ${join(dir, 'results')}\n`);
    return ExitCode.ok;
  },
};
