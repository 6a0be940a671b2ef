import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { dashboardFiles } from '../src/index.js';
import { compareWithDirectory, describeDifferences } from './generated-files.js';

const REPO_DASHBOARDS = fileURLToPath(new URL('../../../dashboards/', import.meta.url));
const REGENERATE = 'gemini-lanes generate dashboards --out dashboards (from the repository root)';

describe('the committed dashboards/ directory', () => {
  it('holds exactly what the generator writes for the default configuration', () => {
    const differences = compareWithDirectory(dashboardFiles(defineConfig({})), REPO_DASHBOARDS, {
      keep: ['README.md'],
    });
    expect(differences, describeDifferences(differences, REGENERATE)).toEqual([]);
  });

  it('would report a stale, a missing and an extra file (the check can fail)', () => {
    const files = dashboardFiles(defineConfig({}));
    const dir = mkdtempSync(join(tmpdir(), 'gemini-lanes-stale-'));
    try {
      const [first, second] = Object.keys(files);
      writeFileSync(
        join(dir, first as string),
        (files[first as string] as string).replace('"now-6h"', '"now-1h"'),
      );
      writeFileSync(join(dir, 'old.json'), '{}\n');
      const differences = compareWithDirectory(files, dir);
      expect(differences.find((d) => d.file === first)).toMatchObject({ problem: 'differs' });
      expect(differences.find((d) => d.file === second)).toMatchObject({ problem: 'missing' });
      expect(differences.find((d) => d.file === 'old.json')).toMatchObject({
        problem: 'unexpected',
      });
      expect(describeDifferences(differences, REGENERATE)).toContain(`${first} differs at line`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
