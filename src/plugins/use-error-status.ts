/**
 * The last word on request errors. Every code of `requestErrorStatus` gets its status whatever the
 * client's Accept header, and so do yoga's BAD_REQUEST and REQUEST_ENTITY_TOO_LARGE (yoga marks
 * some as GraphQL-over-HTTP "spec" errors, answered 200 to `Accept: application/json`); parse and
 * validation errors of graphql-js keep the spec's statuses. Errors graphql-js raises before
 * execution without a code get one: BAD_USER_INPUT for variables that do not fit their types
 * (400, or 200 for `Accept: application/json`, as the spec recommends for any GraphQL request
 * error), BAD_REQUEST for an operation type the schema lacks (e.g. a mutation; 400).
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, requestErrorStatus, withCode } from '../errors.ts';

export function useErrorStatus(): Plugin {
  return {
    onExecute() {
      return { onExecuteDone: codeRequestErrors };
    },
    // A subscription (the schema has none) is refused by graphql-js' subscribe, not execute.
    onSubscribe() {
      return { onSubscribeResult: codeRequestErrors };
    },
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of (single as ExecutionResult).errors ?? []) {
          const code = error.extensions?.code as ErrorCode;
          const extensions = error.extensions as Record<string, unknown>;
          const http = extensions.http as { status?: number } | undefined;
          // yoga's own request errors keep their status (400, 405), Accept notwithstanding.
          const status =
            (requestErrorStatus as Partial<Record<ErrorCode, number>>)[code] ?? (code === ErrorCode.BAD_REQUEST ? http?.status : undefined);
          if (status === undefined) continue;
          extensions.http = { ...http, status, spec: false };
        }
      }
    },
  };
}

function codeRequestErrors({
  result,
  setResult,
}: {
  result: ExecutionResult | AsyncIterableIterator<ExecutionResult>;
  setResult: (result: ExecutionResult) => void;
}): void {
  if (Symbol.asyncIterator in result || !result.errors?.some(isUncodedRequestError)) return;
  setResult({
    ...result,
    errors: result.errors.map((e) => {
      if (!isUncodedRequestError(e)) return e;
      const code = codeOf(e);
      return withCode(e, code, 400, code === ErrorCode.BAD_USER_INPUT);
    }),
  });
}

// Private: graphql-js words every variable coercion error 'Variable "$name" ...' (v16); the rest
// ("Schema is not configured to execute mutation operation.") are about the request itself.
function codeOf(error: GraphQLError): ErrorCode {
  return error.message.startsWith('Variable "$') ? ErrorCode.BAD_USER_INPUT : ErrorCode.BAD_REQUEST;
}

// Private: an error with no path arose before any field ran (variables, operation type).
function isUncodedRequestError(error: GraphQLError): boolean {
  return !error.path && error.extensions?.code === undefined;
}
