import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const packages = readdirSync(new URL('./packages', import.meta.url)).sort();
// Examples with a package.json are workspace packages with their own tests.
const examples = readdirSync(new URL('./examples', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`examples/${entry.name}/package.json`))
  .map((entry) => entry.name)
  .sort();

// Workspace packages resolve to their TypeScript sources in tests (the `source` export
// condition), so a test never runs against a stale build of a sibling.
const resolveSources = {
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
};

export default defineConfig({
  test: {
    // Runs once before every project: the CLI is tested as a real executable from dist/.
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      ...packages.map((name) => ({
        ...resolveSources,
        test: { name, root: `./packages/${name}`, include: ['test/**/*.test.ts'] },
      })),
      ...examples.map((name) => ({
        ...resolveSources,
        test: {
          name: `example-${name}`,
          root: `./examples/${name}`,
          include: ['test/**/*.test.ts'],
        },
      })),
      { ...resolveSources, test: { name: 'repo', root: './test', include: ['**/*.test.ts'] } },
    ],
  },
});
