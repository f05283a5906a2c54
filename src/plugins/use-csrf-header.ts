/**
 * Refuses requests a web page on another site could make a browser send without a CORS preflight
 * (a GET, or a POST of a form or plain text) unless they carry the CSRF header: yoga's
 * useCSRFPrevention, its refusal given the catalog's code and message.
 */
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { Plugin } from 'graphql-yoga';
import { requestRefused } from '../errors.ts';

/** The header a GET (or a form/text POST) must carry; any value will do. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

export function useCsrfHeader(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      try {
        csrf.onRequestParse?.(payload);
      } catch {
        throw requestRefused(
          'CSRF_HEADER_REQUIRED',
          `This request could come from any web page (a GET, or a POST of a form or plain text): send ` +
            `it with a "${CSRF_HEADER}" header (any value), or POST application/json.`,
        );
      }
    },
  };
}
