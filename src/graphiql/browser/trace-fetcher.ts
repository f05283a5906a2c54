/**
 * GraphiQL's fetcher: a JSON POST to the endpoint with the header editor's headers. While the
 * Batches panel is open it sets `x-predictql-trace: 1` whatever the header editor says, so the
 * response carries the report the panel draws; and it hands each query's response to the panel.
 * Our own rather than @graphiql/toolkit's: predictql has no subscriptions or incremental delivery,
 * and the panel needs the response together with the operation it answered.
 */
import type { GraphiQLProps } from 'graphiql';
import { setLastResponse } from './last-response.ts';

type Fetcher = GraphiQLProps['fetcher'];

export const TRACE_HEADER = 'x-predictql-trace';
/** GraphiQL's name for its schema introspection, which is not a response to draw. */
const INTROSPECTION = 'IntrospectionQuery';

export function traceFetcher(endpoint: string, tracing: () => boolean): Fetcher {
  return async (params, options) => {
    const headers = new Headers(options?.headers as Record<string, string> | undefined);
    headers.set('content-type', 'application/json');
    headers.set('accept', 'application/graphql-response+json, application/json');
    if (tracing()) headers.set(TRACE_HEADER, '1');
    const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(params), credentials: 'same-origin' });
    const text = await response.text();
    let result: unknown;
    try {
      result = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${response.status} ${response.statusText}, not JSON: ${text.slice(0, 300)}`);
    }
    if (params.operationName !== INTROSPECTION) {
      setLastResponse({ operation: { query: params.query, operationName: params.operationName }, result });
    }
    return result as Awaited<ReturnType<Fetcher>>;
  };
}
