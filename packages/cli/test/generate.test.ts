import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, main } from '../src/index.js';
import { memoryIo } from './io.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('gemini-lanes generate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-generate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reproduces the committed dashboards/ and alerts/ byte for byte from the defaults', async () => {
    const t = memoryIo(dir);
    expect(await main(['generate', 'all', '--out', dir], t.io)).toBe(ExitCode.ok);
    expect(t.stdout).toContain('dashboards: wrote 4 file(s)');
    expect(t.stdout).toContain('alerts: wrote 3 file(s)');
    for (const sub of ['dashboards', 'alerts']) {
      for (const name of await readdir(join(dir, sub))) {
        expect(await readFile(join(dir, sub, name), 'utf8'), `${sub}/${name}`).toBe(
          await readFile(join(repo, sub, name), 'utf8'),
        );
      }
    }
    const check = memoryIo(repo);
    expect(
      await main(['generate', 'all', '--check', '--config', join(dir, 'none.json')], check.io),
    ).toBe(ExitCode.usage);
  });

  it('follows the configuration, and --check reports stale files with exit 1', async () => {
    await writeFile(
      join(dir, 'gemini-lanes.config.json'),
      JSON.stringify({ lanes: { latency: { sla: { ttftMs: 350 } } } }),
    );
    const t = memoryIo(dir);
    expect(await main(['generate', 'dashboards'], t.io)).toBe(ExitCode.ok);
    const latency = JSON.parse(
      await readFile(join(dir, 'dashboards', 'gemini-lanes-latency.json'), 'utf8'),
    );
    expect(JSON.stringify(latency)).toContain('0.35');
    const fresh = memoryIo(dir);
    expect(await main(['generate', 'dashboards', '--check'], fresh.io)).toBe(ExitCode.ok);
    expect(fresh.stdout).toContain('up to date');
    await writeFile(
      join(dir, 'gemini-lanes.config.json'),
      JSON.stringify({ lanes: { latency: { sla: { ttftMs: 450 } } } }),
    );
    const stale = memoryIo(dir);
    expect(await main(['generate', 'dashboards', '--check'], stale.io)).toBe(ExitCode.failure);
    expect(stale.stderr).toContain(
      `${join(dir, 'dashboards', 'gemini-lanes-latency.json')} differs`,
    );
    const missing = memoryIo(dir);
    expect(await main(['generate', 'alerts', '--check'], missing.io)).toBe(ExitCode.failure);
    expect(missing.stderr).toContain(`${join(dir, 'alerts', 'gemini-lanes.rules.yml')} is missing`);
  });

  it('exits 2 on a missing or unknown target and 1 on an invalid configuration', async () => {
    const none = memoryIo(dir);
    expect(await main(['generate'], none.io)).toBe(ExitCode.usage);
    expect(none.stderr).toContain('say what to generate: dashboards, alerts or all');
    const unknown = memoryIo(dir);
    expect(await main(['generate', 'grafana'], unknown.io)).toBe(ExitCode.usage);
    await writeFile(
      join(dir, 'bad.yaml'),
      'slos:\n  latency:\n    availability: { target: 0.5 }\n',
    );
    const bad = memoryIo(dir);
    expect(await main(['generate', 'alerts', '-c', 'bad.yaml'], bad.io)).toBe(ExitCode.failure);
    expect(bad.stderr).toContain('slos.latency.availability.target is too low for a 30d window');
  });
});
