/**
 * Builds GraphiQL's page (src/graphiql/browser/main.tsx: GraphiQL, the Batches panel, the editors'
 * workers) into dist/graphiql/ with Vite, for the server to serve (src/plugins/use-graphiql-assets.ts).
 * `npm start`, `npm test` and `npm run test:browser` run it first. A build is skipped when its
 * inputs (src/graphiql/, package-lock.json, this script) hash as at the last one; --force rebuilds.
 * It reports on stderr: `npm start`'s stdout is the server's own (`npm start -- --help` prints help only).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'vite';
import { bundleBase, bundleDir } from '../src/graphiql/bundle.ts';

const repoRoot = new URL('..', import.meta.url).pathname;
const sourceDir = join(repoRoot, 'src', 'graphiql');
const stampFile = join(bundleDir, 'inputs.sha256');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function inputsHash(): Promise<string> {
  const files = [...(await filesUnder(sourceDir)), join(repoRoot, 'package-lock.json'), new URL(import.meta.url).pathname].sort();
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(relative(repoRoot, file))
      .update('\0')
      .update(await readFile(file));
  return hash.digest('hex');
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const hash = await inputsHash();
  const built = await readFile(stampFile, 'utf8').catch(() => '');
  if (!force && built === hash) {
    console.error(`graphiql: ${relative(repoRoot, bundleDir)} is up to date`);
    return;
  }
  const startedAt = performance.now();
  await build({
    configFile: false,
    root: join(sourceDir, 'browser'),
    base: bundleBase,
    publicDir: false,
    logLevel: 'warn',
    build: {
      outDir: bundleDir,
      emptyOutDir: true,
      manifest: true,
      // GraphiQL's editor (Monaco) is one 2.8 MB chunk: nothing to split further.
      chunkSizeWarningLimit: 4096,
      rolldownOptions: {
        input: join(sourceDir, 'browser', 'main.tsx'),
        onwarn(warning, warn) {
          // GraphiQL's dependencies mark their modules "use client" for React Server Components: meaningless in a bundle.
          if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
          warn(warning);
        },
      },
    },
    worker: { format: 'es' },
  });
  await writeFile(stampFile, hash);
  const files = await filesUnder(join(bundleDir, 'assets'));
  const bytes = (await Promise.all(files.map((f) => stat(f)))).reduce((sum, s) => sum + s.size, 0);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.error(
    `graphiql: built ${relative(repoRoot, bundleDir)} in ${seconds} s (${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB)`,
  );
}

main().catch((error: unknown) => {
  console.error(`graphiql: build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
