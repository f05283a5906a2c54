/**
 * Batching over the real models: however many prediction fields a request holds, each model runs
 * once, with one GraphQL thread and with the default GraphQL threads. Counts come from probes at
 * the models and the trace; no wall-clock time is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type Services } from '../../src/app.ts';
import { InferenceService } from '../../src/inference/index.ts';
import { PredictManyDocument, SampleRequestsPlainDocument, SampleRequestsWithPredictionsDocument } from '../generated/graphql.ts';
import { type Fetcher, gql, send, TRACE, traceOf } from '../support/graphql.ts';
import {
  aliasedQuery,
  aliasedVariables,
  directPredict,
  GBDT,
  inputLiteral,
  MLP,
  sampleEntries,
  sampleInputs,
  toRow,
} from '../support/models.ts';

type Latency = { p50Ms: number; p95Ms: number } | null;

import { loadRealApp } from '../support/app.ts';
import type { Probes } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

/** Same value up to float32 → JSON → float64 round-off (1e-6 relative). */
function expectSame(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
}

describe.each(servingModes)('one run per model per request: $name', (mode) => {
  let services: Services;
  let yoga: Fetcher;
  let probes: Probes;
  // Real models, loaded once per mode; the scheduler may run them on worker threads, stopped with it.
  serveDuringSuite(mode, (app) => ({ services, yoga, probes } = app));
  const mlpRunner = () => services.registry.get(MLP)!;

  it('answers 1000 aliased predictLatency fields with distinct inputs in exactly one run', async () => {
    const inputs = sampleInputs(1000);
    const { result, runs } = await probes.counted(() =>
      send<Record<string, Latency>>(yoga, aliasedQuery(1000), aliasedVariables(inputs), TRACE),
    );
    expect(result.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 1, items: 1000, failedRuns: 0 });
    expect(runs[GBDT]).toEqual({ runs: 0, items: 0, failedRuns: 0 });

    const trace = traceOf(result);
    expect(trace.batches).toHaveLength(1);
    const [batch] = trace.batches;
    expect(batch).toMatchObject({ model: MLP, size: 1000, loads: 1000, requests: 1, failed: false, executionProvider: 'cpu' });
    expect(batch!.fields).toEqual({ 'Query.predictLatency': 1000 });
    // Too many to list: only the per-field counts are kept.
    expect(batch!.paths).toBeUndefined();
    expect(trace.totals).toMatchObject({ batches: 1, items: 1000, loads: 1000, failedBatches: 0 });
    expect(trace.resolvers['Query.predictLatency']).toMatchObject({ count: 1000, errors: 0 });

    // The values are what one direct run of the same rows gives, alias by alias.
    const expected = await directPredict(
      services.inference,
      MLP,
      inputs.map((input) => toRow(mlpRunner(), input)),
    );
    for (let i = 0; i < 1000; i++) {
      const value = result.data![`a${i}`]!;
      expectSame(value.p50Ms, expected[i]![0]!);
      expectSame(value.p95Ms, expected[i]![1]!);
    }
  });

  it('answers 1000 aliased fields written as inline literals in one run too', async () => {
    const inputs = sampleInputs(1000, 1000);
    const query = `{\n${inputs.map((input, i) => `a${i}: predictLatency(input: ${inputLiteral(input)}) { p50Ms }`).join('\n')}\n}`;
    const { result, runs } = await probes.counted(() => send<Record<string, Latency>>(yoga, query));
    expect(result.errors).toBeUndefined();
    expect(Object.keys(result.data!)).toHaveLength(1000);
    expect(runs[MLP]).toEqual({ runs: 1, items: 1000, failedRuns: 0 });
  });

  it('answers sampleRequests(first: 1000) { predictedLatency } in one run of 1000 items', async () => {
    const { result, runs } = await probes.counted(() => gql(yoga, SampleRequestsWithPredictionsDocument, { first: 1000 }, TRACE));
    expect(result.errors).toBeUndefined();
    expect(result.data!.sampleRequests!).toHaveLength(1000);
    expect(result.data!.sampleRequests![0]!.id).toBe(sampleEntries()[0]!.id);
    expect(result.data!.sampleRequests!.every((s) => s.predictedLatency !== null)).toBe(true);
    expect(runs[MLP]).toEqual({ runs: 1, items: 1000, failedRuns: 0 });
    const trace = traceOf(result);
    expect(trace.batches).toHaveLength(1);
    expect(trace.batches[0]).toMatchObject({ size: 1000, loads: 1000, fields: { 'SampleRequest.predictedLatency': 1000 } });
  });

  it('runs a page of samples on the model named by the field argument', async () => {
    const { result, runs } = await probes.counted(() =>
      gql(yoga, SampleRequestsWithPredictionsDocument, { first: 300, offset: 100, model: GBDT }),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.sampleRequests![0]!.id).toBe(sampleEntries()[100]!.id);
    expect(runs[GBDT]).toEqual({ runs: 1, items: 300, failedRuns: 0 });
    expect(runs[MLP]!.runs).toBe(0);
  });

  it('makes no run for a sample page without prediction fields', async () => {
    const { result, runs } = await probes.counted(() => gql(yoga, SampleRequestsPlainDocument, { first: 50 }));
    expect(result.errors).toBeUndefined();
    expect(result.data!.sampleRequests![3]!.features).toEqual(sampleEntries()[3]!.features);
    expect(runs[MLP]!.runs + runs[GBDT]!.runs).toBe(0);
  });

  it('runs identical inputs once: 10 aliases of one input are one run of size 1 with 10 loads', async () => {
    const [input] = sampleInputs(1, 2000);
    const inputs = Array.from({ length: 10 }, () => input!);
    const { result, runs } = await probes.counted(() =>
      send<Record<string, Latency>>(yoga, aliasedQuery(10), aliasedVariables(inputs), TRACE),
    );
    expect(result.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    const values = Object.values(result.data!);
    expect(values).toHaveLength(10);
    expect(new Set(values.map((v) => JSON.stringify(v))).size).toBe(1);
    const trace = traceOf(result);
    expect(trace.batches).toHaveLength(1);
    expect(trace.batches[0]).toMatchObject({ size: 1, loads: 10, fields: { 'Query.predictLatency': 10 } });
    expect(trace.batches[0]!.paths).toHaveLength(10);
    expect(trace.totals).toMatchObject({ items: 1, loads: 10 });
  });

  it('merges inputs equal as float32 rows (0.1 written two ways) into one item', async () => {
    const [input] = sampleInputs(1, 2100);
    const query = `{
      a: predictLatency(input: ${inputLiteral({ ...input!, cpuUtilization: 0.1 })}) { p50Ms }
      b: predictLatency(input: ${inputLiteral({ ...input!, cpuUtilization: 0.10000000149011612 })}) { p50Ms }
    }`;
    const { result, runs } = await probes.counted(() => send<Record<string, Latency>>(yoga, query));
    expect(result.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    expect(result.data!.a).toEqual(result.data!.b);
  });

  it('runs each model once when one query asks both', async () => {
    const inputs = sampleInputs(40, 2200);
    const model = (i: number) => (i % 2 === 0 ? GBDT : i % 4 === 1 ? MLP : undefined);
    const { result, runs } = await probes.counted(() =>
      send<Record<string, Latency>>(yoga, aliasedQuery(40, { model }), aliasedVariables(inputs), TRACE),
    );
    expect(result.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 1, items: 20, failedRuns: 0 });
    expect(runs[GBDT]).toEqual({ runs: 1, items: 20, failedRuns: 0 });
    const trace = traceOf(result);
    expect(trace.batches.map((b) => [b.model, b.size]).sort()).toEqual(
      [
        [MLP, 20],
        [GBDT, 20],
      ].sort(),
    );

    // Each alias got its own model's answer.
    const gbdt = await directPredict(
      services.inference,
      GBDT,
      inputs.filter((_, i) => model(i) === GBDT).map((x) => toRow(services.registry.get(GBDT)!, x)),
    );
    const mlp = await directPredict(
      services.inference,
      MLP,
      inputs.filter((_, i) => model(i) !== GBDT).map((x) => toRow(mlpRunner(), x)),
    );
    let g = 0;
    let m = 0;
    for (let i = 0; i < 40; i++) {
      const expected = model(i) === GBDT ? gbdt[g++]! : mlp[m++]!;
      expectSame(result.data![`a${i}`]!.p50Ms, expected[0]!);
    }
  });

  it('sends the same input to two models as two items, one per model', async () => {
    const [input] = sampleInputs(1, 2300);
    const { result, runs } = await probes.counted(() =>
      send<Record<string, Latency>>(yoga, aliasedQuery(2, { model: (i) => (i === 0 ? MLP : GBDT) }), aliasedVariables([input!, input!])),
    );
    expect(result.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    expect(runs[GBDT]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    expect(result.data!.a0).not.toEqual(result.data!.a1);
  });

  it('shares one run between predictLatencies items, aliases and sample predictions', async () => {
    const many = sampleInputs(30, 2400);
    const [single] = sampleInputs(1, 2500);
    const query = `query Mixed($inputs: [LatencyFeaturesInput!]!, $one: LatencyFeaturesInput!) {
      predictLatencies(inputs: $inputs) { p50Ms }
      one: predictLatency(input: $one) { p50Ms }
      sampleRequests(first: 25) { predictedLatency { p50Ms } }
    }`;
    const { result, runs } = await probes.counted(() => send(yoga, query, { inputs: many, one: single }, TRACE));
    expect(result.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 1, items: 56, failedRuns: 0 });
    expect(traceOf(result).batches[0]!.fields).toEqual({
      'Query.predictLatencies': 30,
      'Query.predictLatency': 1,
      'SampleRequest.predictedLatency': 25,
    });
  });

  it('answers concurrent requests each with their own rows; every run is accounted for in their traces', async () => {
    const inputs = sampleInputs(20, 2600);
    const { result, runs } = await probes.counted(() =>
      Promise.all([0, 1, 2, 3].map((k) => gql(yoga, PredictManyDocument, { inputs: inputs.slice(k * 5, k * 5 + 5) }, TRACE))),
    );
    expect(result.every((r) => r.errors === undefined)).toBe(true);
    // However the scheduler merged them (cross-request.test.ts forces the merge), the runs the
    // model saw are exactly the runs the four traces report, and each trace holds its 5 rows.
    const runIds = new Set(result.flatMap((r) => traceOf(r).batches.map((b) => b.runId)));
    expect(runs[MLP]!.runs).toBe(runIds.size);
    for (const r of result) expect(traceOf(r).totals.items).toBe(5);
    expect(runs[MLP]!.items).toBe(20);
    const expected = await directPredict(
      services.inference,
      MLP,
      inputs.map((input) => toRow(mlpRunner(), input)),
    );
    for (const [k, r] of result.entries()) {
      for (const [i, p] of r.data!.predictLatencies.entries()) {
        expectSame(p!.p50Ms, expected[k * 5 + i]![0]!);
        expectSame(p!.p95Ms, expected[k * 5 + i]![1]!);
      }
    }
  });

  it('does not cache between requests: the same query twice makes two runs', async () => {
    const inputs = sampleInputs(5, 2700);
    const { runs } = await probes.counted(async () => {
      await gql(yoga, PredictManyDocument, { inputs });
      await gql(yoga, PredictManyDocument, { inputs });
    });
    expect(runs[MLP]).toEqual({ runs: 2, items: 10, failedRuns: 0 });
  });
});

describe('the naive per-field mode (the benchmark’s baseline)', () => {
  let services: Services;
  let probes: Probes;
  beforeAll(async () => ({ services, probes } = await loadRealApp()));
  afterAll(() => services.inference.close());

  it('counts one run per field in the naive per-field mode (the counters would catch lost batching)', async () => {
    const naiveInference = InferenceService.inThread(services.registry, { scheduler: { mergeRequests: false } });
    const naive = createApp({ ...services, inference: naiveInference, batching: 'per-field' });
    const inputs = sampleInputs(10, 2800);
    const { result, runs } = await probes.counted(() => send(naive, aliasedQuery(10), aliasedVariables(inputs)));
    expect(result.errors).toBeUndefined();
    expect(runs[MLP]).toEqual({ runs: 10, items: 10, failedRuns: 0 });
  });
});
