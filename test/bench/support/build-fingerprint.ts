/**
 * A short fingerprint of a workspace package's built `dist/` JavaScript, written into results so
 * a figure can be matched to the code that produced it (the packages change between runs).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** sha256 (first 12 hex digits) over `packages/<name>/dist/**\/*.js`, in path order. */
export async function distFingerprint(name: string): Promise<string> {
  const dist = fileURLToPath(new URL(`../../../packages/${name}/dist/`, import.meta.url));
  const files = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.js')).sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file);
    hash.update(await readFile(join(dist, file)));
  }
  return hash.digest('hex').slice(0, 12);
}
