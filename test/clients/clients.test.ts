/**
 * Real GraphQL clients against the real server on its defaults, over a loopback port: Apollo
 * Client (HttpLink by POST and GET, BatchHttpLink, the APQ link), urql with default options and
 * graphql-request (POST, GET, batchRequests). Each one sends an input-object variable, a list with
 * predictions, a page of samples, and an out-of-range input; each gets the answers a plain POST
 * gets (values, and the field error with its `extensions.code`), and the inference report of the
 * trace header, read from `extensions.inference`. None needs a header or option for predictql.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictManyDocument, PredictOneDocument, SampleRequestsWithPredictionsDocument } from '../generated/graphql.ts';
import { MLP, sampleInputs } from '../support/models.ts';
import { CLIENT_NAMES, type ClientName, clients, type Outcome, plainPost, type Query, type Send } from './adapters.ts';
import { type ClientServer, startClientServer } from './server.ts';

let server: ClientServer;
let send: Record<ClientName, Send>;
const reference = new Map<string, Outcome>();

const LIST = 20;
const scenarios: Record<string, Query> = {
  'one prediction from an input-object variable': { document: PredictOneDocument, variables: { input: sampleInputs(1, 10)[0]! } },
  [`a list of ${LIST} predictions, traced`]: { document: PredictManyDocument, variables: { inputs: sampleInputs(LIST, 100) }, trace: true },
  'a page of samples with predictions': { document: SampleRequestsWithPredictionsDocument, variables: { first: 5, offset: 40 } },
  'an out-of-range input': { document: PredictOneDocument, variables: { input: { ...sampleInputs(1, 20)[0]!, cpuUtilization: 2 } } },
};

beforeAll(async () => {
  server = await startClientServer();
  send = clients(server.url);
  for (const [name, query] of Object.entries(scenarios)) reference.set(name, await plainPost(server.url)(query));
  server.take();
});
afterAll(() => server.stop());

/** Which HTTP methods each client uses for these queries (urql: GET while the URL is short). */
const methods: Record<ClientName, string[]> = {
  'Apollo Client, HttpLink (POST)': ['POST'],
  'Apollo Client, HttpLink with useGETForQueries': ['GET'],
  'Apollo Client, BatchHttpLink': ['POST'],
  // A hash alone by GET (404 PERSISTED_QUERY_NOT_FOUND the first time), then the document by POST.
  'Apollo Client, PersistedQueryLink (APQ, GET for hashed queries)': ['GET', 'POST'],
  'urql, default options': ['GET', 'POST'],
  'graphql-request': ['POST'],
  "graphql-request, method: 'GET'": ['GET'],
  'graphql-request, batchRequests': ['POST'],
};

describe('the reference answers (a plain POST)', () => {
  it('hold predictions for every input and the field error of the out-of-range one', () => {
    expect((reference.get(`a list of ${LIST} predictions, traced`)!.data as { predictLatencies: unknown[] }).predictLatencies).toHaveLength(
      LIST,
    );
    const bad = reference.get('an out-of-range input')!;
    expect(bad.data).toEqual({ predictLatency: null });
    expect(bad.errors).toMatchObject([{ path: ['predictLatency'], extensions: { code: 'BAD_USER_INPUT', model: MLP } }]);
  });
});

describe.each(CLIENT_NAMES)('%s', (name) => {
  it('gets the same answers as a plain POST, field error and code included, with no header of its own', async () => {
    for (const [scenario, query] of Object.entries(scenarios)) {
      const { inference, ...answer } = await send[name](query);
      const { inference: _, ...expected } = reference.get(scenario)!;
      expect({ scenario, ...answer }).toEqual({ scenario, ...expected });
    }
    const received = server.take();
    expect([...new Set(received.map((r) => r.method))].sort()).toEqual([...methods[name]].sort());
    for (const request of received) expect(request.headers['x-graphql-yoga-csrf']).toBeUndefined();
  });

  it(`reads the inference report from extensions.inference: the ${LIST} inputs were one run of ${LIST} rows`, async () => {
    const query = { ...scenarios[`a list of ${LIST} predictions, traced`]!, variables: { inputs: sampleInputs(LIST, 300) } };
    const { result, runs } = await server.probes.counted(() => send[name](query));
    expect(runs[MLP]).toEqual({ runs: 1, items: LIST, failedRuns: 0 });
    expect(result.inference?.batches).toMatchObject([{ model: MLP, items: LIST, loads: LIST, fields: { 'Query.predictLatencies': LIST } }]);
    // The trace header went with that query alone: an untraced one has no report.
    expect((await send[name](scenarios['one prediction from an input-object variable']!)).inference).toBeUndefined();
    server.take();
  });
});
