/**
 * The GraphiQL page yoga serves at /graphql to a browser: GraphiQL with the Batches panel, its
 * scripts and styles from this server's bundle (no CDN: it works offline, behind firewalls and in
 * CI), its options as JSON in the page. When the bundle is not built (the server was started
 * without `npm start`), the page says how to build it.
 */
import type { GraphiQLOptions } from 'graphql-yoga';
import { bundleDir, readBundleEntry } from './bundle.ts';
import { type GraphiQLPageOptions, PAGE_OPTIONS_ID } from './page-options.ts';

// Inline, so the browser asks this server for no /favicon.ico: the Batches panel's icon.
const favicon = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="#d6338a"><rect x="3" y="4" width="9" height="4" rx="1"/><rect x="7" y="10" width="13" height="4" rx="1"/><rect x="5" y="16" width="5" height="4" rx="1"/></svg>',
)}`;

const pages = new Map<string, Promise<string>>();

/** yoga's `renderGraphiQL`: one page per set of options, kept once the bundle is there. */
export function renderGraphiQLPage(options: GraphiQLOptions, dir = bundleDir): Promise<string> {
  const key = JSON.stringify([options, dir]);
  let page = pages.get(key);
  if (!page) {
    const pageOptions: GraphiQLPageOptions = {
      title: options.title ?? 'GraphiQL',
      defaultQuery: options.defaultQuery,
      headers: options.headers,
    };
    page = readBundleEntry(dir).then((entry) => {
      // A page without its bundle is not kept: the next request looks again.
      if (!entry) pages.delete(key);
      return html(pageOptions, entry);
    });
    pages.set(key, page);
  }
  return page;
}

function html(options: GraphiQLPageOptions, entry: Awaited<ReturnType<typeof readBundleEntry>>): string {
  const head = entry
    ? [
        ...entry.styles.map((href) => `<link rel="stylesheet" href="${href}" />`),
        ...entry.preloads.map((href) => `<link rel="modulepreload" href="${href}" />`),
        `<script type="module" src="${entry.script}"></script>`,
      ]
    : [];
  const body = entry
    ? '<div id="root" style="height: 100vh"></div>'
    : "<p>GraphiQL's page bundle is not built: run <code>npm run graphiql:build</code> (<code>npm start</code> does), then reload.</p>";
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title)}</title>
    <link rel="icon" href="${favicon}" />
    <script type="application/json" id="${PAGE_OPTIONS_ID}">${scriptJson(options)}</script>
    ${head.join('\n    ')}
  </head>
  <body style="margin: 0">
    ${body}
  </body>
</html>
`;
}

// JSON inside <script>: `<` escaped so a query holding "</script>" cannot end the element.
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
