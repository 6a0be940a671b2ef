import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineConfig, type GeminiLanesConfigInput } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { RULE_FILE_NAMES, ruleFiles } from '../src/index.js';
import { ARTIFACTS, REPO_ROOT } from './tools.js';

/** The committed outputs: the default configuration in alerts/, the opt-in profile beside its tests. */
const OUTPUTS: ReadonlyArray<{ dir: string; config: () => GeminiLanesConfigInput }> = [
  { dir: ARTIFACTS, config: () => ({}) },
  {
    dir: join(ARTIFACTS, 'tests', 'opt-in'),
    config: () =>
      JSON.parse(
        readFileSync(join(ARTIFACTS, 'tests', 'opt-in', 'config.json'), 'utf8'),
      ) as GeminiLanesConfigInput,
  },
];

/** `line N: expected … / committed …` for the first line where two texts part. */
function firstDifference(expected: string, committed: string): string {
  const a = expected.split('\n');
  const b = committed.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? a.length : i;
  return `line ${at + 1}: generated ${JSON.stringify(a[at] ?? '<end>')}, committed ${JSON.stringify(b[at] ?? '<end>')}`;
}

describe('committed artifacts', () => {
  it('are exactly what ruleFiles generates (regenerate them when this fails)', () => {
    const stale: string[] = [];
    for (const { dir, config } of OUTPUTS) {
      const files = ruleFiles(defineConfig(config()));
      expect(Object.keys(files).sort()).toEqual(Object.values(RULE_FILE_NAMES).sort());
      for (const [name, text] of Object.entries(files)) {
        const path = join(dir, name);
        const where = relative(REPO_ROOT, path);
        if (!existsSync(path)) stale.push(`${where} is missing`);
        else {
          const committed = readFileSync(path, 'utf8');
          if (committed !== text)
            stale.push(`${where} is stale: ${firstDifference(text, committed)}`);
        }
      }
    }
    expect(
      stale,
      `regenerate with: gemini-lanes generate alerts --out alerts (and --config alerts/tests/opt-in/config.json --out alerts/tests/opt-in)\n${stale.join('\n')}`,
    ).toEqual([]);
  });
});
