/**
 * Which web origins may read predictql's answers in a browser (CORS), and the headers they may
 * send. The default, any origin without credentials, lets a page on any site call the API as a
 * plain HTTP client could; listing origins also lets those pages send credentials (cookies,
 * HTTP auth) to it, which a gateway in front of predictql may read. See docs/security.md.
 */

/** `*` (any origin, no credentials) or the exact origins allowed, with credentials. */
export type CorsOrigins = '*' | readonly string[];

export const defaultCorsOrigins: CorsOrigins = '*';

/**
 * Request headers a page may send besides the CORS-safelisted ones: the JSON content type, the
 * inference report's trace header, the CSRF header of form POSTs, and those Apollo Client sends
 * when configured with a client name and version.
 */
export const corsAllowedHeaders = [
  'content-type',
  'x-predictql-trace',
  'x-graphql-yoga-csrf',
  'apollographql-client-name',
  'apollographql-client-version',
] as const;

export const corsAllowedMethods = ['GET', 'POST', 'OPTIONS'] as const;

/** How long a browser may reuse a preflight answer (Chromium caps it at 2 hours). */
export const corsMaxAgeSeconds = 7200;

/** An origin as a browser sends it: scheme://host[:port], lowercase, no default port, no path. */
export function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}
