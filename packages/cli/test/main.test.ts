import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GeminiLanesError } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { type Command, ExitCode, main, UsageError } from '../src/index.js';
import { memoryIo } from './io.js';

const calls: Array<{ options: unknown; positionals: string[] }> = [];
const echo: Command = {
  name: 'echo',
  summary: 'Print the arguments back.',
  usage: 'echo [--upper] [--times <n>] <words...>',
  options: {
    upper: { type: 'boolean', short: 'u', description: 'print in upper case' },
    times: { type: 'string', valueName: '<n>', description: 'repeat n times (default 1)' },
  },
  positionals: true,
  examples: ['gemini-lanes echo --upper hello'],
  async run({ io, options, positionals }) {
    calls.push({ options, positionals });
    const times = Number(options.times ?? '1');
    if (!Number.isInteger(times) || times < 1)
      throw new UsageError(`--times must be a positive integer (got ${options.times})`);
    const text = positionals.join(' ');
    for (let i = 0; i < times; i++)
      io.stdout.write(`${options.upper ? text.toUpperCase() : text}\n`);
    return ExitCode.ok;
  },
};
const broken: Command = {
  name: 'broken',
  summary: 'Always fails.',
  usage: 'broken',
  options: {},
  examples: [],
  async run() {
    throw new GeminiLanesError(
      'ERR_CONFIG_INVALID',
      'lanes.latency.sla.ttftMs must be > 0 (got -1)',
    );
  },
};
const commands = [echo, broken];

describe('gemini-lanes main', () => {
  it('lists the commands and exit codes under --help and with no arguments', async () => {
    for (const argv of [[], ['--help'], ['-h']]) {
      const t = memoryIo();
      expect(await main(argv, t.io, commands)).toBe(ExitCode.ok);
      expect(t.stdout).toContain('Usage:\n  gemini-lanes <command> [options]');
      expect(t.stdout).toMatch(
        /\n {2}echo +Print the arguments back\.\n {2}broken +Always fails\.\n/,
      );
      expect(t.stdout).toContain('Exit codes: 0 ok, 1 failure, 2 usage error.');
      expect(t.stderr).toBe('');
    }
  });

  it('prints a command help with its options and examples', async () => {
    const t = memoryIo();
    expect(await main(['echo', '--help'], t.io, commands)).toBe(ExitCode.ok);
    expect(t.stdout).toContain('Usage: gemini-lanes echo [--upper] [--times <n>] <words...>');
    expect(t.stdout).toContain('-u, --upper');
    expect(t.stdout).toContain('--times <n>');
    expect(t.stdout).toContain('Examples:\n  gemini-lanes echo --upper hello');
    const viaHelp = memoryIo();
    await main(['help', 'echo'], viaHelp.io, commands);
    expect(viaHelp.stdout).toBe(t.stdout);
  });

  it('parses options and positionals and runs the command', async () => {
    const t = memoryIo();
    expect(await main(['echo', '-u', '--times', '2', 'hi', 'there'], t.io, commands)).toBe(0);
    expect(t.stdout).toBe('HI THERE\nHI THERE\n');
    expect(calls.at(-1)).toEqual({
      options: { upper: true, times: '2' },
      positionals: ['hi', 'there'],
    });
  });

  it('exits 2 with a pointer to --help on an unknown command, an unknown option or a bad value', async () => {
    const unknown = memoryIo();
    expect(await main(['frobnicate'], unknown.io, commands)).toBe(ExitCode.usage);
    expect(unknown.stderr).toBe(
      "gemini-lanes: unknown command 'frobnicate'\nRun 'gemini-lanes --help' for usage.\n",
    );

    const badOption = memoryIo();
    expect(await main(['echo', '--loud'], badOption.io, commands)).toBe(ExitCode.usage);
    expect(badOption.stderr).toContain("gemini-lanes echo: Unknown option '--loud'");
    expect(badOption.stderr).toContain("Run 'gemini-lanes echo --help' for usage.");

    const badValue = memoryIo();
    expect(await main(['echo', '--times', 'x', 'a'], badValue.io, commands)).toBe(ExitCode.usage);
    expect(badValue.stderr).toContain('--times must be a positive integer (got x)');
  });

  it('exits 1 with the error code when a command fails', async () => {
    const t = memoryIo();
    expect(await main(['broken'], t.io, commands)).toBe(ExitCode.failure);
    expect(t.stderr).toBe(
      'gemini-lanes broken: lanes.latency.sla.ttftMs must be > 0 (got -1) [ERR_CONFIG_INVALID]\n',
    );
  });

  it('runs as a real executable with the same exit codes', async () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    const run = promisify(execFile);
    const version = await run(process.execPath, [bin, '--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const failure = await run(process.execPath, [bin, 'no-such-command']).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: ExitCode.usage });
    expect((failure as { stderr: string }).stderr).toContain("unknown command 'no-such-command'");
  });
});
