import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** One line of a benchmark's report on stdout. */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Imports packages by name as the workspace package `packages/<from>` resolves them (a package
 * can import itself by name): `@gemini-lanes/lanes`, core, undici and the OpenTelemetry SDK are
 * dependencies of the packages under test, not of this test package. Their built `dist/` is
 * what runs, so a benchmark measures what users get (run `pnpm build` first).
 */
export function builtPackages(from: 'lanes' | 'otel'): <T>(name: string) => Promise<T> {
  const resolve = createRequire(new URL(`../../../packages/${from}/package.json`, import.meta.url));
  return async <T>(name: string) => (await import(pathToFileURL(resolve.resolve(name)).href)) as T;
}
