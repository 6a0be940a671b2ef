import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, main } from '../src/index.js';
import { memoryIo } from './io.js';

describe('gemini-lanes validate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-validate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a valid discovered file and summarises it', async () => {
    await writeFile(
      join(dir, 'gemini-lanes.config.yaml'),
      'service: chat-api\nlanes:\n  latency:\n    sla: { ttftMs: 400 }\n',
    );
    const t = memoryIo(dir);
    expect(await main(['validate'], t.io)).toBe(ExitCode.ok);
    expect(t.stdout).toContain(
      `${join(dir, 'gemini-lanes.config.yaml')}: valid\n  service chat-api\n`,
    );
    expect(t.stdout).toContain('SLA 400 ms to first chunk');
    expect(t.stderr).toBe('');
  });

  it('prints every problem with its path and exits 1', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        lanes: { latency: { sla: { maxQueueWaitMs: -5, ttfMs: 1 } } },
        prometheus: { naming: 'x' },
      }),
    );
    const t = memoryIo(dir);
    expect(await main(['validate', '--config', 'bad.json'], t.io)).toBe(ExitCode.failure);
    expect(t.stderr).toBe(
      [
        `${file}: 3 problem(s)`,
        '  lanes.latency.sla.maxQueueWaitMs must be > 0 (got -5)',
        '  lanes.latency.sla.ttfMs is not a known option (did you mean ttftMs?)',
        '  prometheus.naming must be one of "otel-js", "unit-suffixed" (got "x")',
        '',
      ].join('\n'),
    );
  });

  it('validates the defaults when there is no file, and prints the resolved configuration', async () => {
    const t = memoryIo(dir);
    expect(await main(['validate'], t.io)).toBe(ExitCode.ok);
    expect(t.stdout).toMatch(/^no configuration file found; the defaults: valid\n/);
    const printed = memoryIo(dir);
    expect(await main(['validate', '--print'], printed.io)).toBe(ExitCode.ok);
    expect(JSON.parse(printed.stdout).lanes.latency.sla).toEqual({
      ttftMs: 500,
      durationMs: 2500,
      maxQueueWaitMs: 100,
      timeoutMs: 10_000,
    });
  });

  it('exits 2 for a --config that does not exist', async () => {
    const t = memoryIo(dir);
    expect(await main(['validate', '-c', 'nope.yaml'], t.io)).toBe(ExitCode.usage);
    expect(t.stderr).toContain(`--config: no such file: ${join(dir, 'nope.yaml')}`);
  });
});
