/**
 * The error catalog: every error predictql puts in a GraphQL response has one of these codes in
 * `extensions.code`. Codes are part of the API; messages may be improved, codes may not change.
 */
import { createGraphQLError } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import type { FeatureProblem } from './inference/feature-validation.ts';

export const ErrorCode = {
  /** An argument or input value is outside what the model accepts (range, count, type). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The `model` argument names no loaded model. */
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  /** onnxruntime failed the run that held this item; other runs are unaffected. */
  INFERENCE_FAILED: 'INFERENCE_FAILED',
  /** The model's queue is full (or the item waited too long): retry later. HTTP 503 when nothing else was answered. */
  OVERLOADED: 'OVERLOADED',

  // Request limits (src/plugins/use-request-limits.ts, use-prediction-cost.ts): refused before execution.
  /** The document has more lexical tokens than PREDICTQL_MAX_TOKENS, or nests brackets deeper than the parser allows. HTTP 400. */
  TOKEN_LIMIT_EXCEEDED: 'TOKEN_LIMIT_EXCEEDED',
  /** An operation selects deeper than PREDICTQL_MAX_DEPTH (fragments flattened, introspection included). HTTP 400. */
  DEPTH_LIMIT_EXCEEDED: 'DEPTH_LIMIT_EXCEEDED',
  /** An operation has more aliases than PREDICTQL_MAX_ALIASES. HTTP 400. */
  ALIAS_LIMIT_EXCEEDED: 'ALIAS_LIMIT_EXCEEDED',
  /** The document uses more directives than PREDICTQL_MAX_DIRECTIVES. HTTP 400. */
  DIRECTIVE_LIMIT_EXCEEDED: 'DIRECTIVE_LIMIT_EXCEEDED',
  /** An operation would compute more predictions than PREDICTQL_MAX_PREDICTIONS_PER_OPERATION. HTTP 400. */
  PREDICTION_LIMIT_EXCEEDED: 'PREDICTION_LIMIT_EXCEEDED',
  /** An HTTP batch holds more operations than PREDICTQL_MAX_BATCH_OPERATIONS (or batching is off). HTTP 413. */
  BATCH_LIMIT_EXCEEDED: 'BATCH_LIMIT_EXCEEDED',
  /** `__schema`/`__type` asked while PREDICTQL_INTROSPECTION=off. HTTP 400. */
  INTROSPECTION_DISABLED: 'INTROSPECTION_DISABLED',
  /** A GET, or a POST a browser could send cross-site without a preflight, lacks the CSRF header. HTTP 403. */
  CSRF_HEADER_REQUIRED: 'CSRF_HEADER_REQUIRED',
  /** A POST whose Content-Type is none of JSON, GraphQL, form or multipart. HTTP 415. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',

  // Codes graphql-yoga itself gives (listed because clients see them; predictql keeps them as they are).
  /** The body is larger than PREDICTQL_MAX_BODY_BYTES (Content-Length, or counted while streaming). HTTP 413. */
  REQUEST_ENTITY_TOO_LARGE: 'REQUEST_ENTITY_TOO_LARGE',
  /** Malformed request: invalid JSON, no query, wrong parameter types, GET mutation (405), other methods (405). HTTP 400/405. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The query is not GraphQL. HTTP 200 for `Accept: application/json`, 400 for `application/graphql-response+json`. */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The query does not fit the schema (unknown field, fragment cycle, ...). Statuses as GRAPHQL_PARSE_FAILED. */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** Several operations and no (or an unknown) operationName. HTTP 400. */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** A bug: the message is masked as "Unexpected error." and the cause logged (unless NODE_ENV=development). */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The HTTP status of the codes that refuse a whole request, whatever the client's Accept header
 * (`useErrorStatus` enforces it: yoga would answer 200 to `Accept: application/json` for errors
 * raised while parsing or validating).
 */
export const requestErrorStatus: Readonly<Partial<Record<ErrorCode, number>>> = {
  TOKEN_LIMIT_EXCEEDED: 400,
  DEPTH_LIMIT_EXCEEDED: 400,
  ALIAS_LIMIT_EXCEEDED: 400,
  DIRECTIVE_LIMIT_EXCEEDED: 400,
  PREDICTION_LIMIT_EXCEEDED: 400,
  INTROSPECTION_DISABLED: 400,
  BATCH_LIMIT_EXCEEDED: 413,
  CSRF_HEADER_REQUIRED: 403,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** A request refused as a whole (a limit, CSRF, media type): the code's status, `details` in extensions. */
export function requestRefused(code: keyof typeof requestErrorStatus, message: string, details: Record<string, unknown> = {}): GraphQLError {
  return createGraphQLError(message, {
    extensions: { code, ...details, http: { status: requestErrorStatus[code], spec: false } },
  });
}

export function badFeatureInput(model: string, problems: readonly FeatureProblem[]): GraphQLError {
  const summary = problems.map((p) => `${p.feature} ${p.reason}, but got: ${formatValue(p.value)}`).join('; ');
  return createGraphQLError(`Invalid input for model "${model}": ${summary}.`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, model, problems },
  });
}

export function badArgument(argument: string, contract: string, value: unknown): GraphQLError {
  return createGraphQLError(`${argument} must be ${contract}, but got: ${formatValue(value)}.`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, argument },
  });
}

export function modelNotFound(name: string, available: readonly string[]): GraphQLError {
  return createGraphQLError(
    `No model named "${name}". Loaded models: ${available.map((n) => `"${n}"`).join(', ')}. See the \`models\` query.`,
    { extensions: { code: ErrorCode.MODEL_NOT_FOUND, model: name } },
  );
}

/**
 * The cause is logged by the caller, not exposed: onnxruntime messages can name files and internals.
 */
export function inferenceFailed(model: string, batchSize: number): GraphQLError {
  return createGraphQLError(
    `The model "${model}" failed to run the batch of ${batchSize} item(s) that held this field. Retrying may succeed.`,
    { extensions: { code: ErrorCode.INFERENCE_FAILED, model } },
  );
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function overloaded(model: string, reason: string, retryAfterMs: number): GraphQLError {
  return createGraphQLError(`${reason} Retry after ${Math.ceil(retryAfterMs / 1000)} s.`, {
    extensions: { code: ErrorCode.OVERLOADED, model, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
  });
}
