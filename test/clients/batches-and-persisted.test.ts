/**
 * What the clients do with HTTP batches and persisted operations: BatchHttpLink's batches are one
 * request; an over-limit batch reaches every operation with the reason and the limit (Apollo's
 * BatchHttpLink, graphql-request's batchRequests); Apollo's persisted query link sends only the
 * codegen hashes to a trusted-only server, and falls back to documents on a server with
 * persisted operations off.
 */

import { createHash } from 'node:crypto';
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import type { DocumentNode } from 'graphql';
import { ClientError, GraphQLClient } from 'graphql-request';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOptions, createApp } from '../../src/app.ts';
import { TrustedDocuments } from '../../src/persisted-documents.ts';
import { ModelsDocument, PredictManyDocument, PredictOneDocument } from '../generated/graphql.ts';
import { ALL_MODELS, sampleInputs } from '../support/models.ts';
import { plainPost } from './adapters.ts';
import { type ClientServer, type Listening, listen, startClientServer } from './server.ts';

const MANIFEST = new URL('../generated/persisted-documents.json', import.meta.url).pathname;
let server: ClientServer;
let trustedOnly: Listening;
let off: Listening;

beforeAll(async () => {
  server = await startClientServer();
  const trusted = await TrustedDocuments.read(MANIFEST);
  trustedOnly = await listen(createApp(appOptions(server.services, { persistedOperations: 'trusted-only', trustedDocuments: trusted })));
  off = await listen(createApp(appOptions(server.services, { persistedOperations: 'off' })));
});
afterAll(async () => {
  await trustedOnly.close();
  await off.close();
  await server.stop();
});

const apollo = (link: ConstructorParameters<typeof ApolloClient>[0]['link']) => new ApolloClient({ link, cache: new InMemoryCache() });
const one = (i: number) => ({ query: PredictOneDocument as DocumentNode, variables: { input: sampleInputs(1, i)[0]! } });
const options = { fetchPolicy: 'no-cache', errorPolicy: 'all' } as const;

describe('HTTP batches', () => {
  it('BatchHttpLink sends concurrent queries as one request; each gets its own answer', async () => {
    const client = apollo(new BatchHttpLink({ uri: server.url }));
    const answers = await Promise.all([0, 1, 2, 3, 4].map((i) => client.query({ ...one(i), ...options })));
    expect(server.take().map((r) => r.method)).toEqual(['POST']);
    for (const [i, answer] of answers.entries()) {
      const expected = await plainPost(server.url)({ document: PredictOneDocument, variables: one(i).variables });
      expect(answer.error).toBeUndefined();
      expect((answer.data as { predictLatency: { p50Ms: number } }).predictLatency.p50Ms).toBe(
        (expected.data as { predictLatency: { p50Ms: number } }).predictLatency.p50Ms,
      );
    }
  });

  it("an over-limit batch reaches each of BatchHttpLink's queries with the reason and the limit", async () => {
    server.take();
    const client = apollo(new BatchHttpLink({ uri: server.url, batchMax: 20 }));
    const answers = await Promise.all(Array.from({ length: 11 }, (_, i) => client.query({ ...one(i), ...options })));
    expect(server.take().map((r) => r.method)).toEqual(['POST']);
    for (const answer of answers) {
      expect(CombinedGraphQLErrors.is(answer.error)).toBe(true);
      const [error] = (answer.error as CombinedGraphQLErrors).errors;
      expect(error!.extensions).toEqual({ code: 'BATCH_LIMIT_EXCEEDED', limit: 10 });
      expect(error!.message).toContain('A batch may hold at most 10 operations and this one has 11');
      expect(error!.message).toContain('PREDICTQL_MAX_BATCH_OPERATIONS');
    }
  });

  it("graphql-request's batchRequests: a batch is answered in order; an over-limit one throws 413 with the reason", async () => {
    const client = new GraphQLClient(server.url);
    const [first, second] = await client.batchRequests<[{ data: object }, { data: object }]>([
      { document: PredictOneDocument, variables: one(0).variables },
      { document: PredictManyDocument, variables: { inputs: sampleInputs(3) } },
    ]);
    expect(first.data).toMatchObject({ predictLatency: { model: { name: 'request-latency' } } });
    expect(second.data).toMatchObject({ predictLatencies: [{}, {}, {}] });
    const refused = await client
      .batchRequests(Array.from({ length: 11 }, (_, i) => ({ document: PredictOneDocument, variables: one(i).variables })))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).response.status).toBe(413);
    expect((refused as ClientError).message).toContain('at most 10 operations');
  });
});

describe("Apollo's persisted query link", () => {
  // Trusted documents as GraphQL Code Generator's docs show: the hash codegen embedded in each document.
  const trustedLink = () =>
    new PersistedQueryLink({
      generateHash: (document) => (document as { __meta__?: { hash: string } }).__meta__!.hash,
      useGETForHashedQueries: true,
    });

  it("against trusted-only: only hashes travel (GET), the answers are the documents' own", async () => {
    const client = apollo(trustedLink().concat(new HttpLink({ uri: trustedOnly.url })));
    const variables = { inputs: sampleInputs(4, 700) };
    const answer = await client.query({ query: PredictManyDocument as DocumentNode, variables, ...options });
    const models = await client.query({ query: ModelsDocument as DocumentNode, ...options });
    const received = trustedOnly.take();
    expect(received.map((r) => r.method)).toEqual(['GET', 'GET']);
    for (const request of received) expect(new URL(request.url, 'http://x').searchParams.has('query')).toBe(false);
    expect(answer.error).toBeUndefined();
    expect(answer.data).toEqual((await plainPost(server.url)({ document: PredictManyDocument, variables })).data);
    expect((models.data as { models: unknown[] }).models).toHaveLength(ALL_MODELS.length);
  });

  it('against trusted-only: a document outside the manifest is refused with PERSISTED_QUERY_ID_REQUIRED', async () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const client = apollo(new PersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: trustedOnly.url })));
    const answer = await client.query({ ...one(0), ...options });
    expect(CombinedGraphQLErrors.is(answer.error)).toBe(true);
    expect((answer.error as CombinedGraphQLErrors).errors[0]!.extensions!.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    trustedOnly.take();
  });

  it('against a server with persisted operations off: falls back to sending documents, and is answered', async () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const client = apollo(new PersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: off.url })));
    const first = await client.query({ ...one(0), ...options });
    const second = await client.query({ ...one(1), ...options });
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    // PERSISTED_QUERY_NOT_SUPPORTED once; then the link sends documents only.
    expect(off.take().length).toBe(3);
  });
});
