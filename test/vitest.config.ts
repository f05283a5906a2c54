import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The code runs TypeScript natively (Node ≥ 22.18 type stripping), in workers too: a system Node 20
// would fail in confusing ways. `npm test` puts the pinned Node 24 first on PATH.
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 22) {
  throw new Error(`predictql tests need Node >= 22 (got ${process.version}); run them with \`npm test\`, which uses the pinned Node 24.`);
}

export default defineConfig({
  // One graphql module for all: vite would give src/ files graphql's .mjs while Pothos and yoga
  // load its .js, and graphql refuses types "from another module or realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: [
      'test/unit/**/*.test.ts',
      'test/integration/**/*.test.ts',
      'test/clients/**/*.test.ts',
      'test/federation/**/*.test.ts',
      'test/hostile/**/*.test.ts',
    ],
    // Integration files load real onnxruntime sessions (~0.2 s each); 2 workers match CI's 2 cores.
    pool: 'forks',
    // A focused test (.only) fails the run instead of silently skipping the rest.
    allowOnly: false,
    maxWorkers: 2,
    reporters: ['default', fileURLToPath(new URL('./support/summary-reporter.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
