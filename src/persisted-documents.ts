/**
 * Persisted operations: documents a client names by their sha256 hash instead of sending them.
 *
 * - Trusted documents: a manifest of hash -> document (GraphQL Code Generator's client preset
 *   writes it as persisted-documents.json), read at start (PREDICTQL_TRUSTED_DOCUMENTS).
 * - Automatic persisted queries (APQ, Apollo's protocol): a client registers a document by sending
 *   it once with its hash; the server keeps it in a bounded store (ApqStore).
 *
 * `PREDICTQL_PERSISTED_OPERATIONS` picks what is accepted: `off` (documents only), `apq` (documents,
 * APQ and trusted hashes) or `trusted-only` (trusted hashes only). See docs/api.md.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'graphql';

export type PersistedOperationsMode = 'off' | 'apq' | 'trusted-only';
export const persistedOperationsModes = ['off', 'apq', 'trusted-only'] as const satisfies readonly PersistedOperationsMode[];
export const defaultPersistedOperationsMode: PersistedOperationsMode = 'apq';

/**
 * What APQ may keep in memory: documents are bounded by bytes, not by count (a document may be as
 * large as the body limit). A document over `maxDocumentBytes` runs but is not kept: its client
 * keeps sending it whole. The least recently used documents go first.
 */
export const apqStoreLimits = { maxBytes: 16 * 1024 * 1024, maxDocumentBytes: 256 * 1024 } as const;

export class TrustedDocumentsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustedDocumentsError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The hex sha256 a document id names, or undefined. Accepts the APQ form (`sha256Hash`: 64 hex
 * digits) and the GraphQL-over-HTTP persisted documents form codegen writes (`sha256:<hex>`).
 */
export function sha256Of(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  const hex = (id.startsWith('sha256:') ? id.slice(7) : id).toLowerCase();
  return SHA256_HEX.test(hex) ? hex : undefined;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The trusted documents of a manifest, by hex sha256. */
export class TrustedDocuments {
  readonly #byHash: ReadonlyMap<string, string>;

  constructor(byHash: ReadonlyMap<string, string>) {
    this.#byHash = byHash;
  }

  get size(): number {
    return this.#byHash.size;
  }

  get(hash: string): string | undefined {
    return this.#byHash.get(hash);
  }

  /**
   * Reads a manifest `{ "<hash>": "<document>", ... }`: every key must be the sha256 of its
   * document (plain hex or `sha256:<hex>`) and every document must parse. Throws naming the file.
   */
  static async read(file: string): Promise<TrustedDocuments> {
    let manifest: unknown;
    try {
      manifest = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new TrustedDocumentsError(`Trusted documents ${file}: cannot read it as JSON (${(error as Error).message}).`);
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new TrustedDocumentsError(
        `Trusted documents ${file}: must be a JSON object of hash -> document, but got: ${typeOf(manifest)}.`,
      );
    }
    const byHash = new Map<string, string>();
    for (const [key, document] of Object.entries(manifest)) {
      const hash = sha256Of(key);
      if (typeof document !== 'string') {
        throw new TrustedDocumentsError(
          `Trusted documents ${file}: the document of ${key} must be a string, but got: ${typeOf(document)}.`,
        );
      }
      if (hash === undefined || hash !== sha256Hex(document)) {
        throw new TrustedDocumentsError(
          `Trusted documents ${file}: each key must be the sha256 of its document ("<hex>" or "sha256:<hex>"; GraphQL ` +
            `Code Generator: persistedDocuments.hashAlgorithm "sha256"), but got: ${JSON.stringify(key)}.`,
        );
      }
      try {
        parse(document);
      } catch (error) {
        throw new TrustedDocumentsError(`Trusted documents ${file}: the document of ${key} is not GraphQL (${(error as Error).message}).`);
      }
      byHash.set(hash, document);
    }
    return new TrustedDocuments(byHash);
  }
}

/** APQ's registered documents, by hex sha256: least recently used first out, within apqStoreLimits. */
export class ApqStore {
  readonly #documents = new Map<string, string>();
  readonly #limits: { maxBytes: number; maxDocumentBytes: number };
  #bytes = 0;

  constructor(limits: { maxBytes: number; maxDocumentBytes: number } = apqStoreLimits) {
    this.#limits = limits;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(hash: string): string | undefined {
    const document = this.#documents.get(hash);
    if (document !== undefined) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.#documents.delete(hash);
      this.#documents.set(hash, document);
    }
    return document;
  }

  /** Keeps `document` unless it is larger than a document may be; returns whether it was kept. */
  set(hash: string, document: string): boolean {
    const size = Buffer.byteLength(document, 'utf8');
    if (size > this.#limits.maxDocumentBytes) return false;
    this.#delete(hash);
    this.#documents.set(hash, document);
    this.#bytes += size;
    for (const [oldest] of this.#documents) {
      if (this.#bytes <= this.#limits.maxBytes) break;
      this.#delete(oldest);
    }
    return true;
  }

  #delete(hash: string): void {
    const document = this.#documents.get(hash);
    if (document === undefined) return;
    this.#documents.delete(hash);
    this.#bytes -= Buffer.byteLength(document, 'utf8');
  }
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
