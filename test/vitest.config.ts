import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/federation/**/*.test.ts'],
    // Integration files load real onnxruntime sessions (~0.2 s each); 2 workers match CI's 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', fileURLToPath(new URL('./support/summary-reporter.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
