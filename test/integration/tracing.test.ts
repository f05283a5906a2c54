/**
 * `extensions.inference` over the real models: present only when asked (header) or configured
 * (inferenceReport: 'always'), and its figures agree with the runs the registry counted.
 */
import { describe, expect, it } from 'vitest';
import { createApp, type Services } from '../../src/app.ts';
import { PredictManyDocument, PredictOneDocument } from '../generated/graphql.ts';
import { type Fetcher, gql, send, TRACE, traceOf } from '../support/graphql.ts';
import { aliasedQuery, aliasedVariables, GBDT, MLP, sampleInputs } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

describe.each(servingModes)('$name', (mode) => {
  let services: Services;
  let yoga: Fetcher;
  let probes: Probes;
  // Real models, loaded once per mode; the scheduler may run them on worker threads, stopped with it.
  serveDuringSuite(mode, (app) => ({ services, yoga, probes } = app));

  describe('inference trace', () => {
    it('agrees with the counted runs: one batch per run, batch sizes sum to the items run', async () => {
      const inputs = sampleInputs(120);
      // 120 aliases over 90 distinct inputs (30 repeats), split over both models, plus a sample page.
      const fieldInputs = inputs.map((input, i) => (i >= 90 ? inputs[i - 90]! : input));
      const query = aliasedQuery(120, { model: (i) => (i % 3 === 0 ? GBDT : MLP) }).replace(
        /\n}$/,
        '\nsampleRequests(first: 40, offset: 500) { predictedLatency { p95Ms } }\n}',
      );
      const { result, runs } = await probes.counted(() => send(yoga, query, aliasedVariables(fieldInputs), TRACE));
      expect(result.errors).toBeUndefined();
      const trace = traceOf(result);

      const totalRuns = runs[MLP]!.runs + runs[GBDT]!.runs;
      const totalItems = runs[MLP]!.items + runs[GBDT]!.items;
      expect(totalRuns).toBe(2);
      expect(trace.batches).toHaveLength(totalRuns);
      expect(trace.totals.batches).toBe(totalRuns);
      expect(trace.batches.reduce((sum, b) => sum + b.size, 0)).toBe(totalItems);
      expect(trace.totals.items).toBe(totalItems);
      for (const name of [MLP, GBDT]) {
        const batches = trace.batches.filter((b) => b.model === name);
        expect(batches.reduce((sum, b) => sum + b.size, 0)).toBe(runs[name]!.items);
      }
      // Every field load is accounted for: 120 aliases + 40 sample predictions.
      expect(trace.totals.loads).toBe(160);
      expect(trace.batches.reduce((sum, b) => sum + b.loads, 0)).toBe(160);
      expect(trace.resolvers['Query.predictLatency']).toMatchObject({ count: 120, errors: 0 });
      expect(trace.resolvers['SampleRequest.predictedLatency']).toMatchObject({ count: 40, errors: 0 });
      // Alias i >= 90 repeats alias i - 90 on the same model (90 is a multiple of 3): 30 merged items.
      expect(totalItems).toBe(160 - 30);
      expect(runs[GBDT]!.items).toBe(30);
      expect(trace.totals.failedBatches).toBe(0);
      // The timeline, in ms from the request's arrival: each row was asked for before its run started, and the run ended after.
      for (const b of trace.batches) {
        expect(b.queuedAtMs).toBeGreaterThanOrEqual(0);
        expect(b.startedAtMs).toBeGreaterThanOrEqual(b.queuedAtMs);
        expect(b.endedAtMs).toBeCloseTo(b.startedAtMs + b.computeMs, 2);
        expect(b.queueMs).toBeCloseTo(b.startedAtMs - b.queuedAtMs, 2);
      }
    });

    it('is absent without the header, and with a header value other than 1/true', async () => {
      const [input] = sampleInputs(1);
      const plain = await gql(yoga, PredictOneDocument, { input: input! });
      expect(plain.errors).toBeUndefined();
      expect(plain.extensions?.inference).toBeUndefined();
      const zero = await gql(yoga, PredictOneDocument, { input: input! }, { 'x-predictql-trace': '0' });
      expect(zero.extensions?.inference).toBeUndefined();
      const yes = await gql(yoga, PredictOneDocument, { input: input! }, { 'x-predictql-trace': 'true' });
      expect(traceOf(yes).batches).toHaveLength(1);
    });

    it("is present on every response of an app created with inferenceReport: 'always'", async () => {
      const always = createApp({ ...services, inferenceReport: 'always' });
      const [input] = sampleInputs(1);
      const result = await gql(always, PredictOneDocument, { input: input! });
      expect(result.errors).toBeUndefined();
      expect(traceOf(result).batches).toMatchObject([{ model: MLP, size: 1, loads: 1, paths: ['predictLatency'] }]);
    });

    it("is absent with inferenceReport: 'off' even when the header asks", async () => {
      const off = createApp({ ...services, inferenceReport: 'off' });
      const [input] = sampleInputs(1);
      const result = await gql(off, PredictOneDocument, { input: input! }, TRACE);
      expect(result.errors).toBeUndefined();
      expect(result.extensions?.inference).toBeUndefined();
    });

    it('reports an empty trace for a traced request that predicts nothing', async () => {
      const result = await send(yoga, '{ models { name } }', undefined, TRACE);
      const trace = traceOf(result);
      expect(trace.batches).toEqual([]);
      expect(trace.totals).toMatchObject({ batches: 0, items: 0, loads: 0, queueMs: 0, computeMs: 0, failedBatches: 0 });
      expect(trace.resolvers).toEqual({});
    });

    it('lists response paths while a batch serves at most 50 fields', async () => {
      const inputs = sampleInputs(50, 600);
      const result = await send(yoga, aliasedQuery(50), aliasedVariables(inputs), TRACE);
      const [batch] = traceOf(result).batches;
      expect(batch!.size).toBe(50);
      expect(batch!.paths).toHaveLength(50);
      expect(new Set(batch!.paths)).toEqual(new Set(inputs.map((_, i) => `a${i}`)));
    });

    it('omits paths (keeping per-field counts) once a batch serves more than 50 fields', async () => {
      const inputs = sampleInputs(51, 700);
      const result = await send(yoga, aliasedQuery(51), aliasedVariables(inputs), TRACE);
      const [batch] = traceOf(result).batches;
      expect(batch!.size).toBe(51);
      expect(batch!.paths).toBeUndefined();
      expect(batch!.fields).toEqual({ 'Query.predictLatency': 51 });
    });

    it('names list items by index in paths', async () => {
      const inputs = sampleInputs(3, 800);
      const result = await gql(yoga, PredictManyDocument, { inputs }, TRACE);
      const [batch] = traceOf(result).batches;
      expect(batch!.paths).toEqual(['predictLatencies.0', 'predictLatencies.1', 'predictLatencies.2']);
      expect(batch!.fields).toEqual({ 'Query.predictLatencies': 3 });
    });
  });
});
