/**
 * HTTP batches (a JSON array of operations): an empty one is a malformed request (400), one of
 * more than `maxOperations` is refused (413 BATCH_LIMIT_EXCEEDED) before any of it runs; 0 turns
 * batches off. yoga's own `batching.limit` answers a plain error without the catalog's code.
 *
 * A refused batch is answered as a batch: an array with the error once per operation, so that a
 * batching client hands each operation the reason (Apollo's BatchHttpLink otherwise reports only
 * "server returned results with length 1, expected length of 11"). Past MAX_ANSWERED_OPERATIONS
 * (more than any client batches) the answer is the error once, so a body of tiny operations
 * cannot make the answer many times its size.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badRequest, batchTooLarge, requestErrorStatus } from '../errors.ts';

/** The largest refused batch answered with one error per operation (the most PREDICTQL_MAX_BATCH_OPERATIONS allows). */
export const MAX_ANSWERED_OPERATIONS = 1000;

export function useBatchLimit(maxOperations: number): Plugin {
  // The refused batches, by request: their error and how many operations they held.
  const refused = new WeakMap<Request, { error: GraphQLError; operations: number }>();
  return {
    onRequestParse({ request }) {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (!Array.isArray(requestParserResult)) return;
          if (requestParserResult.length === 0) throw badRequest('A batch (a JSON array body) must hold at least one operation.');
          if (maxOperations === 0 || requestParserResult.length > maxOperations) {
            const error = batchTooLarge(maxOperations, requestParserResult.length);
            if (requestParserResult.length <= MAX_ANSWERED_OPERATIONS)
              refused.set(request, { error, operations: requestParserResult.length });
            throw error;
          }
        },
      };
    },
    onResultProcess({ request, setResult }) {
      const batch = refused.get(request);
      if (batch) setResult(Array.from({ length: batch.operations }, (): ExecutionResult => ({ errors: [batch.error] })));
    },
    // yoga answers any array 200: the refusal keeps its status.
    onResponse({ request, response, setResponse, fetchAPI }) {
      if (!refused.has(request)) return;
      setResponse(new fetchAPI.Response(response.body, { status: requestErrorStatus.BATCH_LIMIT_EXCEEDED, headers: response.headers }));
    },
  };
}
