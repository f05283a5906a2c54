/**
 * Persisted operations by PREDICTQL_PERSISTED_OPERATIONS (src/persisted-documents.ts):
 * - `off`: documents only; a request naming a document by its hash alone is refused with
 *   PERSISTED_QUERY_NOT_SUPPORTED, on which Apollo's persisted query link stops hashing;
 * - `apq` (default): documents, automatic persisted queries and trusted documents (useApq);
 * - `trusted-only`: trusted documents only (useTrustedDocuments).
 * The named document then runs as any other: limits, prediction batching, the inference report.
 */
import type { Plugin } from 'graphql-yoga';
import { persistedQueryNotSupported } from '../errors.ts';
import { ApqStore, type PersistedOperationsMode, type TrustedDocuments } from '../persisted-documents.ts';
import { useApq } from './use-apq.ts';
import { useTrustedDocuments } from './use-trusted-documents.ts';

export interface PersistedOperationsOptions {
  mode: PersistedOperationsMode;
  /** The trusted documents manifest (required for `trusted-only`). */
  trusted?: TrustedDocuments;
  /** Where `apq` keeps registered documents. Default: a new store within apqStoreLimits. */
  store?: ApqStore;
}

export function usePersistedOperations({ mode, trusted, store = new ApqStore() }: PersistedOperationsOptions): Plugin {
  if (mode === 'apq') return useApq({ store, trusted });
  if (mode === 'trusted-only') {
    if (!trusted) throw new TypeError('PREDICTQL_PERSISTED_OPERATIONS=trusted-only needs a trusted documents manifest.');
    return useTrustedDocuments(trusted);
  }
  return {
    onParams({ params }) {
      if ((params.query == null || params.query === '') && params.extensions?.persistedQuery != null) throw persistedQueryNotSupported();
    },
  };
}
