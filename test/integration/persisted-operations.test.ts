/**
 * Persisted operations through the real app and models: APQ (Apollo's protocol, over GET and
 * POST), trusted documents from the codegen manifest (test/generated/persisted-documents.json),
 * and the three modes of PREDICTQL_PERSISTED_OPERATIONS. A persisted operation batches and traces
 * as the same document sent as text.
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOptions, createApp, type PredictQLApp, type Services } from '../../src/app.ts';
import { sha256Hex } from '../../src/persisted-documents.ts';
import { ModelsDocument, PredictManyDocument } from '../generated/graphql.ts';
import { loadRealApp } from '../support/app.ts';
import { MLP, sampleInputs } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';

const MANIFEST = new URL('../generated/persisted-documents.json', import.meta.url).pathname;

let services: Services;
let probes: Probes;
let apq: PredictQLApp;
let trustedOnly: PredictQLApp;
let off: PredictQLApp;

beforeAll(async () => {
  ({ services, probes, yoga: apq } = await loadRealApp({ PREDICTQL_TRUSTED_DOCUMENTS: MANIFEST }));
  trustedOnly = createApp(appOptions(services, { persistedOperations: 'trusted-only' }));
  off = createApp(appOptions(services, { persistedOperations: 'off' }));
});
afterAll(() => services.inference.close());

interface Answer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { inference?: { batches: { size: number; items: number; model: string }[] } };
}

const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });
/** The codegen hash of a typed document (`sha256:<hex>`, embedded as `__meta__.hash`). */
const hashOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;

async function post(app: PredictQLApp, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await app.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as Omit<Answer, 'status'>) };
}

async function get(app: PredictQLApp, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const response = await app.fetch(`http://yoga/graphql?${search}`, {
    headers: { accept: 'application/graphql-response+json', ...headers },
  });
  return { status: response.status, ...((await response.json()) as Omit<Answer, 'status'>) };
}

const codeOf = (answer: Answer) => answer.errors?.[0]?.extensions?.code;

describe('automatic persisted queries (PREDICTQL_PERSISTED_OPERATIONS=apq, the default)', () => {
  const query = 'query Three($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms p95Ms } }';
  const hash = sha256Hex(query);
  const variables = { inputs: sampleInputs(3, 1000) };

  it('answers an unknown hash 404 PERSISTED_QUERY_NOT_FOUND, runs the registered document by hash over GET', async () => {
    const unknown = await get(apq, { variables, extensions: persisted(hash) });
    expect([unknown.status, codeOf(unknown), unknown.errors![0]!.message]).toEqual([
      404,
      'PERSISTED_QUERY_NOT_FOUND',
      'PersistedQueryNotFound',
    ]);
    const registered = await post(apq, { query, variables, extensions: persisted(hash) });
    expect(registered.status).toBe(200);
    const byHash = await get(apq, { variables, extensions: persisted(hash) });
    expect(byHash).toEqual(registered);
    expect((byHash.data!.predictLatencies as unknown[]).length).toBe(3);
  });

  it('refuses a document that does not match its hash, and does not register it', async () => {
    const other = 'query Other { models { name } }';
    const mismatch = await post(apq, { query: other, extensions: persisted(sha256Hex(`${other} `)) });
    expect([mismatch.status, codeOf(mismatch)]).toEqual([400, 'BAD_REQUEST']);
    expect((await get(apq, { extensions: persisted(sha256Hex(`${other} `)) })).status).toBe(404);
  });

  it('resolves the hashes of the trusted documents manifest too, in either hash form', async () => {
    for (const id of [hashOf(ModelsDocument), hashOf(ModelsDocument).replace('sha256:', '')]) {
      const answer = await get(apq, { extensions: persisted(id) });
      expect(answer.status).toBe(200);
      expect((answer.data!.models as { name: string }[]).map((m) => m.name)).toContain(MLP);
    }
  });
});

describe('trusted documents only (PREDICTQL_PERSISTED_OPERATIONS=trusted-only)', () => {
  it('runs a trusted document by hash: one run of all its rows, traced, as when the document is sent', async () => {
    const variables = { inputs: sampleInputs(50, 2000) };
    const { result: byHash, runs } = await probes.counted(() =>
      get(trustedOnly, { variables, extensions: persisted(hashOf(PredictManyDocument)) }, { 'x-predictql-trace': '1' }),
    );
    expect(byHash.status).toBe(200);
    expect(byHash.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 1, items: 50, failedRuns: 0 });
    expect(byHash.extensions!.inference!.batches).toMatchObject([{ model: MLP, size: 50, items: 50 }]);
    const asText = await post(apq, { query: print(PredictManyDocument), variables });
    expect(byHash.data).toEqual(asText.data);
  });

  it('refuses any document sent as text, even a trusted one, and unknown hashes', async () => {
    const text = await post(trustedOnly, { query: '{ models { name } }' });
    expect([text.status, codeOf(text)]).toEqual([400, 'PERSISTED_QUERY_ID_REQUIRED']);
    const apqRegistration = await post(trustedOnly, { query: '{ __typename }', extensions: persisted(sha256Hex('{ __typename }')) });
    expect([apqRegistration.status, codeOf(apqRegistration)]).toEqual([400, 'PERSISTED_QUERY_ID_REQUIRED']);
    const unknown = await get(trustedOnly, { extensions: persisted('0'.repeat(64)) });
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'PERSISTED_QUERY_NOT_FOUND']);
    const nothing = await post(trustedOnly, {});
    expect([nothing.status, codeOf(nothing)]).toEqual([400, 'PERSISTED_QUERY_ID_REQUIRED']);
  });

  it('still holds a trusted document to the limits (prediction count)', async () => {
    const inputs = Array.from({ length: 10_001 }, (_, i) => sampleInputs(1, i % 3000)[0]!);
    const refused = await post(trustedOnly, { variables: { inputs }, extensions: persisted(hashOf(PredictManyDocument)) });
    expect([refused.status, codeOf(refused)]).toEqual([400, 'PREDICTION_LIMIT_EXCEEDED']);
  });
});

describe('persisted operations off (PREDICTQL_PERSISTED_OPERATIONS=off)', () => {
  it('answers a hash alone PERSISTED_QUERY_NOT_SUPPORTED (Apollo then sends documents), and runs documents', async () => {
    const hashOnly = await get(off, { extensions: persisted(hashOf(ModelsDocument)) });
    expect([hashOnly.status, codeOf(hashOnly), hashOnly.errors![0]!.message]).toEqual([
      400,
      'PERSISTED_QUERY_NOT_SUPPORTED',
      'PersistedQueryNotSupported',
    ]);
    const document = await get(off, { query: '{ models { name } }' });
    expect(document.status).toBe(200);
  });
});
