import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDependencyDirection } from '../../scripts/check-deps.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A miniature workspace with the real package names and directions, to plant violations in. */
async function workspace(root: string, files: Record<string, string>): Promise<void> {
  const manifest = (name: string, deps: string[] = [], devDeps: string[] = []) =>
    JSON.stringify({
      name: `@gemini-lanes/${name}`,
      exports: { '.': './dist/index.js', './package.json': './package.json' },
      dependencies: Object.fromEntries(deps.map((d) => [`@gemini-lanes/${d}`, 'workspace:*'])),
      devDependencies: Object.fromEntries(
        devDeps.map((d) => [`@gemini-lanes/${d}`, 'workspace:*']),
      ),
    });
  const base: Record<string, string> = {
    'packages/core/package.json': manifest('core'),
    'packages/core/src/index.ts': "export * from './config.js';\n",
    'packages/core/src/config.ts': 'export const config = 1;\n',
    'packages/otel/package.json': manifest('otel', ['core'], ['emulator']),
    'packages/otel/src/index.ts':
      "import { config } from '@gemini-lanes/core';\nexport const x = config;\n",
    'packages/otel/test/x.test.ts':
      "import '@gemini-lanes/emulator';\nimport { x } from '../src/index.js';\n",
    'packages/emulator/package.json': manifest('emulator'),
    'packages/emulator/src/index.ts': 'export const emulator = 1;\n',
    'packages/cli/package.json': manifest('cli', ['core', 'otel', 'emulator']),
    'packages/cli/src/index.ts':
      "import '@gemini-lanes/otel';\nexport const y = await import('@gemini-lanes/emulator');\n",
  };
  for (const [path, text] of Object.entries({ ...base, ...files })) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe('dependency-direction check', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gemini-lanes-deps-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('passes on this repository', () => {
    expect(checkDependencyDirection(repoRoot)).toEqual([]);
  });

  it('passes on a workspace that follows the direction (tests may use the emulator)', async () => {
    await workspace(root, {});
    expect(checkDependencyDirection(root)).toEqual([]);
  });

  it('fails on a planted wrong-way import from core to otel, and on the cycle it makes', async () => {
    await workspace(root, {
      'packages/core/src/config.ts':
        "import { x } from '@gemini-lanes/otel';\nexport const config = x;\n",
    });
    expect(checkDependencyDirection(root)).toEqual([
      {
        file: 'packages/core/src/config.ts',
        message:
          'imports @gemini-lanes/otel, against the direction (core may import no workspace package)',
      },
      { file: 'packages', message: 'package cycle: core -> otel -> core' },
    ]);
  });

  it('fails when anything imports the CLI, even a type-only import or a re-export', async () => {
    await workspace(root, {
      'packages/otel/src/index.ts': "export type { Command } from '@gemini-lanes/cli';\n",
      'packages/cli/package.json': JSON.stringify({ name: '@gemini-lanes/cli' }),
    });
    expect(checkDependencyDirection(root)).toContainEqual({
      file: 'packages/otel/src/index.ts',
      message: 'imports @gemini-lanes/cli, against the direction (otel may import core)',
    });
  });

  it("fails on a reach into another package's files, by relative path or by deep import", async () => {
    await workspace(root, {
      'packages/otel/src/index.ts':
        "import '../../core/src/config.js';\nimport '@gemini-lanes/core/src/config.js';\n",
    });
    expect(checkDependencyDirection(root).map((v) => v.message)).toEqual([
      "imports '../../core/src/config.js', outside @gemini-lanes/otel; import the other package's public entry instead",
      "imports '@gemini-lanes/core/src/config.js', which @gemini-lanes/core does not export (public entries: ., ./package.json)",
    ]);
  });

  it('fails on an undeclared dependency and on the emulator used from src', async () => {
    await workspace(root, {
      'packages/otel/src/index.ts': "import '@gemini-lanes/emulator';\n",
      'packages/cli/src/index.ts':
        "import '@gemini-lanes/emulator';\nimport '@gemini-lanes/core';\n",
      'packages/cli/package.json': JSON.stringify({
        name: '@gemini-lanes/cli',
        dependencies: { '@gemini-lanes/emulator': '*' },
      }),
    });
    expect(checkDependencyDirection(root).map((v) => `${v.file}: ${v.message}`)).toEqual([
      "packages/cli/src/index.ts: imports @gemini-lanes/core without declaring it in @gemini-lanes/cli's dependencies",
      'packages/otel/src/index.ts: imports @gemini-lanes/emulator, against the direction (otel may import core)',
    ]);
  });

  it('fails on a wrong-way dependency declared in package.json even before code uses it', async () => {
    await workspace(root, {
      'packages/emulator/package.json': JSON.stringify({
        name: '@gemini-lanes/emulator',
        dependencies: { '@gemini-lanes/core': 'workspace:*' },
      }),
    });
    expect(checkDependencyDirection(root)).toEqual([
      {
        file: 'packages/emulator/package.json',
        message:
          '@gemini-lanes/emulator declares @gemini-lanes/core in dependencies, against the direction (emulator may import no workspace package)',
      },
    ]);
  });

  it('fails on an import cycle between modules of one package, but not on type-only imports', async () => {
    await workspace(root, {
      'packages/core/src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'packages/core/src/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'packages/core/src/c.ts': "import type { D } from './d.js';\nexport type C = D;\n",
      'packages/core/src/d.ts': "import type { C } from './c.js';\nexport type D = C | 1;\n",
    });
    expect(checkDependencyDirection(root)).toEqual([
      {
        file: 'packages/core/src/a.ts',
        message:
          'import cycle inside @gemini-lanes/core: packages/core/src/a.ts -> packages/core/src/b.ts -> packages/core/src/a.ts',
      },
    ]);
  });
});
