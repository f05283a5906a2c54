/**
 * predictql as a subgraph behind Hive Gateway, in process (no network): composition with the
 * example endpoints subgraph, one `_entities` call and one model run for 1000 endpoints, errors
 * confined to the entity they concern, and replicas that any call may reach.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supergraphFile } from '../../scripts/compose-supergraph.ts';
import { schemaFile } from '../../scripts/print-schema.ts';
import { appOptions, createApp, type Services } from '../../src/app.ts';
import { loadRealApp } from '../support/app.ts';
import { errorsByPath, type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import { aliasedQuery, aliasedVariables, close, MLP } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';
import { type Endpoint, endpointCatalog, featuresOf, UNMEASURED_ID } from './endpoints-subgraph.ts';
import { entitiesCalls, type Federation, servedSdl, startFederation } from './federation.ts';

interface PredictedEndpoint {
  id: string;
  predictedLatency: { p50Ms: number; p95Ms: number } | null;
}

const catalog = endpointCatalog();
describe.each(servingModes)('$name', (mode) => {
  let services: Services;
  let predictql: Fetcher;
  let probes: Probes;
  let federation: Federation;
  serveDuringSuite(mode, (app) => ({ services, yoga: predictql, probes } = app));
  beforeAll(async () => {
    federation = await startFederation([predictql]);
  });
  afterAll(() => federation?.close());

  /** The same predictions asked of predictql directly: one aliased predictLatency per endpoint. */
  async function directPredictions(endpoints: readonly Endpoint[]): Promise<{ p50Ms: number; p95Ms: number }[]> {
    const result = await send<Record<string, { p50Ms: number; p95Ms: number }>>(
      predictql,
      aliasedQuery(endpoints.length),
      aliasedVariables(endpoints.map((e) => featuresOf(e) as never)),
    );
    expect(result.errors).toBeUndefined();
    return endpoints.map((_, i) => result.data![`a${i}`]!);
  }

  describe('composition', () => {
    it('predictql serves the committed schema/schema.graphql as its subgraph SDL', async () => {
      expect(`${await servedSdl(predictql, 'http://yoga/graphql')}\n`).toBe(await readFile(schemaFile, 'utf8'));
    });

    it('composes with the endpoints subgraph without errors, into the committed schema/supergraph.graphql', async () => {
      expect(federation.supergraphSdl).toBe(await readFile(supergraphFile, 'utf8'));
      expect(federation.supergraphSdl).toMatch(
        /predictedLatency: LatencyPrediction @join__field\(\s*graph: PREDICTQL\s*requires: "avgPayloadKb /,
      );
    });
  });

  describe('through the gateway', () => {
    it('1000 endpoints with predictedLatency: one _entities request, one model run, the values of direct predictLatency', async () => {
      const endpoints = catalog.slice(0, 1000);
      federation.calls.length = 0;
      const { result, runs } = await probes.counted(() =>
        federation.query<{ endpoints: PredictedEndpoint[] }>(
          '{ endpoints(first: 1000) { id predictedLatency { p50Ms p95Ms } } }',
          {},
          TRACE,
        ),
      );
      expect(result.errors).toBeUndefined();
      expect(runs[MLP]).toEqual({ runs: 1, items: 1000, failedRuns: 0 });
      const calls = entitiesCalls(federation.calls);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.representations).toBe(1000);
      // The subgraph's own trace, in its response extensions: one batch served every entity field.
      const trace = traceOf(calls[0]!.body);
      expect(trace.totals).toMatchObject({ batches: 1, items: 1000, loads: 1000 });
      expect(trace.batches[0]!.fields).toEqual({ 'Endpoint.predictedLatency': 1000 });

      const direct = await directPredictions(endpoints);
      const got = result.data!.endpoints;
      expect(got.map((e) => e.id)).toEqual(endpoints.map((e) => e.id));
      const wrong = got.filter(
        (e, i) => !close(e.predictedLatency!.p50Ms, direct[i]!.p50Ms) || !close(e.predictedLatency!.p95Ms, direct[i]!.p95Ms),
      );
      expect(wrong).toEqual([]);
    });

    it('an endpoint missing a feature (null cacheHitRatio) errors on its own predictedLatency; the others resolve in one run', async () => {
      const ids = [catalog[0]!.id, UNMEASURED_ID, catalog[1]!.id];
      const { result, runs } = await probes.counted(() =>
        federation.query<{ endpointsById: PredictedEndpoint[] }>(
          'query ($ids: [ID!]!) { endpointsById(ids: $ids) { id predictedLatency { p50Ms } } }',
          { ids },
        ),
      );
      expect(runs[MLP]).toEqual({ runs: 1, items: 2, failedRuns: 0 });
      const got = result.data!.endpointsById;
      expect(got.map((e) => e.id)).toEqual(ids);
      expect(got.map((e) => e.predictedLatency === null)).toEqual([false, true, false]);
      expect(result.errors).toHaveLength(1);
      const error = result.errors![0]!;
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', entity: 'Endpoint', entityFields: ['Endpoint.cacheHitRatio'] });
      expect(error.message).toContain('Endpoint { id: "ep-unmeasured" } cannot be predicted from Endpoint.cacheHitRatio.');
      // Hive Gateway drops the list index from the path of an error raised in a subgraph entity.
      expect(error.path?.[0]).toBe('endpointsById');
      expect(error.path?.at(-1)).toBe('predictedLatency');
    });

    it('fields of the owner and of predictql mix in one query', async () => {
      const result = await federation.query<{
        endpoint: { route: string; cacheHitRatio: number; predictedLatency: { model: { name: string } } };
      }>(`{ endpoint(id: "${catalog[2]!.id}") { route cacheHitRatio predictedLatency { model { name } } } }`);
      expect(result.errors).toBeUndefined();
      expect(result.data!.endpoint).toEqual({
        route: catalog[2]!.route,
        cacheHitRatio: catalog[2]!.cacheHitRatio,
        predictedLatency: { model: { name: MLP } },
      });
    });
  });

  describe('predictql _entities, asked directly', () => {
    const entitiesQuery = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Endpoint { id predictedLatency { p50Ms } } } }';

    it('a representation lacking a feature or out of range fails that entity only', async () => {
      const representations = catalog.slice(0, 4).map((e) => ({ __typename: 'Endpoint', ...e }));
      delete (representations[1] as Record<string, unknown>).localHour;
      representations[2]!.inFlightRequests = 0;
      const { result, runs } = await probes.counted(() =>
        send<{ _entities: PredictedEndpoint[] }>(predictql, entitiesQuery, { r: representations }),
      );
      expect(runs[MLP]).toEqual({ runs: 1, items: 2, failedRuns: 0 });
      expect(result.data!._entities.map((e) => e.predictedLatency === null)).toEqual([false, true, true, false]);
      const errors = errorsByPath(result);
      expect([...errors.keys()].sort()).toEqual(['_entities.1.predictedLatency', '_entities.2.predictedLatency']);
      expect(errors.get('_entities.1.predictedLatency')!.message).toBe(
        `Endpoint { id: "${catalog[1]!.id}" } cannot be predicted from Endpoint.localHour. Invalid input for model "request-latency": hourOfDay is required, but got: null.`,
      );
      expect(errors.get('_entities.2.predictedLatency')!.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        entityFields: ['Endpoint.inFlightRequests'],
        problems: [{ feature: 'concurrency', value: 0, reason: 'must be within [1, 1024] requests' }],
      });
    });

    it('a representation of a type predictql does not extend is an error (masked: it means a stale supergraph), not a crash', async () => {
      const result = await send(predictql, entitiesQuery, { r: [{ __typename: 'Order', id: '1' }] });
      expect(result.status).toBe(200);
      expect(result.errors).toHaveLength(1);
      const again = await send<{ _entities: PredictedEndpoint[] }>(predictql, entitiesQuery, {
        r: [{ __typename: 'Endpoint', ...catalog[0] }],
      });
      expect(again.errors).toBeUndefined();
      expect(again.data!._entities[0]!.predictedLatency).not.toBeNull();
    });
  });

  describe('replicas', () => {
    it('two predictql replicas behind the gateway both serve, with the same answers', async () => {
      const second = await loadRealApp();
      const replicas = [predictql, second.yoga];
      const pair = await startFederation(replicas);
      try {
        // Distinct pages: the gateway merges identical in-flight subgraph requests.
        const pages = [0, 250, 500, 750, 100, 350];
        const query = 'query ($offset: Int!) { endpoints(first: 250, offset: $offset) { id predictedLatency { p50Ms p95Ms } } }';
        const answers = await Promise.all(pages.map((offset) => pair.query<{ endpoints: PredictedEndpoint[] }>(query, { offset })));
        const calls = entitiesCalls(pair.calls);
        expect(calls).toHaveLength(pages.length);
        expect(new Set(calls.map((c) => c.replica))).toEqual(new Set([0, 1]));
        expect(second.probes.probe(MLP).counts().runs).toBeGreaterThan(0);
        const direct = await directPredictions(catalog.slice(0, 1000));
        expect(answers.map((a) => a.data?.endpoints.length)).toEqual(pages.map(() => 250));
        answers.forEach((answer, i) => {
          expect(answer.errors).toBeUndefined();
          const wrong = answer.data!.endpoints.filter((e, j) => !close(e.predictedLatency!.p50Ms, direct[pages[i]! + j]!.p50Ms));
          expect(wrong).toEqual([]);
        });
      } finally {
        await pair.close();
        await second.services.inference.close();
      }
    });
  });

  describe('standalone', () => {
    it('without bindings predictql still serves _service and every query, but no _entities', async () => {
      const bare = createApp({ ...appOptions(services), entityBindings: [] });
      const sdl = await servedSdl(bare, 'http://yoga/graphql');
      expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6"');
      expect(sdl).not.toContain('Endpoint');
      const entities = await send(bare, '{ _entities(representations: []) { __typename } }');
      expect(entities.errors?.[0]?.message).toContain('Cannot query field "_entities"');
      const [features] = endpointCatalog().map(featuresOf);
      const direct = await send<{ predictLatency: { p50Ms: number } }>(
        bare,
        'query ($i: LatencyFeaturesInput!) { predictLatency(input: $i) { p50Ms } }',
        { i: features },
        TRACE,
      );
      expect(direct.errors).toBeUndefined();
      expect(traceOf(direct).totals.batches).toBe(1);
    });
  });
});
