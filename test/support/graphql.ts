/**
 * Sending operations to an in-process yoga app (`yoga.fetch`) and reading the answer, typed by the
 * documents codegen made from schema/operations/ (see codegen.ts).
 */

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, print } from 'graphql';
import type { InferenceReport } from '../../src/inference-report/inference-report.ts';

/** What answers a request: an in-process yoga app (`yoga.fetch`), or a served app over HTTP (served-app.ts). */
export interface Fetcher {
  fetch(url: string, init?: RequestInit): Response | Promise<Response>;
}

export const TRACE = { 'x-predictql-trace': '1' } as const;

export interface ResponseError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface Result<TData> {
  status: number;
  data?: TData | null;
  errors?: ResponseError[];
  extensions?: { inference?: InferenceReport; [key: string]: unknown };
}

/** Sends a typed document (printed) with its variables; the result is typed by the document. */
export async function gql<TData, TVariables>(
  yoga: Fetcher,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
  headers: Record<string, string> = {},
): Promise<Result<TData>> {
  return send<TData>(yoga, print(document as DocumentNode), variables as Record<string, unknown> | undefined, headers);
}

/** Sends a query string (for documents built programmatically, e.g. 1000 aliases). */
export async function send<TData = Record<string, unknown>>(
  yoga: Fetcher,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Result<TData>> {
  const response = await yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<Result<TData>, 'status'>;
  return { status: response.status, ...body };
}

/** The inference trace of a response, failing loudly when it is absent. */
export function traceOf(result: Result<unknown>): InferenceReport {
  const report = result.extensions?.inference;
  if (!report) throw new Error(`response has no extensions.inference: ${JSON.stringify(result).slice(0, 500)}`);
  return report;
}

/** Errors of a response by response path ("a", "predictLatencies.3"). */
export function errorsByPath(result: Result<unknown>): Map<string, ResponseError> {
  const map = new Map<string, ResponseError>();
  for (const error of result.errors ?? []) map.set((error.path ?? []).join('.'), error);
  return map;
}
