import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/index.js';
import { loadConfigFile } from '../src/load/index.js';

const coreDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-config-'));
    // A config module imports defineConfig from the package, as a user's would.
    await symlink(join(coreDir, '..', '..', 'node_modules'), join(dir, 'node_modules'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  async function problem(path: string): Promise<ConfigError> {
    const error = await loadConfigFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it('reads JSON', async () => {
    const config = await loadConfigFile(
      await write('a.json', '{"service":"chat-api","lanes":{"latency":{"sla":{"ttftMs":400}}}}'),
    );
    expect(config.service).toBe('chat-api');
    expect(config.lanes.latency.sla.ttftMs).toBe(400);
    expect(config.lanes.latency.sla.timeoutMs).toBe(10_000);
  });

  it('reads YAML', async () => {
    const config = await loadConfigFile(
      await write(
        'b.yaml',
        'service: batch-api\nlanes:\n  throughput:\n    concurrency: { max: 16 }\n',
      ),
    );
    expect(config.service).toBe('batch-api');
    expect(config.lanes.throughput.concurrency.max).toBe(16);
    expect((await loadConfigFile(await write('empty.yml', ''))).service).toBe('gemini-app');
  });

  it('reads a TypeScript module that exports defineConfig(...) as default', async () => {
    const path = await write(
      'gemini-lanes.config.ts',
      [
        "import { defineConfig, type GeminiLanesConfigInput } from '@gemini-lanes/core';",
        "const input: GeminiLanesConfigInput = { service: 'ts-service', lanes: { latency: { sla: { ttftMs: 350 } } } };",
        'export default defineConfig(input);',
      ].join('\n'),
    );
    const config = await loadConfigFile(path);
    expect(config.service).toBe('ts-service');
    expect(config.lanes.latency.sla.ttftMs).toBe(350);
  });

  it('reads an .mjs module exporting a plain object', async () => {
    const config = await loadConfigFile(await write('c.mjs', "export default { service: 'mjs' };"));
    expect(config.service).toBe('mjs');
  });

  it('names the file and every problem of a configuration that does not validate', async () => {
    const path = await write(
      'bad.yaml',
      'lanes:\n  latency:\n    sla:\n      maxQueueWaitMs: 5000\n      timeoutMs: 3000\nservce: x\n',
    );
    const error = await problem(path);
    expect(error.file).toBe(path);
    expect(error.message).toBe(
      `invalid gemini-lanes configuration in ${path}:\n  - servce is not a known option (did you mean service?)`,
    );
    // Field problems first; cross-field rules run once every field is valid.
    const fixed = await problem(
      await write(
        'bad2.yaml',
        'lanes:\n  latency:\n    sla:\n      maxQueueWaitMs: 5000\n      timeoutMs: 3000\n',
      ),
    );
    expect(fixed.issues).toEqual([
      {
        path: 'lanes.latency.sla.maxQueueWaitMs',
        message: 'must be < lanes.latency.sla.timeoutMs (5000 ≥ 3000)',
      },
    ]);
  });

  it('reports syntax errors with their position', async () => {
    const yaml = await problem(await write('broken.yaml', 'service: a\n  lanes: [\n'));
    expect(yaml.issues[0]?.message).toMatch(/^is not valid YAML at line \d+, column \d+: \S/);
    const json = await problem(await write('broken.json', '{"service": }'));
    expect(json.issues[0]?.message).toMatch(/^is not valid JSON: /);
  });

  it('says what is wrong with a module that fails or has no default export', async () => {
    expect(
      (await problem(await write('none.mjs', 'export const config = {};'))).issues[0]?.message,
    ).toBe('has no default export; write `export default defineConfig({ ... })`');
    expect(
      (await problem(await write('throws.mjs', "throw new Error('boom');"))).issues[0]?.message,
    ).toBe('failed to load: boom');
    const invalid = await problem(
      await write(
        'invalid.mjs',
        "import { defineConfig } from '@gemini-lanes/core';\nexport default defineConfig({ service: '' });",
      ),
    );
    expect(invalid.file).toBe(join(dir, 'invalid.mjs'));
    expect(invalid.issues).toEqual([{ path: 'service', message: 'must not be empty (got "")' }]);
  });

  it('refuses missing files and unknown extensions', async () => {
    expect((await problem(join(dir, 'missing.yaml'))).issues[0]?.message).toMatch(
      /^cannot be read: ENOENT/,
    );
    expect((await problem(await write('config.toml', ''))).issues[0]?.message).toBe(
      'cannot read .toml files; use one of .ts, .mts, .mjs, .js, .json, .yaml, .yml',
    );
  });
});
