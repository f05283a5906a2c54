/**
 * Automatic persisted queries, Apollo's protocol: `extensions.persistedQuery: { version: 1,
 * sha256Hash }`. A request with the hash alone runs the document registered under it (a trusted
 * document first, then one registered by APQ), or answers 404 PERSISTED_QUERY_NOT_FOUND, on which
 * the client sends the document with its hash: the hash is checked and the document kept
 * (ApqStore, bounded by bytes). Works over GET, so a CDN can cache hashed queries.
 *
 * Written here rather than with @graphql-yoga/plugin-apq: that package (3.6.2, 2024) declares a
 * peer range of @graphql-tools/utils it does not use and that conflicts with the tree's, its store
 * bounds documents by count (1000 documents of up to a body each), and its errors need the
 * catalog's codes anyway. The protocol is the dozen lines below.
 */
import type { Plugin } from 'graphql-yoga';
import { badRequest, persistedQueryMismatch, persistedQueryNotFound } from '../errors.ts';
import { type ApqStore, sha256Hex, sha256Of, type TrustedDocuments } from '../persisted-documents.ts';

export interface ApqOptions {
  store: ApqStore;
  /** Trusted documents: their hashes resolve too, and are never registered over. */
  trusted?: TrustedDocuments;
}

export function useApq({ store, trusted }: ApqOptions): Plugin {
  return {
    onParams({ params, setParams }) {
      const hash = persistedQueryHash(params.extensions);
      if (hash === undefined) return;
      if (params.query == null || params.query === '') {
        const query = trusted?.get(hash) ?? store.get(hash);
        if (query === undefined) throw persistedQueryNotFound(hash);
        setParams({ ...params, query });
        return;
      }
      if (sha256Hex(params.query) !== hash) throw persistedQueryMismatch(hash);
      if (trusted?.get(hash) === undefined) store.set(hash, params.query);
    },
  };
}

/** The hex sha256 of `extensions.persistedQuery`, undefined without one; a malformed one is refused (400). */
export function persistedQueryHash(extensions: Record<string, unknown> | undefined): string | undefined {
  const persisted = extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  if (persisted == null) return undefined;
  const hash = persisted.version === 1 ? sha256Of(persisted.sha256Hash) : undefined;
  if (hash === undefined) {
    throw badRequest(
      `extensions.persistedQuery must be { "version": 1, "sha256Hash": "<64 hex digits>" }, but got: ${JSON.stringify(persisted).slice(0, 200)}.`,
    );
  }
  return hash;
}
