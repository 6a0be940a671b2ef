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
    // The configuration reference reads no configuration: `all` leaves it out.
    expect(t.stdout).not.toContain('config-reference');
    expect((await readdir(dir)).sort()).toEqual(['alerts', 'dashboards']);
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
    expect(none.stderr).toContain(
      'say what to generate: dashboards, alerts, all or config-reference',
    );
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

  it('writes the configuration reference from the schema alone, and --check finds it stale', async () => {
    const t = memoryIo(dir);
    expect(await main(['generate', 'config-reference', '--out', 'reference'], t.io)).toBe(
      ExitCode.ok,
    );
    expect(t.stdout).toContain(
      `config-reference: wrote 2 file(s) to ${join(dir, 'reference')}: configuration.md, gemini-lanes.config.schema.json`,
    );
    for (const name of ['configuration.md', 'gemini-lanes.config.schema.json']) {
      expect(await readFile(join(dir, 'reference', name), 'utf8'), name).toBe(
        await readFile(join(repo, 'docs', name), 'utf8'),
      );
    }

    // The committed docs/ is what the generator writes (its default directory from the root).
    const committed = memoryIo(repo);
    expect(await main(['generate', 'config-reference', '--check'], committed.io)).toBe(ExitCode.ok);
    expect(committed.stdout).toContain(
      'generated files are up to date for the configuration schema',
    );

    await writeFile(join(dir, 'reference', 'configuration.md'), '# old\n');
    const stale = memoryIo(dir);
    expect(
      await main(['generate', 'config-reference', '--check', '--out', 'reference'], stale.io),
    ).toBe(ExitCode.failure);
    expect(stale.stderr).toContain(`${join(dir, 'reference', 'configuration.md')} differs`);
    expect(stale.stderr).toContain("Run 'gemini-lanes generate config-reference' to update them.");
  });

  it('reads no configuration for the reference: an invalid one does not matter, --config is refused', async () => {
    await writeFile(join(dir, 'gemini-lanes.config.json'), JSON.stringify({ servce: 'x' }));
    const t = memoryIo(dir);
    expect(await main(['generate', 'config-reference'], t.io)).toBe(ExitCode.ok);
    expect(await readdir(join(dir, 'docs'))).toEqual([
      'configuration.md',
      'gemini-lanes.config.schema.json',
    ]);
    const withConfig = memoryIo(dir);
    expect(
      await main(
        ['generate', 'config-reference', '--config', 'gemini-lanes.config.json'],
        withConfig.io,
      ),
    ).toBe(ExitCode.usage);
    expect(withConfig.stderr).toContain('config-reference reads no configuration');
  });
});
