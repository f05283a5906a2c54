/**
 * The GraphQL clients frontend teams use, each behind one function: send a typed document with
 * its variables (and, when asked, the trace header `x-predictql-trace: 1` on that query alone), and
 * give back what the client hands its caller, normalized so answers compare across clients: the
 * data without the `__typename` fields Apollo and urql add, the errors by message, path and
 * extensions (locations depend on how each client prints the document), the inference report.
 * Each client is built with its defaults; where a client needs an option, its entry says why.
 */
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { type DocumentNode, print } from 'graphql';
import { GraphQLClient } from 'graphql-request';
import { map } from 'rxjs';
import type { InferenceReport } from '../../src/inference-report/inference-report.ts';

export interface Outcome {
  data: unknown;
  errors: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
  inference?: InferenceReport;
}

export interface Query {
  /** A typed document of test/generated (any DocumentNode). */
  document: DocumentNode;
  variables: Record<string, unknown>;
  trace?: boolean;
}

export type Send = (query: Query) => Promise<Outcome>;

const TRACE = { 'x-predictql-trace': '1' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Apollo Client hides `extensions` from query results: a link reads them (README shows the same). */
const extensionsLink = new ApolloLink((operation, forward) =>
  forward(operation).pipe(
    map((result) => {
      (operation.getContext() as { onExtensions?: (e: unknown) => void }).onExtensions?.(result.extensions);
      return result;
    }),
  ),
);

function apollo(link: ApolloLink): Send {
  const client = new ApolloClient({ link: ApolloLink.from([extensionsLink, link]), cache: new InMemoryCache() });
  return async ({ document, variables, trace }) => {
    let extensions: { inference?: InferenceReport } | undefined;
    // fetchPolicy: each test asks afresh; errorPolicy: keep data beside field errors (default: errors only).
    const result = await client.query({
      query: document,
      variables,
      fetchPolicy: 'no-cache',
      errorPolicy: 'all',
      context: { headers: trace ? TRACE : {}, onExtensions: (e: typeof extensions) => (extensions = e) },
    });
    if (result.error && !CombinedGraphQLErrors.is(result.error)) throw result.error;
    const errors = CombinedGraphQLErrors.is(result.error) ? result.error.errors : [];
    return outcome(result.data, errors, extensions?.inference);
  };
}

function graphqlRequest(url: string, method: 'POST' | 'GET'): Send {
  // errorPolicy: 'all' returns data beside field errors (the default throws on any error).
  const client = new GraphQLClient(url, { method, errorPolicy: 'all' });
  return async ({ document, variables, trace }) => {
    // rawRequest, not request: only it returns the response's extensions.
    const result = await client.rawRequest(print(document), variables, trace ? TRACE : {});
    return outcome(result.data, result.errors ?? [], (result.extensions as { inference?: InferenceReport })?.inference);
  };
}

function graphqlRequestBatch(url: string): Send {
  const client = new GraphQLClient(url, { errorPolicy: 'all' });
  return async ({ document, variables, trace }) => {
    // Two operations in one HTTP batch; the second is the query under test.
    type Answer = { data: object; errors?: Outcome['errors']; extensions?: unknown };
    const [, result] = await client.batchRequests<[Answer, Answer]>(
      [{ document: '{ __typename }' }, { document, variables }],
      trace ? TRACE : {},
    );
    return outcome(result.data, result.errors ?? [], (result.extensions as { inference?: InferenceReport })?.inference);
  };
}

export const CLIENT_NAMES = [
  'Apollo Client, HttpLink (POST)',
  'Apollo Client, HttpLink with useGETForQueries',
  'Apollo Client, BatchHttpLink',
  'Apollo Client, PersistedQueryLink (APQ, GET for hashed queries)',
  'urql, default options',
  'graphql-request',
  "graphql-request, method: 'GET'",
  'graphql-request, batchRequests',
] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

/** What a plain `fetch` POST gets: the answers every client must hand over unchanged. */
export function plainPost(url: string): Send {
  return async ({ document, variables, trace }) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(trace ? TRACE : {}) },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: Outcome['errors']; extensions?: { inference?: InferenceReport } };
    return outcome(body.data, body.errors ?? [], body.extensions?.inference);
  };
}

/** Every client, by name, for a server at `url`. */
export function clients(url: string): Record<ClientName, Send> {
  return {
    'Apollo Client, HttpLink (POST)': apollo(new HttpLink({ uri: url })),
    'Apollo Client, HttpLink with useGETForQueries': apollo(new HttpLink({ uri: url, useGETForQueries: true })),
    'Apollo Client, BatchHttpLink': apollo(new BatchHttpLink({ uri: url })),
    'Apollo Client, PersistedQueryLink (APQ, GET for hashed queries)': apollo(
      new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(new HttpLink({ uri: url })),
    ),
    'urql, default options': urql(url),
    'graphql-request': graphqlRequest(url, 'POST'),
    "graphql-request, method: 'GET'": graphqlRequest(url, 'GET'),
    'graphql-request, batchRequests': graphqlRequestBatch(url),
  };
}

function urql(url: string): Send {
  // urql's defaults: short queries go as GET (preferGetMethod: 'within-url-limit'), no custom header.
  const client = new Client({ url, exchanges: [cacheExchange, fetchExchange] });
  return async ({ document, variables, trace }) => {
    const result = await client.query(document, variables, trace ? { fetchOptions: { headers: TRACE } } : {}).toPromise();
    if (result.error?.networkError) throw result.error.networkError;
    return outcome(result.data, result.error?.graphQLErrors ?? [], (result.extensions as { inference?: InferenceReport })?.inference);
  };
}

function outcome(data: unknown, errors: readonly Outcome['errors'][number][], inference: InferenceReport | undefined): Outcome {
  return {
    data: withoutTypename(data),
    errors: errors.map(({ message, path, extensions }) => ({ message, path, extensions: { ...extensions } })),
    ...(inference && { inference }),
  };
}

function withoutTypename(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTypename);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== '__typename')
      .map(([k, v]) => [k, withoutTypename(v)]),
  );
}
