import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser test: GraphiQL in Debian's Chromium driven by playwright-core (`npm run test:browser`;
// .ci/run installs the chromium package). Kept apart from `npm test`, which needs no browser.
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 22) {
  throw new Error(`predictql tests need Node >= 22 (got ${process.version}); run them with \`npm run test:browser\`.`);
}

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default', fileURLToPath(new URL('../support/summary-reporter.ts', import.meta.url))],
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
