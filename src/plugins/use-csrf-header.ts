/**
 * Refuses a POST whose body a web page on another site could make a browser send without a CORS
 * preflight (a form, multipart or plain text) unless it carries the CSRF header: yoga's
 * useCSRFPrevention, its refusal given the catalog's code and message.
 *
 * GETs pass without it. The schema has queries only, yoga never runs a mutation over GET (405),
 * and predictql reads no cookie or other credential: a cross-site GET can only spend server time,
 * within the request limits, as any client that reaches the port can. Every GraphQL client sends
 * its GETs without the header (urql by default), so requiring it broke them for no protection.
 * The POST check stays: no GraphQL client sends those media types, and it is the one way a page
 * could make a browser submit an operation without a preflight. docs/security.md has the reasoning.
 */
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';
import { requestRefused } from '../errors.ts';

/** The header a form, multipart or plain-text POST must carry; any value will do. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

export function useCsrfHeader(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      if (payload.request.method === 'GET') return;
      try {
        csrf.onRequestParse?.(payload);
      } catch {
        throw requestRefused(
          'CSRF_HEADER_REQUIRED',
          `A POST of a form, multipart or plain-text body could come from any web page: send it with a ` +
            `"${CSRF_HEADER}" header (any value), or POST application/json.`,
        );
      }
    },
  };
}
