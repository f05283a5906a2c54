/**
 * Answers HTTP 503 with Retry-After when an operation got nothing but OVERLOADED errors: the
 * client should back off and retry, as with Triton's full queue. A partly answered operation
 * stays 200, its refused fields null with their own errors.
 */
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, UNAVAILABLE_STATUS, withHttpStatus } from '../errors.ts';

export function useOverloadStatus(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || !wholeOperationOverloaded(result)) return;
          const retryAfterSeconds = Math.max(...result.errors!.map((e) => Number(e.extensions.retryAfterSeconds) || 1));
          const headers = { 'Retry-After': String(retryAfterSeconds) };
          setResult({ ...result, errors: result.errors!.map((error) => withHttpStatus(error, UNAVAILABLE_STATUS, headers)) });
        },
      };
    },
  };
}

function wholeOperationOverloaded(result: ExecutionResult): boolean {
  const errors = result.errors;
  if (!errors?.length || !errors.every((e) => e.extensions?.code === ErrorCode.OVERLOADED)) return false;
  return result.data == null || Object.values(result.data).every((value) => value == null || isEmptyOfValues(value));
}

// Private: a list of nulls (a list prediction with every item refused) answered nothing either.
function isEmptyOfValues(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => item == null);
}
