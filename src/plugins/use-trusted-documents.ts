/**
 * PREDICTQL_PERSISTED_OPERATIONS=trusted-only: a request must name a trusted document by its
 * sha256 hash (`extensions.persistedQuery.sha256Hash`, as Apollo's persisted query link and
 * GraphQL Code Generator's persisted documents send it); any document sent as text is refused
 * (PERSISTED_QUERY_ID_REQUIRED), an unknown hash is 404 PERSISTED_QUERY_NOT_FOUND. yoga's
 * usePersistedOperations, its errors the catalog's.
 */
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { persistedQueryIdRequired, persistedQueryNotFound } from '../errors.ts';
import { sha256Of, type TrustedDocuments } from '../persisted-documents.ts';
import { persistedQueryHash } from './use-apq.ts';

export function useTrustedDocuments(trusted: TrustedDocuments): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: (params) => persistedQueryHash(params.extensions) ?? null,
    getPersistedOperation: (hash) => trusted.get(hash) ?? null,
    customErrors: {
      notFound: ({ params }) =>
        persistedQueryNotFound(sha256Of((params.extensions?.persistedQuery as { sha256Hash?: unknown })?.sha256Hash) ?? ''),
      keyNotFound: () => persistedQueryIdRequired(),
      persistedQueryOnly: () => persistedQueryIdRequired(),
    },
  }) as Plugin;
}
