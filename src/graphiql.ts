/**
 * GraphiQL with its scripts, styles and editor workers inside the page
 * (@graphql-yoga/render-graphiql), instead of yoga's default page that loads them from a CDN:
 * the IDE then works without internet access, behind a firewall, and in CI. The bundle is ~9 MB
 * of JavaScript, so it is imported on the first GraphiQL request, not at start, and each rendered
 * page is kept (the options of an app do not change).
 */
import type { GraphiQLOptions } from 'graphql-yoga';

const pages = new Map<string, Promise<string>>();

export function renderOfflineGraphiQL(options: GraphiQLOptions): Promise<string> {
  const key = JSON.stringify(options);
  let page = pages.get(key);
  if (!page) {
    page = import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options));
    // A failed import must not be cached: the next request tries again.
    page.catch(() => pages.delete(key));
    pages.set(key, page);
  }
  return page;
}
