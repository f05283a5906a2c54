/**
 * The CORS answers (src/cors-policy.ts): `*` lets any origin read answers without credentials;
 * a list lets only those origins read them, with credentials, and gives any other origin no CORS
 * header at all (its browser then hides the answer). A preflight (OPTIONS) is answered 204.
 *
 * Why not yoga's own `cors` option (whatwg-node's useCORS): with two or more listed origins it
 * answers an unlisted one `Access-Control-Allow-Origin: null`, which is exactly what a sandboxed
 * iframe's opaque origin sends, credentials allowed; and it sends no `Vary: Origin` for a single
 * listed origin, so a shared cache could hand one origin's answer to another.
 */
import type { Plugin } from 'graphql-yoga';
import { type CorsOrigins, corsAllowedHeaders, corsAllowedMethods, corsMaxAgeSeconds } from '../cors-policy.ts';

export function useCorsPolicy(origins: CorsOrigins): Plugin {
  const listed = origins === '*' ? undefined : new Set(origins);
  const headersFor = (origin: string | null, preflight: boolean): Record<string, string> => {
    // The answer depends on the Origin header whenever origins are listed (and `*` echoes it).
    const headers: Record<string, string> = { vary: 'Origin' };
    if (origin === null || (listed && !listed.has(origin))) return headers;
    headers['access-control-allow-origin'] = origin;
    if (listed) headers['access-control-allow-credentials'] = 'true';
    if (preflight) {
      headers['access-control-allow-methods'] = corsAllowedMethods.join(', ');
      headers['access-control-allow-headers'] = corsAllowedHeaders.join(', ');
      headers['access-control-max-age'] = String(corsMaxAgeSeconds);
    }
    return headers;
  };
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== 'OPTIONS') return;
      // Safari waits for a body on a 204 without Content-Length.
      const headers = { ...headersFor(request.headers.get('origin'), true), 'content-length': '0' };
      endResponse(new fetchAPI.Response(null, { status: 204, headers }));
    },
    onResponse({ request, response }) {
      if (request.method === 'OPTIONS') return;
      for (const [name, value] of Object.entries(headersFor(request.headers.get('origin'), false))) {
        if (name === 'vary') appendVary(response.headers, value);
        else response.headers.set(name, value);
      }
    },
  };
}

// Private: keeps what Vary already lists (e.g. Accept).
function appendVary(headers: Headers, value: string): void {
  const current = headers.get('vary');
  if (!current) headers.set('vary', value);
  else if (!current.split(',').some((v) => v.trim().toLowerCase() === value.toLowerCase())) headers.set('vary', `${current}, ${value}`);
}
