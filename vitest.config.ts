import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const packages = readdirSync(new URL('./packages', import.meta.url)).sort();

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
      { ...resolveSources, test: { name: 'repo', root: './test', include: ['**/*.test.ts'] } },
    ],
  },
});
