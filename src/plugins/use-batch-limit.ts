/**
 * HTTP batches (a JSON array of operations): an empty one is a malformed request (400), one of
 * more than `maxOperations` is refused (413 BATCH_LIMIT_EXCEEDED) before any of it runs; 0 turns
 * batches off. yoga's own `batching.limit` answers a plain error without the catalog's code.
 */
import type { Plugin } from 'graphql-yoga';
import { badRequest, requestRefused } from '../errors.ts';

export function useBatchLimit(maxOperations: number): Plugin {
  return {
    onRequestParse() {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (!Array.isArray(requestParserResult)) return;
          if (requestParserResult.length === 0) throw badRequest('A batch (a JSON array body) must hold at least one operation.');
          if (maxOperations === 0 || requestParserResult.length > maxOperations) {
            throw requestRefused(
              'BATCH_LIMIT_EXCEEDED',
              maxOperations === 0
                ? 'Batched requests (a JSON array of operations) are turned off on this server: send one operation per request.'
                : `A batch may hold at most ${maxOperations} operations; this one has ${requestParserResult.length}. ` +
                    `Send several smaller batches.`,
              { limit: maxOperations },
            );
          }
        },
      };
    },
  };
}
