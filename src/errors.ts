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
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

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
