/**
 * Where GraphiQL's page bundle is: built by scripts/build-graphiql.ts (npm start, npm test and
 * npm run test:browser build it first) into dist/graphiql/, served under /graphiql/ by
 * useGraphiQLAssets, and named in the page by Vite's manifest.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const bundleDir = fileURLToPath(new URL('../../dist/graphiql/', import.meta.url));
/** The URL path the bundle is served under (Vite's `base`). */
export const bundleBase = '/graphiql/';
/** Vite puts every built file in this folder of the bundle; nothing else there is served. */
export const bundleAssetsDir = 'assets';

/** What the page must load: the entry script, the stylesheets of it and its static imports, and those imports. */
export interface BundleEntry {
  script: string;
  styles: string[];
  preloads: string[];
}

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}

/** The bundle's entry as URLs, or undefined when the bundle is not built. */
export async function readBundleEntry(dir = bundleDir): Promise<BundleEntry | undefined> {
  let manifest: Record<string, ManifestChunk>;
  try {
    manifest = JSON.parse(await readFile(join(dir, '.vite', 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
  if (!entry) return undefined;
  const styles = new Set<string>();
  const preloads = new Set<string>();
  // Stylesheets of statically imported chunks are not loaded by the script: the page links them.
  const visit = (chunk: ManifestChunk, seen: Set<ManifestChunk>) => {
    if (seen.has(chunk)) return;
    seen.add(chunk);
    for (const css of chunk.css ?? []) styles.add(bundleBase + css);
    for (const key of chunk.imports ?? []) {
      const imported = manifest[key];
      if (!imported) continue;
      preloads.add(bundleBase + imported.file);
      visit(imported, seen);
    }
  };
  visit(entry, new Set());
  return { script: bundleBase + entry.file, styles: [...styles], preloads: [...preloads] };
}
