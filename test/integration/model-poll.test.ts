/**
 * PREDICTQL_MODEL_CONTROL=poll on the default configuration otherwise (GraphQL threads): a
 * version folder dropped into the model's folder is served within a few polls, the latest policy
 * retiring the one before; a broken version is refused once (one failed load, not one per poll)
 * while what served keeps serving.
 */
import { describe, expect, it } from 'vitest';
import { send } from '../support/graphql.ts';
import { metricValue, parseMetrics } from '../support/metrics.ts';
import { MLP, readReference } from '../support/models.ts';
import type { ServedApp } from '../support/served-app.ts';
import { until } from '../support/until.ts';
import { reloadModel, serveVersionedDuringSuite, type VersionedModels } from '../support/versioned-models.ts';

const POLL_MS = 100;
const INPUT = readReference(MLP).cases[0]!.features;
const QUERY = `query ($input: LatencyFeaturesInput!) {
  models { versions defaultVersion }
  predictLatency(input: $input) { p50Ms model { versionNumber } }
}`;

interface Served {
  models: { versions: number[]; defaultVersion: number }[];
  predictLatency: { p50Ms: number; model: { versionNumber: number } };
}

describe('poll model control (default GraphQL threads)', () => {
  let models: VersionedModels;
  let app: ServedApp;
  const served = async () => {
    const result = await send<Served>(app.yoga, QUERY, { input: INPUT });
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  const failedLoads = async () =>
    metricValue(parseMetrics(await (await app.yoga.fetch('http://yoga/metrics')).text()), 'predictql_model_loads_total', {
      model: MLP,
      result: 'failed',
    });

  serveVersionedDuringSuite(
    { 1: 'mlp' },
    undefined,
    { PREDICTQL_MODEL_CONTROL: 'poll', PREDICTQL_MODEL_POLL_INTERVAL_MS: String(POLL_MS) },
    (served) => ({ models, app } = served),
  );

  it('serves a version dropped into the folder, and refuses a broken one once while the served one answers', async () => {
    expect((await served()).models).toEqual([{ versions: [1], defaultVersion: 1 }]);
    await models.add(2, 'gbdt');
    await until(async () => (await served()).predictLatency.model.versionNumber === 2, 20);
    expect((await served()).models).toEqual([{ versions: [2], defaultVersion: 2 }]);

    await models.add(3, 'broken');
    await until(async () => (await failedLoads()) === 1, 20);
    // Ten more polls: the refusal is not retried while the folder stays as it is.
    await new Promise((resolve) => setTimeout(resolve, 10 * POLL_MS));
    expect(await failedLoads()).toBe(1);
    const after = await served();
    expect(after.models).toEqual([{ versions: [2], defaultVersion: 2 }]);
    expect(after.predictLatency.p50Ms).toBeCloseTo(readReference('request-latency-gbdt').cases[0]!.outputs.p50Ms as number, 4);
    // The admin endpoint lists the models under poll, and leaves loading to the folder.
    const load = await reloadModel(app.admin!);
    expect(load.status).toBe(409);
  }, 30_000);
});
