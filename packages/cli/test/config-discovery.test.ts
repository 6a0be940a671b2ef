import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findConfigFile, UsageError } from '../src/index.js';

describe('findConfigFile', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gemini-lanes-cli-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('finds the nearest gemini-lanes.config.* in the directory or a parent', async () => {
    const nested = join(root, 'service', 'src');
    await mkdir(nested, { recursive: true });
    await writeFile(join(root, 'gemini-lanes.config.yaml'), 'service: chat\n');
    expect(await findConfigFile(nested)).toBe(join(root, 'gemini-lanes.config.yaml'));
    await writeFile(join(root, 'service', 'gemini-lanes.config.json'), '{}');
    expect(await findConfigFile(nested)).toBe(join(root, 'service', 'gemini-lanes.config.json'));
  });

  it('returns undefined when there is no configuration file anywhere up the tree', async () => {
    // tmpdir() itself must not hold one for this to mean anything.
    expect(await findConfigFile(tmpdir())).toBeUndefined();
    expect(await findConfigFile(root)).toBeUndefined();
  });

  it('refuses two configuration files in one directory', async () => {
    await writeFile(join(root, 'gemini-lanes.config.ts'), 'export default {}');
    await writeFile(join(root, 'gemini-lanes.config.json'), '{}');
    await expect(findConfigFile(root)).rejects.toThrow(
      `more than one configuration file in ${root} (gemini-lanes.config.ts, gemini-lanes.config.json); keep one or pass --config`,
    );
  });

  it('uses --config relative to the working directory and refuses a missing one', async () => {
    await writeFile(join(root, 'custom.yaml'), 'service: x\n');
    expect(await findConfigFile(root, 'custom.yaml')).toBe(join(root, 'custom.yaml'));
    await expect(findConfigFile(root, 'missing.yaml')).rejects.toBeInstanceOf(UsageError);
    await expect(findConfigFile(root, 'missing.yaml')).rejects.toThrow(
      `--config: no such file: ${join(root, 'missing.yaml')}`,
    );
  });
});
