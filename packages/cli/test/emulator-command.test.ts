import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmulatorCommand, emulatorCommand } from '../src/commands/emulator.js';
import { ExitCode, main } from '../src/index.js';
import { memoryIo } from './io.js';

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const urlIn = (out: string) => /listening on (http:\/\/\S+)/.exec(out)?.[1];

describe('gemini-lanes emulator', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-emulator-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves until stopped, then closes and exits 0', async () => {
    const stop = new AbortController();
    const command = createEmulatorCommand({ stop: stop.signal });
    const t = memoryIo(dir);
    const running = main(
      ['emulator', '--port', '0', '--profile', 'zero', '--seed', '3', '--speed', '50'],
      t.io,
      [command],
    );
    const url = await waitFor(() => urlIn(t.stdout));
    expect(t.stdout).toContain('profile zero, seed 3, speed 50, quota on');
    expect(t.stdout).toContain(`baseUrl: '${url}'`);
    const res = await fetch(`${url}/v1beta/models/gemini-2.5-flash:countTokens`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'abcdefgh' }] }] }),
    });
    expect(await res.json()).toMatchObject({ totalTokens: 2 });
    stop.abort();
    expect(await running).toBe(ExitCode.ok);
    expect(t.stdout).toContain('emulator stopped after 1 request(s) on 1 connection(s)\n');
    expect(t.stderr).toBe('');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('takes options from a JSON file, with flags winning', async () => {
    const file = join(dir, 'emulator.json');
    await writeFile(
      file,
      JSON.stringify({ speed: 7, quota: false, models: { 'gemini-2.5-flash': { slots: 2 } } }),
    );
    const stop = new AbortController();
    let slots: number | null | undefined;
    const command = createEmulatorCommand({
      stop: stop.signal,
      onListening: (handle) => {
        slots = handle.options.models['gemini-2.5-flash']?.slots;
        stop.abort();
      },
    });
    const t = memoryIo(dir);
    expect(
      await main(['emulator', '--port', '0', '--options', 'emulator.json', '--speed', '9'], t.io, [
        command,
      ]),
    ).toBe(0);
    expect(t.stdout).toContain('speed 9, quota off');
    expect(slots).toBe(2);
  });

  it.each([
    [['--port', 'x'], '--port must be an integer from 0 to 65535 (got x)'],
    [['--profile', 'fast'], '--profile must be one of default, zero (got fast)'],
    [['--speed', '0'], '--speed must be a number > 0 (got 0)'],
    [['--seed', '1.5'], '--seed must be an integer'],
    [['--options', 'missing.json'], '--options: no such file:'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j as a usage error (exit 2)', async (args, message) => {
    const t = memoryIo(dir);
    expect(await main(['emulator', ...args], t.io, [emulatorCommand])).toBe(ExitCode.usage);
    expect(t.stderr).toContain(message);
    expect(t.stderr).toContain("Run 'gemini-lanes emulator --help' for usage.");
  });

  it('fails (exit 1) on invalid options in the file, naming the field', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ faults: { rates: { '503': 3 } } }));
    const t = memoryIo(dir);
    expect(
      await main(['emulator', '--options', 'bad.json', '--port', '0'], t.io, [emulatorCommand]),
    ).toBe(ExitCode.failure);
    expect(t.stderr).toContain('faults.rates.503 must be <= 1 (got 3)');
  });

  it('describes itself under --help with examples', async () => {
    const t = memoryIo(dir);
    expect(await main(['emulator', '--help'], t.io, [emulatorCommand])).toBe(0);
    expect(t.stdout).toContain('Usage: gemini-lanes emulator [--port <n>]');
    expect(t.stdout).toContain('--speed <x>');
    expect(t.stdout).toContain('Examples:\n  gemini-lanes emulator\n');
  });

  it('stops on SIGTERM and exits 0 as a real process', async () => {
    const built = fileURLToPath(new URL('../dist/commands/emulator.js', import.meta.url));
    const script = `
      import { emulatorCommand } from ${JSON.stringify(built)};
      const io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
      process.exitCode = await emulatorCommand.run({ io, options: { port: '0', profile: 'zero' }, positionals: [] });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const url = await waitFor(() => urlIn(out));
      expect(out).toContain('Press Ctrl+C to stop.');
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('emulator stopped after 0 request(s)');
      expect(err).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
