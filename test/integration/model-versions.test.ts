/**
 * Versions side by side and explicit model control, on the server users run (src/server.ts), with
 * one GraphQL thread and with the default GraphQL threads: a model folder of numbered versions,
 * each chosen per field with `version:`, the default the highest; the admin endpoint loads a new
 * version beside the served ones and retires those the policy drops; a version that is broken, or
 * that changes the GraphQL API, is refused while what served keeps serving. Runs are counted at
 * the model (probe.ts: version 1 under its name, others as "name@version").
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { errorsByPath, type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import { metricValue, parseMetrics } from '../support/metrics.ts';
import { GBDT, MLP, readReference } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';
import { controlModes, reloadModel, serveVersionedDuringSuite, type VersionedModels } from '../support/versioned-models.ts';

const mlp = readReference(MLP).cases[0]!;
const gbdt = readReference(GBDT).cases[0]!;
const INPUT = mlp.features;

const SIDE_BY_SIDE = `query ($input: LatencyFeaturesInput!) {
  models { name versionNumber versions defaultVersion }
  d: predictLatency(input: $input) { p50Ms model { versionNumber version } }
  v1: predictLatency(input: $input, version: 1) { p50Ms model { versionNumber } }
  v2: predictLatency(input: $input, version: 2) { p50Ms model { versionNumber } }
}`;

const DEFAULT_ONLY = `query ($input: LatencyFeaturesInput!) { predictLatency(input: $input) { p50Ms model { versionNumber } } }`;

interface Answer {
  p50Ms: number;
  model: { versionNumber: number; version?: string };
}

describe.each(controlModes)('model versions and explicit model control: $name', ({ env }) => {
  let models: VersionedModels;
  let yoga: Fetcher;
  let probes: Probes;
  let admin: string;
  serveVersionedDuringSuite({ 1: 'mlp', 2: 'gbdt' }, { policy: 'all' }, env, (served) => {
    models = served.models;
    ({ yoga, probes } = served.app);
    admin = served.app.admin!;
  });

  it('serves two versions side by side: the default the highest, either one chosen per field, one run per version', async () => {
    const { result, runs } = await probes.counted(() => send(yoga, SIDE_BY_SIDE, { input: INPUT }, TRACE));
    expect(result.errors).toBeUndefined();
    const data = result.data as Record<string, Answer> & { models: unknown[] };
    expect(data.models).toEqual([{ name: MLP, versionNumber: 2, versions: [1, 2], defaultVersion: 2 }]);
    expect(data.d!.model).toEqual({ versionNumber: 2, version: '2.0.0' });
    expect(data.v1!.model.versionNumber).toBe(1);
    expect(data.v1!.p50Ms).toBeCloseTo(mlp.outputs.p50Ms as number, 4);
    expect(data.v2!.p50Ms).toBeCloseTo(gbdt.outputs.p50Ms as number, 4);
    expect(data.d!.p50Ms).toBe(data.v2!.p50Ms);
    // The default's row and version 2's are the same row of the same version: asked once.
    expect(runs[MLP]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    expect(runs[`${MLP}@2`]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    expect(
      traceOf(result)
        .batches.map((b) => b.version)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('lets an example’s prediction pick a version, each encoded by its own version', async () => {
    const result = await send<{
      sampleRequests: { features: Record<string, unknown>; predictedLatency: Answer; v1: Answer }[];
    }>(
      yoga,
      `{ sampleRequests(first: 2) { features { payloadKb concurrency cpuUtilization memoryUtilization cacheHitRatio dbQueries downstreamCalls hourOfDay }
           predictedLatency { p50Ms model { versionNumber } } v1: predictedLatency(version: 1) { p50Ms model { versionNumber } } } }`,
    );
    expect(result.errors).toBeUndefined();
    const examples = result.data!.sampleRequests;
    const direct = await send<{ a: Answer[]; b: Answer[] }>(
      yoga,
      `query ($i: [LatencyFeaturesInput!]!) { a: predictLatencies(inputs: $i, version: 1) { p50Ms } b: predictLatencies(inputs: $i) { p50Ms } }`,
      { i: examples.map((e) => e.features) },
    );
    expect(examples.map((e) => [e.predictedLatency.model.versionNumber, e.v1.model.versionNumber])).toEqual([
      [2, 1],
      [2, 1],
    ]);
    examples.forEach((e, i) => {
      expect(e.v1.p50Ms).toBeCloseTo(direct.data!.a[i]!.p50Ms, 3);
      expect(e.predictedLatency.p50Ms).toBeCloseTo(direct.data!.b[i]!.p50Ms, 3);
    });
  });

  it('answers a version it does not serve with MODEL_NOT_FOUND on that field only', async () => {
    const result = await send(
      yoga,
      DEFAULT_ONLY.replace(
        '{ predictLatency(input: $input)',
        '{ a: predictLatency(input: $input) { p50Ms } b: predictLatency(input: $input, version: 7)',
      ),
      {
        input: INPUT,
      },
    );
    const errors = errorsByPath(result);
    expect(errors.get('b')?.extensions).toMatchObject({ code: ErrorCode.MODEL_NOT_FOUND, model: MLP, version: 7 });
    expect(errors.get('b')?.message).toContain('Its versions: 1, 2');
    expect((result.data as { a: { p50Ms: number } }).a.p50Ms).toBeCloseTo(gbdt.outputs.p50Ms as number, 4);
  });

  it('loads a new version beside the served ones on request, and new requests get it as the default', async () => {
    await models.add(3, 'mlp');
    const { status, body } = await reloadModel(admin);
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: MLP, kept: [1, 2], retired: [], served: [1, 2, 3], defaultVersion: 3 });
    expect((body.loaded as { version: number }[]).map((l) => l.version)).toEqual([3]);
    const { result, runs } = await probes.counted(() => send(yoga, DEFAULT_ONLY, { input: INPUT }));
    expect(result.errors).toBeUndefined();
    const answer = (result.data as { predictLatency: Answer }).predictLatency;
    expect(answer.model.versionNumber).toBe(3);
    expect(answer.p50Ms).toBeCloseTo(mlp.outputs.p50Ms as number, 4);
    expect(runs[`${MLP}@3`]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    const index = (await (await fetch(`${admin}/v2/repository/index`)).json()) as { models: { versions: { version: number }[] }[] };
    expect(index.models[0]!.versions.map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it('refuses a broken version, and one with another GraphQL API, with a metric; what served keeps serving', async () => {
    await models.add(4, 'broken');
    const broken = await reloadModel(admin);
    expect(broken.status).toBe(422);
    expect(broken.body.error).toMatch(/the reload was refused, what served keeps serving/);
    await models.remove(4);
    await models.add(4, 'other-api');
    const otherApi = await reloadModel(admin);
    expect(otherApi.status).toBe(422);
    expect(otherApi.body.error).toMatch(/differs from request-latency@3 in its GraphQL API/);
    await models.remove(4);
    const result = await send(yoga, DEFAULT_ONLY, { input: INPUT });
    expect(result.errors).toBeUndefined();
    expect((result.data as { predictLatency: Answer }).predictLatency.model.versionNumber).toBe(3);
    const metrics = parseMetrics(await (await yoga.fetch('http://yoga/metrics')).text());
    expect(metricValue(metrics, 'predictql_model_loads_total', { model: MLP, result: 'failed' })).toBe(2);
    expect(metricValue(metrics, 'predictql_model_loads_total', { model: MLP, result: 'loaded' })).toBe(1);
    expect(metricValue(metrics, 'predictql_model_info', { model: MLP, version: '3', default: 'true' })).toBe(1);
  });

  it('retires the versions a new policy drops, and loads a version whose files changed as a new load', async () => {
    await models.policy({ policy: 'specific', versions: [1] });
    const retire = await reloadModel(admin);
    expect(retire.body).toMatchObject({ kept: [1], retired: [2, 3], served: [1], defaultVersion: 1 });
    const gone = await send(yoga, DEFAULT_ONLY.replace('predictLatency(input: $input)', 'predictLatency(input: $input, version: 3)'), {
      input: INPUT,
    });
    expect(gone.errors?.[0]?.extensions?.code).toBe(ErrorCode.MODEL_NOT_FOUND);
    await models.touch(1);
    const again = await reloadModel(admin);
    expect(again.body).toMatchObject({ kept: [], retired: [1], served: [1] });
    const { result, runs } = await probes.counted(() => send(yoga, DEFAULT_ONLY, { input: INPUT }));
    expect((result.data as { predictLatency: Answer }).predictLatency.p50Ms).toBeCloseTo(mlp.outputs.p50Ms as number, 4);
    expect(runs[MLP]?.runs).toBe(1);
  });

  it('takes a reload only from this host with the admin header, never through the API port', async () => {
    expect((await reloadModel(admin, MLP, {})).status).toBe(403);
    expect((await reloadModel(admin, 'no-such-model')).status).toBe(404);
    const viaApi = await yoga.fetch('http://yoga/v2/repository/models/request-latency/load', { method: 'POST' });
    expect(viaApi.status).toBe(404);
  });
});
