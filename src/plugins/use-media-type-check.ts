/**
 * Request shapes yoga would mishandle: a POST body of a media type no parser reads (yoga lets it
 * through to a generic error: here 415 UNSUPPORTED_MEDIA_TYPE), and GET `variables`/`extensions`
 * that are not JSON (yoga's GET parser lets JSON.parse's SyntaxError escape: a 500; here 400).
 */
import type { Plugin } from 'graphql-yoga';
import { badRequest, requestRefused } from '../errors.ts';

export function useMediaTypeCheck(): Plugin {
  return {
    onRequestParse(payload) {
      const { request, requestParser } = payload;
      if (request.method === 'POST' && !requestParser) {
        const type = request.headers.get('content-type');
        throw requestRefused(
          'UNSUPPORTED_MEDIA_TYPE',
          `A POST body of type ${type ? JSON.stringify(type) : '(none)'} cannot be read: send application/json (or application/graphql).`,
        );
      }
      if (request.method === 'GET' && requestParser) {
        const parse = requestParser;
        payload.setRequestParser(async (req) => {
          try {
            return await parse(req);
          } catch (error) {
            if (!(error instanceof SyntaxError)) throw error;
            throw badRequest(`The variables or extensions parameter is not valid JSON (${error.message}).`);
          }
        });
      }
    },
  };
}
