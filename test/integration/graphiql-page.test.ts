/**
 * The GraphiQL page and its bundle through the real app (`yoga.fetch`): the page names the built
 * bundle's files, the server serves exactly those (with their types, cacheable for good) and
 * nothing else under /graphiql/; without a bundle the page says how to build it. `npm test` builds
 * the bundle first (npm run graphiql:build).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictQLApp, Services } from '../../src/app.ts';
import { readBundleEntry } from '../../src/graphiql/bundle.ts';
import { renderGraphiQLPage } from '../../src/graphiql/page.ts';
import { loadRealApp } from '../support/app.ts';

let services: Services;
let yoga: PredictQLApp;

beforeAll(async () => {
  if (!(await readBundleEntry())) throw new Error('GraphiQL is not built: run `npm run graphiql:build` (npm test does) before this test.');
  ({ services, yoga } = await loadRealApp());
});

afterAll(async () => {
  await services?.inference.close();
});

const get = (path: string, method = 'GET') => yoga.fetch(`http://yoga${path}`, { method, headers: { accept: 'text/html,*/*' } });

describe('the GraphiQL page', () => {
  it('loads the built bundle from this server and carries its options as JSON', async () => {
    const html = await (await get('/graphql')).text();
    const entry = (await readBundleEntry())!;
    expect(html).toContain(`<script type="module" src="${entry.script}"></script>`);
    for (const href of entry.styles) expect(html).toContain(`<link rel="stylesheet" href="${href}" />`);
    // No address of another host anywhere in the page.
    expect(html.match(/\b(?:src|href)="(?!\/graphiql\/|data:)/g)).toBeNull();
    const options = JSON.parse(html.match(/<script type="application\/json" id="predictql-graphiql-options">(.*?)<\/script>/s)![1]!);
    expect(options).toMatchObject({ title: 'predictql', headers: expect.stringContaining('x-predictql-trace') });
    expect(options.defaultQuery).toContain('predictLatency');
  });

  it('serves the bundle’s files with their types, cacheable for good, and nothing else', async () => {
    const entry = (await readBundleEntry())!;
    const script = await get(entry.script);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await script.text()).length).toBeGreaterThan(1000);
    const style = await get(entry.styles[0]!, 'HEAD');
    expect([style.status, style.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    for (const path of [
      '/graphiql/assets/nope.js',
      '/graphiql/assets/..%2F..%2Fpackage.json',
      '/graphiql/.vite/manifest.json',
      '/graphiql/inputs.sha256',
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('says how to build the bundle when it is not built, and keeps a query’s </script> inside its JSON', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'predictql-no-bundle-'));
    try {
      const html = await renderGraphiQLPage({ title: 'predictql', defaultQuery: '# </script><b>x</b>\n{ models { name } }' }, empty);
      expect(html).toContain('npm run graphiql:build');
      expect(html).not.toContain('<script type="module"');
      expect(html).not.toContain('</script><b>');
      expect(html).toContain('\\u003c/script>\\u003cb>');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
