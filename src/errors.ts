/**
 * The error catalog: every error predictql puts in a GraphQL response (or in the start-up 503)
 * has one of these codes in `extensions.code`, and every such error is built here. Codes are part
 * of the API; messages may be improved, codes may not change. docs/errors.md is generated from
 * `errorCatalog` (`npm run docs`), and a test provokes every code through the real server.
 */
import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError } from 'graphql-yoga';
import type { FeatureProblem } from './inference/index.ts';

/** What a code means and the HTTP statuses of a response that carries it. */
export interface ErrorEntry {
  /** When the error happens, and what the client should do. */
  when: string;
  /**
   * Statuses of a response carrying this code (with `Accept: application/graphql-response+json`):
   * 200 when it sits on a field and the rest of the operation is answered.
   */
  statuses: readonly number[];
}

export const errorCatalog = {
  // On a field: the rest of the operation is answered.
  BAD_USER_INPUT: {
    when:
      'An input value is outside what the model accepts (range, NaN, a category it does not know, a bad argument such as `first`), ' +
      'or the model itself refused the row (onnxruntime failed a run of that row alone: `rejectedByModel`): ' +
      'on that field, 200. A variable that does not fit its type refuses the request: 400 (200 for `Accept: application/json`).',
    statuses: [200, 400],
  },
  MODEL_NOT_FOUND: {
    when: "`model:` names no loaded model of the field's task (the message lists the task's models), or `version:` a version it does not serve (the message lists those it does). On that field.",
    statuses: [200],
  },
  INFERENCE_FAILED: {
    when:
      'The model run that held this field failed (a worker that died, a run past its timeout, a model that ' +
      'failed every row); a merged run that fails is re-run in halves so that only the rows at fault fail, ' +
      'and a row that onnxruntime refuses alone is BAD_USER_INPUT. Retrying may succeed. On that field; the cause ' +
      'is logged, not sent.',
    statuses: [200],
  },
  OVERLOADED: {
    when:
      "The model's queue is full, the item waited past PREDICTQL_QUEUE_TIMEOUT_MS, or the server " +
      'is shutting down: retry after `extensions.retryAfterSeconds`. 503 with Retry-After when nothing ' +
      'else of the operation was answered, else 200.',
    statuses: [200, 503],
  },

  // Request limits (src/plugins/use-*-limit.ts, use-prediction-cost.ts): refused before execution.
  TOKEN_LIMIT_EXCEEDED: {
    when: 'The document has more lexical tokens than PREDICTQL_MAX_TOKENS, or nests brackets deeper than the parser allows.',
    statuses: [400],
  },
  DEPTH_LIMIT_EXCEEDED: {
    when: 'An operation selects deeper than PREDICTQL_MAX_DEPTH (fragments flattened, introspection included).',
    statuses: [400],
  },
  ALIAS_LIMIT_EXCEEDED: { when: 'An operation has more aliases than PREDICTQL_MAX_ALIASES.', statuses: [400] },
  DIRECTIVE_LIMIT_EXCEEDED: { when: 'The document uses more directives than PREDICTQL_MAX_DIRECTIVES.', statuses: [400] },
  PREDICTION_LIMIT_EXCEEDED: {
    when:
      'An operation would compute more predictions than PREDICTQL_MAX_PREDICTIONS_PER_OPERATION (counted before execution): 400; ' +
      'or its texts take more tokens than PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION (counted as they are tokenized): on the field past the limit, 200.',
    statuses: [400, 200],
  },
  BATCH_LIMIT_EXCEEDED: {
    when: 'An HTTP batch holds more operations than PREDICTQL_MAX_BATCH_OPERATIONS (or batching is off).',
    statuses: [413],
  },
  INTROSPECTION_DISABLED: { when: '`__schema`/`__type` asked while PREDICTQL_INTROSPECTION=off.', statuses: [400] },
  CSRF_HEADER_REQUIRED: {
    when: 'A POST of a form, multipart or plain-text body (what a page on another site could send without a preflight) lacks the CSRF header.',
    statuses: [403],
  },
  UNSUPPORTED_MEDIA_TYPE: { when: 'A POST whose Content-Type is none of JSON, GraphQL, form or multipart.', statuses: [415] },
  REQUEST_ENTITY_TOO_LARGE: {
    when: 'The body is larger than PREDICTQL_MAX_BODY_BYTES (Content-Length, or counted while streaming); the message names the limit to raise.',
    statuses: [413],
  },

  // Persisted operations (src/plugins/use-persisted-operations.ts): Apollo's standard codes.
  PERSISTED_QUERY_NOT_FOUND: {
    when:
      'The sha256 hash names no trusted document and no document registered by APQ: an APQ client resends the ' +
      'request with the document (refused under PREDICTQL_PERSISTED_OPERATIONS=trusted-only).',
    statuses: [404],
  },
  PERSISTED_QUERY_NOT_SUPPORTED: {
    when: 'A request names a document by its hash while PREDICTQL_PERSISTED_OPERATIONS=off: send the document itself.',
    statuses: [400],
  },
  PERSISTED_QUERY_ID_REQUIRED: {
    when: 'A request sends a document while PREDICTQL_PERSISTED_OPERATIONS=trusted-only: send the hash of a trusted document instead.',
    statuses: [400],
  },
  SERVER_STARTING: {
    when: 'The server is listening but its models are still loading (GET /ready says the same): retry shortly.',
    statuses: [503],
  },

  // Codes graphql-yoga and graphql-js give (listed because clients see them; kept as they are).
  BAD_REQUEST: {
    when:
      'Malformed request: invalid JSON, no query, wrong parameter types, an empty batch, a bad Content-Length, ' +
      'a document that does not match its APQ hash (400); a mutation over GET or another method (405); an operation type the schema lacks (400, or 200 for `Accept: application/json`).',
    statuses: [400, 405],
  },
  GRAPHQL_PARSE_FAILED: { when: 'The query is not GraphQL (200 for `Accept: application/json`).', statuses: [400] },
  GRAPHQL_VALIDATION_FAILED: {
    when: 'The query does not fit the schema: unknown field, fragment cycle, ... (200 for `Accept: application/json`).',
    statuses: [400],
  },
  OPERATION_RESOLUTION_FAILURE: { when: 'Several operations and no (or an unknown) operationName.', statuses: [400] },
  INTERNAL_SERVER_ERROR: {
    when:
      'A bug: the message is masked as "Unexpected error." and the cause logged (unless NODE_ENV=development). ' +
      'On that field when a resolver failed.',
    statuses: [200, 500],
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof errorCatalog;

/** `ErrorCode.BAD_USER_INPUT === 'BAD_USER_INPUT'`, for every code of the catalog. */
export const ErrorCode = Object.fromEntries(Object.keys(errorCatalog).map((code) => [code, code])) as { readonly [C in ErrorCode]: C };

/**
 * The HTTP status of the codes that refuse a whole request, whatever the client's Accept header
 * (`useErrorStatus` enforces it: yoga would answer 200 to `Accept: application/json` for errors
 * raised while parsing or validating).
 */
export const requestErrorStatus = {
  TOKEN_LIMIT_EXCEEDED: 400,
  DEPTH_LIMIT_EXCEEDED: 400,
  ALIAS_LIMIT_EXCEEDED: 400,
  DIRECTIVE_LIMIT_EXCEEDED: 400,
  PREDICTION_LIMIT_EXCEEDED: 400,
  INTROSPECTION_DISABLED: 400,
  BATCH_LIMIT_EXCEEDED: 413,
  CSRF_HEADER_REQUIRED: 403,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REQUEST_ENTITY_TOO_LARGE: 413,
  PERSISTED_QUERY_NOT_FOUND: 404,
  PERSISTED_QUERY_NOT_SUPPORTED: 400,
  PERSISTED_QUERY_ID_REQUIRED: 400,
} as const satisfies Partial<Record<ErrorCode, number>>;

/** The status of an operation that got nothing but OVERLOADED errors (and of the start-up answer). */
export const UNAVAILABLE_STATUS = 503;

/** A request refused as a whole (a limit, CSRF, media type): the code's status, `details` in extensions. */
export function requestRefused(
  code: keyof typeof requestErrorStatus,
  message: string,
  details: Record<string, unknown> = {},
): GraphQLError {
  return createGraphQLError(message, {
    extensions: { code, ...details, http: { status: requestErrorStatus[code], spec: false } },
  });
}

/** A malformed request (yoga's own code for the same): 400 unless said otherwise. */
export function badRequest(message: string, status = 400): GraphQLError {
  return createGraphQLError(message, { extensions: { code: ErrorCode.BAD_REQUEST, http: { status } } });
}

/** `bytes`: the body's size when known (Content-Length), else undefined (counted past the limit). */
export function bodyTooLarge(maxBytes: number, bytes?: number): GraphQLError {
  const size = bytes === undefined ? 'larger than that' : `${bytes} bytes`;
  return requestRefused(
    'REQUEST_ENTITY_TOO_LARGE',
    `Request body too large: the server's body limit is ${maxBytes} bytes and this body is ${size}. Send less per request ` +
      `(e.g. fewer inputs), or raise the limit on the server: PREDICTQL_MAX_BODY_BYTES (--max-body-bytes).`,
    { limit: maxBytes },
  );
}

/** An over-limit HTTP batch: one error per operation, so a batching client (Apollo's BatchHttpLink) reports it for each. */
export function batchTooLarge(maxOperations: number, operations: number): GraphQLError {
  return requestRefused(
    'BATCH_LIMIT_EXCEEDED',
    maxOperations === 0
      ? 'Batched requests (a JSON array of operations) are turned off on this server: send one operation per request, or ' +
          'turn them on with PREDICTQL_MAX_BATCH_OPERATIONS (--max-batch-operations).'
      : `A batch may hold at most ${maxOperations} operations and this one has ${operations}: send smaller batches (e.g. ` +
          `BatchHttpLink's batchMax: ${maxOperations}), or raise the limit on the server: PREDICTQL_MAX_BATCH_OPERATIONS (--max-batch-operations).`,
    { limit: maxOperations },
  );
}

export function persistedQueryNotFound(hash: string): GraphQLError {
  // Apollo's clients match the message as well as the code.
  return requestRefused('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', { hash });
}

export function persistedQueryNotSupported(): GraphQLError {
  return requestRefused('PERSISTED_QUERY_NOT_SUPPORTED', 'PersistedQueryNotSupported');
}

export function persistedQueryIdRequired(): GraphQLError {
  return requestRefused(
    'PERSISTED_QUERY_ID_REQUIRED',
    'This server runs trusted documents only (PREDICTQL_PERSISTED_OPERATIONS=trusted-only): send the sha256 hash of a ' +
      'document of its manifest (extensions.persistedQuery: { version: 1, sha256Hash }), not a document.',
  );
}

export function persistedQueryMismatch(hash: string): GraphQLError {
  return badRequest(`The document's sha256 hash is not the one sent (extensions.persistedQuery.sha256Hash ${JSON.stringify(hash)}).`);
}

export function badFeatureInput(model: string, problems: readonly FeatureProblem[]): GraphQLError {
  const summary = problems.map((p) => `${p.feature} ${p.reason}, but got: ${formatValue(p.value)}`).join('; ');
  return createGraphQLError(`Invalid input for model "${model}": ${summary}.`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, model, problems },
  });
}

/** A text past the operation's token budget: on its field; the texts before it are answered. */
export function textTokenLimit(tokens: number, used: number, limit: number): GraphQLError {
  return createGraphQLError(
    `This text takes ${tokens} tokens and the operation's texts ${used} before it; the limit is ${limit} per operation ` +
      '(PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION). Split the texts over several operations.',
    { extensions: { code: ErrorCode.PREDICTION_LIMIT_EXCEEDED, tokens, used, limit } },
  );
}

/**
 * The model itself refused this row (an onnxruntime kernel error on a run of this row alone, e.g.
 * a category its encoder does not know): deterministic, so never "retry". The cause is logged, not sent.
 */
export function inputRejected(model: string): GraphQLError {
  return createGraphQLError(
    `Model "${model}" rejected this input: it could not compute a prediction from one of its values. Retrying will not help; see the model's features in the \`models\` query.`,
    { extensions: { code: ErrorCode.BAD_USER_INPUT, model, rejectedByModel: true } },
  );
}

export function badArgument(argument: string, contract: string, value: unknown): GraphQLError {
  return createGraphQLError(`${argument} must be ${contract}, but got: ${formatValue(value)}.`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, argument },
  });
}

export function modelNotFound(name: string, task: string, available: readonly string[]): GraphQLError {
  return createGraphQLError(
    `No model named "${name}" serves task ${task}. Its models: ${available.map((n) => `"${n}"`).join(', ')}. See the \`models\` query.`,
    { extensions: { code: ErrorCode.MODEL_NOT_FOUND, model: name, task } },
  );
}

/** A `version:` the model does not serve (a retired version included). */
export function modelVersionNotFound(name: string, version: number, served: readonly number[]): GraphQLError {
  return createGraphQLError(
    `Model "${name}" is not served in version ${version}. Its versions: ${served.join(', ')}. See \`models { versions }\`.`,
    { extensions: { code: ErrorCode.MODEL_NOT_FOUND, model: name, version } },
  );
}

/**
 * The cause is logged by the caller, not exposed: onnxruntime messages can name files and internals.
 */
export function inferenceFailed(model: string, batchSize: number): GraphQLError {
  return createGraphQLError(
    `The model "${model}" failed to run the batch of ${batchSize} item(s) that held this field. Retrying may succeed.`,
    {
      extensions: { code: ErrorCode.INFERENCE_FAILED, model },
    },
  );
}

export function overloaded(model: string, reason: string, retryAfterMs: number): GraphQLError {
  return createGraphQLError(`${reason} Retry after ${Math.ceil(retryAfterMs / 1000)} s.`, {
    extensions: { code: ErrorCode.OVERLOADED, model, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
  });
}

/** The body of the answer to any GraphQL request while the models load (before the app exists). */
export function serverStartingBody(): { errors: { message: string; extensions: { code: ErrorCode } }[] } {
  return {
    errors: [{ message: 'predictql is starting: its models are loading. Retry shortly.', extensions: { code: ErrorCode.SERVER_STARTING } }],
  };
}

/**
 * The same error with a code (and a status) added: for errors graphql-js raises without one.
 * `spec`: the status yields to the GraphQL-over-HTTP spec's 200 for `Accept: application/json`.
 */
export function withCode(error: GraphQLError, code: ErrorCode, status: number, spec = false): GraphQLError {
  return rebuilt(error, error.message, { ...error.extensions, code, http: { status, ...(spec && { spec }) } });
}

/** The same error answered with `status` (and response headers): e.g. 503 + Retry-After. */
export function withHttpStatus(error: GraphQLError, status: number, headers: Record<string, string> = {}): GraphQLError {
  return rebuilt(error, error.message, { ...error.extensions, http: { status, headers } });
}

/** The same error, its message prefixed with `context` and `extensions` added (code kept). */
export function withContext(error: GraphQLError, context: string, extensions: Record<string, unknown>): GraphQLError {
  return rebuilt(error, `${context} ${error.message}`, { ...error.extensions, ...extensions });
}

// Private: a GraphQLError is immutable; a changed one keeps its locations, path and cause.
function rebuilt(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  return createGraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions,
  });
}

function formatValue(value: unknown): string {
  return typeof value === 'string' || Array.isArray(value) || (typeof value === 'object' && value !== null)
    ? JSON.stringify(value)
    : String(value);
}

/**
 * Yoga's error masking, keeping the error's `locations`. Yoga rebuilds a masked error from its
 * AST nodes or source positions; graphql-jit's errors carry only `locations` (no nodes), so
 * without this a masked error under the compiled engine would lose where in the query it happened.
 */
export function maskErrorKeepingLocations(error: unknown, message: string, isDev?: boolean): Error {
  const masked = maskError(error, message, isDev);
  const locations = (error as Partial<GraphQLError>)?.locations;
  if (masked instanceof GraphQLError && !masked.locations && locations) {
    Object.defineProperty(masked, 'locations', { value: locations, enumerable: true });
  }
  return masked;
}
