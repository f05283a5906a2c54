/**
 * Serves GraphiQL's page bundle (scripts, styles, editor workers, fonts) under /graphiql/assets/,
 * from dist/graphiql/ (scripts/build-graphiql.ts). Only files the build wrote are served, listed
 * once; their names carry a content hash, so browsers may keep them for good.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Plugin } from 'graphql-yoga';
import { bundleAssetsDir, bundleBase, bundleDir } from '../graphiql/bundle.ts';

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
};

export function useGraphiQLAssets(dir = bundleDir): Plugin {
  const prefix = `${bundleBase}${bundleAssetsDir}/`;
  let listed: Set<string> | undefined;
  const files = async (): Promise<Set<string>> => {
    if (listed) return listed;
    const names = new Set(await readdir(join(dir, bundleAssetsDir)).catch(() => []));
    // A bundle missing at the first request may be built later: an empty listing is not kept.
    if (names.size > 0) listed = names;
    return names;
  };
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      if (!url.pathname.startsWith(prefix) || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      const name = url.pathname.slice(prefix.length);
      if (!(await files()).has(name)) {
        endResponse(new fetchAPI.Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } }));
        return;
      }
      const body = request.method === 'HEAD' ? null : await readFile(join(dir, bundleAssetsDir, name));
      endResponse(
        new fetchAPI.Response(body, {
          headers: {
            'content-type': contentTypes[extname(name)] ?? 'application/octet-stream',
            'cache-control': 'public, max-age=31536000, immutable',
            'x-content-type-options': 'nosniff',
          },
        }),
      );
    },
  };
}
