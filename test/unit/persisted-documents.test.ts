/**
 * The trusted documents manifest (its checks and messages) and the APQ store (bounded by bytes).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApqStore, sha256Hex, sha256Of, TrustedDocuments } from '../../src/persisted-documents.ts';
import * as generated from '../generated/graphql.ts';

const dir = mkdtempSync(join(tmpdir(), 'predictql-trusted-'));
const manifestFile = (content: unknown) => {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};
const SHIPPED = new URL('../generated/persisted-documents.json', import.meta.url).pathname;

describe('the trusted documents manifest', () => {
  it('holds every typed document of schema/operations under the hash codegen embedded in it', async () => {
    const trusted = await TrustedDocuments.read(SHIPPED);
    const documents = Object.values(generated).filter((d) => typeof d === 'object' && d !== null && '__meta__' in d);
    expect(documents.length).toBeGreaterThan(0);
    expect(trusted.size).toBe(documents.length);
    for (const document of documents) {
      const hash = sha256Of((document as { __meta__: { hash: string } }).__meta__.hash)!;
      expect(sha256Hex(trusted.get(hash)!)).toBe(hash);
    }
  });

  it('accepts plain hex keys as well as sha256:<hex>', async () => {
    const doc = '{ __typename }';
    const trusted = await TrustedDocuments.read(manifestFile({ [sha256Hex(doc)]: doc }));
    expect(trusted.get(sha256Hex(doc))).toBe(doc);
  });

  it.each([
    ['not JSON', '{', 'cannot read it as JSON'],
    ['an array', '[]', 'must be a JSON object of hash -> document, but got: an array.'],
    ['a sha1 key', { [sha256Hex('{ a }').slice(0, 40)]: '{ a }' }, 'each key must be the sha256 of its document'],
    ['a key of another document', { [`sha256:${sha256Hex('{ a }')}`]: '{ b }' }, 'each key must be the sha256 of its document'],
    ['a document that is not a string', { [sha256Hex('1')]: 1 }, 'must be a string, but got: number.'],
    ['a document that is not GraphQL', { [sha256Hex('{ a')]: '{ a' }, 'is not GraphQL (Syntax Error'],
  ])('refuses %s, naming the file', async (_, content, message) => {
    const file = manifestFile(content);
    await expect(TrustedDocuments.read(file)).rejects.toThrow(`Trusted documents ${file}: `);
    await expect(TrustedDocuments.read(file)).rejects.toThrow(message);
  });
});

describe('the APQ store', () => {
  it('keeps documents within its byte budget, least recently used out first', () => {
    const store = new ApqStore({ maxBytes: 30, maxDocumentBytes: 20 });
    expect(store.set('a', 'x'.repeat(10))).toBe(true);
    expect(store.set('b', 'y'.repeat(10))).toBe(true);
    expect(store.get('a')).toBe('x'.repeat(10)); // a is now the most recently used
    expect(store.set('c', 'z'.repeat(15))).toBe(true); // 35 bytes: b goes
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toBeDefined();
    expect(store.get('c')).toBeDefined();
    expect(store.bytes).toBe(25);
  });

  it('does not keep a document larger than a document may be (it still runs; the client keeps sending it)', () => {
    const store = new ApqStore({ maxBytes: 100, maxDocumentBytes: 20 });
    expect(store.set('big', 'x'.repeat(21))).toBe(false);
    expect(store.get('big')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('counts bytes, not characters, and replacing a document frees its old size', () => {
    const store = new ApqStore({ maxBytes: 100, maxDocumentBytes: 100 });
    store.set('a', 'é'.repeat(10));
    expect(store.bytes).toBe(20);
    store.set('a', 'e');
    expect(store.bytes).toBe(1);
  });
});
