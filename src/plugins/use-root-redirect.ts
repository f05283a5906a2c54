/** `GET /` answers 302 to the GraphQL endpoint (GraphiQL in a browser), instead of an empty 404. */
import type { Plugin } from 'graphql-yoga';

export function useRootRedirect(target: string): Plugin {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== '/' || (request.method !== 'GET' && request.method !== 'HEAD')) return;
      endResponse(new fetchAPI.Response(null, { status: 302, headers: { location: target } }));
    },
  };
}
