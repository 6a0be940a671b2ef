/** Comparing generated files with a directory of committed copies. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FileDifference {
  file: string;
  problem: 'missing' | 'differs' | 'unexpected';
  /** The first differing line, 1-based, for `differs`. */
  line?: number;
  expected?: string;
  actual?: string;
}

/**
 * Every generated file missing from `dir` or different there, and every file in `dir` the
 * generator no longer writes (ignoring `keep`, e.g. the README). `suffix` is appended to the
 * names on disk (golden copies are stored as `<name>.golden`, out of the formatter's reach).
 */
export function compareWithDirectory(
  generated: Record<string, string>,
  dir: string,
  options: { keep?: readonly string[]; suffix?: string } = {},
): FileDifference[] {
  const { keep = [], suffix = '' } = options;
  const out: FileDifference[] = [];
  for (const [file, text] of Object.entries(generated)) {
    const path = join(dir, `${file}${suffix}`);
    if (!existsSync(path)) {
      out.push({ file, problem: 'missing' });
      continue;
    }
    const committed = readFileSync(path, 'utf8');
    if (committed === text) continue;
    const a = text.split('\n');
    const b = committed.split('\n');
    const index = a.findIndex((line, i) => line !== b[i]);
    const line = index === -1 ? a.length + 1 : index + 1;
    out.push({
      file,
      problem: 'differs',
      line,
      expected: a[line - 1] ?? '',
      actual: b[line - 1] ?? '',
    });
  }
  if (existsSync(dir)) {
    for (const file of readdirSync(dir)) {
      const name = suffix !== '' && file.endsWith(suffix) ? file.slice(0, -suffix.length) : file;
      if (!(name in generated && file === `${name}${suffix}`) && !keep.includes(file)) {
        out.push({ file, problem: 'unexpected' });
      }
    }
  }
  return out;
}

export function describeDifferences(
  differences: readonly FileDifference[],
  regenerate: string,
): string {
  return `${differences
    .map((d) =>
      d.problem === 'differs'
        ? `${d.file} differs at line ${d.line}:\n  generated: ${d.expected}\n  committed: ${d.actual}`
        : `${d.file} is ${d.problem === 'missing' ? 'missing' : 'no longer generated'}`,
    )
    .join('\n')}\nRegenerate with: ${regenerate}`;
}
