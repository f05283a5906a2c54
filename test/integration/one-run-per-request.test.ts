/**
 * predictql's first promise, on the configuration users run: a request costs one run per model
 * it uses, whatever the mix of lists, aliases, federated entities and persisted operations, with
 * one GraphQL thread and with the default GraphQL threads (where a request's jobs cross to the
 * models' owner). Requests go one after another, so nothing but the request itself could split a
 * run; every count is taken at the model (probe.ts), every time, 200 times out of 200.
 */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/persisted-documents.ts';
import { IssueExampleDocument } from '../generated/graphql.ts';
import { type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import { aliasedQuery, aliasedVariables, CHURN, GBDT, MLP, sampleInputs } from '../support/models.ts';
import type { Probes, RunCounts } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

const README_QUERY = `{
  sampleRequests(first: 3) { id predictedLatency { p50Ms p95Ms } }
  a: predictLatency(input: { payloadKb: 12, concurrency: 8, cpuUtilization: 0.35, memoryUtilization: 0.5,
                             cacheHitRatio: 0.9, dbQueries: 4, downstreamCalls: 1, hourOfDay: 14 }) { p50Ms }
  b: predictLatency(model: "request-latency-gbdt",
                    input: { payloadKb: 2048, concurrency: 256, cpuUtilization: 0.92, memoryUtilization: 0.8,
                             cacheHitRatio: 0.2, dbQueries: 40, downstreamCalls: 6, hourOfDay: 14 }) { p50Ms p95Ms }
}`;

const CHURN_INPUT = '{ tenureMonths: 12, monthlySpend: 240, seats: 12, supportTickets90d: 3, autoRenew: false, plan: TEAM, region: EU }';
const MIXED_QUERY = `{
  sampleRequests(first: 3) { predictedLatency { p50Ms } }
  x: predictLatency(input: { payloadKb: 1, concurrency: 2, cpuUtilization: 0.1, memoryUtilization: 0.2,
                             cacheHitRatio: 0.3, dbQueries: 1, downstreamCalls: 0, hourOfDay: 3 }) { p50Ms }
  y: predictLatency(input: { payloadKb: 900, concurrency: 64, cpuUtilization: 0.7, memoryUtilization: 0.6,
                             cacheHitRatio: 0.5, dbQueries: 9, downstreamCalls: 2, hourOfDay: 20 }) { p95Ms }
  c: predictChurn(input: ${CHURN_INPUT}) { outcome }
  churnExamples(first: 2) { id prediction { outcome probabilities { probability } } }
}`;

const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Endpoint { id predictedLatency { p50Ms } } } }';

/** The endpoint fields a binding reads (schema/entity-bindings.json), from a sample request's features. */
function endpoint(i: number, input = sampleInputs(1, i)[0]!): Record<string, unknown> {
  return {
    __typename: 'Endpoint',
    id: `ep-${i}`,
    avgPayloadKb: input.payloadKb,
    inFlightRequests: input.concurrency,
    cpuUtilization: input.cpuUtilization,
    memoryUtilization: input.memoryUtilization,
    cacheHitRatio: input.cacheHitRatio,
    dbQueriesPerRequest: input.dbQueries,
    downstreamCallsPerRequest: input.downstreamCalls,
    localHour: input.hourOfDay,
  };
}

/** The codegen hash of a typed document (`sha256:<hex>`), a trusted document's id. */
const hashOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;
const MANIFEST = new URL('../generated/persisted-documents.json', import.meta.url).pathname;

const none: RunCounts = { runs: 0, items: 0, failedRuns: 0 };

describe.each(servingModes)('one run per model per request: $name', (mode) => {
  let yoga: Fetcher;
  let probes: Probes;
  serveDuringSuite(
    mode,
    (app) => ({ yoga, probes } = app),
    () => ({ PREDICTQL_TRUSTED_DOCUMENTS: MANIFEST }),
  );

  /** Sends `query` `times` times, one after another; returns each request's runs per model, counted at the model. */
  async function runsOfEach(times: number, query: string, variables?: Record<string, unknown>): Promise<Record<string, RunCounts>[]> {
    const each: Record<string, RunCounts>[] = [];
    for (let i = 0; i < times; i++) {
      const { result, runs } = await probes.counted(() => send(yoga, query, variables, TRACE));
      expect(result.errors).toBeUndefined();
      // The report agrees with the model: one batch per counted run.
      const batches = traceOf(result).batches;
      for (const [model, counted] of Object.entries(runs)) expect(batches.filter((b) => b.model === model)).toHaveLength(counted.runs);
      each.push(runs);
    }
    return each;
  }

  it("the README's traced query, 200 times: one run of 4 rows on the MLP and one of 1 on the GBDT, every time", async () => {
    const each = await runsOfEach(200, README_QUERY);
    const expected = { [MLP]: { runs: 1, items: 4, failedRuns: 0 }, [GBDT]: { runs: 1, items: 1, failedRuns: 0 } };
    expect(each.filter((runs) => runs[MLP]!.runs === 1 && runs[GBDT]!.runs === 1)).toHaveLength(200);
    for (const runs of each) expect(runs).toMatchObject(expected);
  });

  it('a query mixing both tasks’ lists and aliases, 200 times: one run per model used, every time', async () => {
    const each = await runsOfEach(200, MIXED_QUERY);
    for (const runs of each) {
      expect(runs[MLP]).toEqual({ runs: 1, items: 5, failedRuns: 0 });
      expect(runs[CHURN]).toEqual({ runs: 1, items: 3, failedRuns: 0 });
      expect(runs[GBDT] ?? none).toEqual(none);
    }
  });

  it('a 300-item list plus 200 aliases: one run of 500 rows, 20 times', async () => {
    const query = aliasedQuery(200).replace(') {\n', ') {\n  sampleRequests(first: 300, offset: 1000) { predictedLatency { p50Ms } }\n');
    const variables = aliasedVariables(sampleInputs(200));
    for (const runs of await runsOfEach(20, query, variables)) expect(runs[MLP]).toEqual({ runs: 1, items: 500, failedRuns: 0 });
  });

  it('_entities with bad representations among good ones: one run of the good rows, errors on the bad ones only, 50 times', async () => {
    const representations = Array.from({ length: 20 }, (_, i) => endpoint(i));
    delete representations[3]!.localHour; // a missing feature
    representations[7]!.inFlightRequests = 0; // out of range
    representations[11]!.cpuUtilization = 'high'; // not a number
    for (let i = 0; i < 50; i++) {
      const { result, runs } = await probes.counted(() => send<{ _entities: unknown[] }>(yoga, ENTITIES, { r: representations }, TRACE));
      expect(runs[MLP]).toEqual({ runs: 1, items: 17, failedRuns: 0 });
      expect((result.errors ?? []).map((e) => e.path?.join('.')).sort()).toEqual([
        '_entities.11.predictedLatency',
        '_entities.3.predictedLatency',
        '_entities.7.predictedLatency',
      ]);
      expect(traceOf(result).batches).toHaveLength(1);
    }
  });

  it('persisted operations, 100 times each: by APQ hash (as a client, registering where a thread lacks it) and as a trusted document', async () => {
    const post = async (body: Record<string, unknown>) => {
      const response = await yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...TRACE },
        body: JSON.stringify(body),
      });
      return (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    };
    // APQ registrations are per GraphQL thread (as per replica): a client re-sends the query when
    // the thread that answers has not seen it (the protocol's PERSISTED_QUERY_NOT_FOUND).
    const apq = { persistedQuery: { version: 1, sha256Hash: sha256Hex(README_QUERY) } };
    for (let i = 0; i < 100; i++) {
      let counted = await probes.counted(() => post({ extensions: apq }));
      if (counted.result.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') {
        expect(counted.runs[MLP] ?? none).toEqual(none);
        counted = await probes.counted(() => post({ query: README_QUERY, extensions: apq }));
      }
      expect(counted.result.errors).toBeUndefined();
      expect(counted.runs[MLP]).toEqual({ runs: 1, items: 4, failedRuns: 0 });
      expect(counted.runs[GBDT]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    }
    // A trusted document (every thread reads the manifest): 200 samples and two aliased fields.
    const trusted = { persistedQuery: { version: 1, sha256Hash: hashOf(IssueExampleDocument) } };
    const [quiet, busy] = sampleInputs(2, 2000);
    for (let i = 0; i < 100; i++) {
      const { result, runs } = await probes.counted(() => post({ variables: { quiet, busy }, extensions: trusted }));
      expect(result.errors).toBeUndefined();
      expect(runs[MLP]).toEqual({ runs: 1, items: 202, failedRuns: 0 });
    }
  });
});
