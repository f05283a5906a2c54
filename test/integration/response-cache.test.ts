/**
 * The response cache (PREDICTQL_RESPONSE_CACHE_BYTES), with one GraphQL thread and the default
 * GraphQL threads (the cache lives with the models, so every thread shares it): a repeated row is
 * answered without a run, visibly in the report and the metrics; a job of new and repeated rows
 * runs only the new ones, and the answers are those of a run; a reloaded version never answers
 * from the old version's rows. Runs are counted at the model (probe.ts).
 */
import { describe, expect, it } from 'vitest';
import type { LatencyFeaturesInput } from '../generated/graphql.ts';
import { type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import { metricValue, parseMetrics } from '../support/metrics.ts';
import { MLP, readReference, sampleInputs } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';
import { type ServedApp, serveDuringSuite, servingModes } from '../support/served-app.ts';
import { reloadModel, serveVersionedDuringSuite, type VersionedModels } from '../support/versioned-models.ts';

const CACHE = { PREDICTQL_RESPONSE_CACHE_BYTES: String(1 << 20) };
const MANY = `query ($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms p95Ms } }`;
const ONE = `query ($input: LatencyFeaturesInput!) { predictLatency(input: $input) { p50Ms model { versionNumber } } }`;

type Many = { predictLatencies: { p50Ms: number; p95Ms: number }[] };

describe.each(servingModes)('the response cache: $name', (mode) => {
  let yoga: Fetcher;
  let probes: Probes;
  serveDuringSuite(
    mode,
    (app) => ({ yoga, probes } = app),
    () => CACHE,
  );

  const many = (inputs: LatencyFeaturesInput[]) => probes.counted(() => send<Many>(yoga, MANY, { inputs }, TRACE));

  it('answers rows it has seen without a run, and runs only the new rows of a job', async () => {
    const inputs = sampleInputs(10, 100);
    const first = await many(inputs.slice(0, 5));
    expect(first.runs[MLP]).toMatchObject({ runs: 1, items: 5 });
    expect(traceOf(first.result).totals.cachedItems).toBe(0);

    const again = await many(inputs.slice(0, 5));
    expect(again.runs[MLP]).toMatchObject({ runs: 0, items: 0 });
    expect(again.result.data).toEqual(first.result.data);
    const report = traceOf(again.result);
    expect(report.totals).toMatchObject({ batches: 0, cachedItems: 5, loads: 5 });
    expect(report.batches).toEqual([expect.objectContaining({ model: MLP, version: 1, cached: true, items: 5, computeMs: 0 })]);

    // Five seen, five new (cases of the model's reference.json), interleaved: one run of the new rows;
    // the seen rows answered as their first run did, the new ones as torch computed them.
    const cases = readReference(MLP).cases.slice(0, 5);
    const mixed = inputs.slice(0, 5).flatMap((input, i) => [input, cases[i]!.features as unknown as LatencyFeaturesInput]);
    const half = await many(mixed);
    expect(half.runs[MLP]).toMatchObject({ runs: 1, items: 5 });
    const answers = half.result.data!.predictLatencies;
    expect(answers.filter((_, i) => i % 2 === 0)).toEqual(first.result.data!.predictLatencies);
    answers
      .filter((_, i) => i % 2 === 1)
      .forEach((answer, i) => {
        // float32 against torch's: 1e-5 of the value (they reach 1e5 ms).
        expect(Math.abs(answer.p50Ms - (cases[i]!.outputs.p50Ms as number))).toBeLessThanOrEqual(1e-5 * Math.max(1, answer.p50Ms));
        expect(Math.abs(answer.p95Ms - (cases[i]!.outputs.p95Ms as number))).toBeLessThanOrEqual(1e-5 * Math.max(1, answer.p95Ms));
      });
    expect(traceOf(half.result).totals).toMatchObject({ batches: 1, cachedItems: 5 });
  });

  it('counts hits and misses per model version, and its bytes, in the metrics', async () => {
    const input = sampleInputs(1, 300)[0]!;
    const scrape = async () => parseMetrics(await (await yoga.fetch('http://yoga/metrics')).text());
    const before = await scrape();
    await send(yoga, ONE, { input });
    await send(yoga, ONE, { input });
    const after = await scrape();
    const delta = (name: string) =>
      metricValue(after, name, { model: MLP, version: '1' }) - metricValue(before, name, { model: MLP, version: '1' });
    expect(delta('predictql_response_cache_hits_total')).toBe(1);
    expect(delta('predictql_response_cache_misses_total')).toBe(1);
    expect(metricValue(after, 'predictql_response_cache_entries')).toBeGreaterThan(0);
    expect(metricValue(after, 'predictql_response_cache_bytes')).toBeLessThanOrEqual(1 << 20);
  });
});

describe('the response cache across a reload (default GraphQL threads, explicit model control)', () => {
  let models: VersionedModels;
  let app: ServedApp;
  serveVersionedDuringSuite({ 1: 'mlp' }, undefined, CACHE, (served) => ({ models, app } = served));

  it('never answers a new version, or a new load of a version, from the old one’s rows', async () => {
    const input = sampleInputs(1, 400)[0]!;
    const ask = () =>
      app.probes.counted(() => send<{ predictLatency: { p50Ms: number; model: { versionNumber: number } } }>(app.yoga, ONE, { input }));
    const reload = () => reloadModel(app.admin!);
    expect((await ask()).runs[MLP]?.runs).toBe(1);
    expect((await ask()).runs[MLP]?.runs).toBe(0);

    await models.add(2, 'gbdt');
    expect((await reload()).status).toBe(200);
    const v2 = await ask();
    expect(v2.result.data!.predictLatency.model.versionNumber).toBe(2);
    expect(v2.runs[`${MLP}@2`]?.runs).toBe(1);

    // Version 2 loaded again in place (its files touched): a new load, whose cache starts empty.
    await models.touch(2);
    expect((await reload()).status).toBe(200);
    expect((await ask()).runs[`${MLP}@2`]?.runs).toBe(1);
    expect((await ask()).runs[`${MLP}@2`]?.runs).toBe(0);
  });
});
