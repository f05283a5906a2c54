/**
 * The last response GraphiQL got for a query (not its schema introspection), with the operation
 * it answered: what the Batches panel draws. Set by the fetcher, read by React through
 * useSyncExternalStore.
 */
import { useSyncExternalStore } from 'react';
import type { SentOperation } from '../panel/field-paths.ts';

export interface LastResponse {
  operation: SentOperation;
  /** The response body as parsed JSON. */
  result: unknown;
}

let last: LastResponse | undefined;
const listeners = new Set<() => void>();

export function setLastResponse(response: LastResponse): void {
  last = response;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLastResponse(): LastResponse | undefined {
  return useSyncExternalStore(subscribe, () => last);
}
