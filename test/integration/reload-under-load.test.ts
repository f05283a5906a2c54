/**
 * Reloads under load, on the server users run (one GraphQL thread, and the default GraphQL
 * threads): 64 clients send mixed queries without pause (a default-version field, a 10-input list,
 * a field pinned to version 1) while the model is reloaded 10 times (its version 2 retired, then
 * loaded again) and a broken version is offered. Not one request may fail, and every answer must
 * be a whole version's: within a response, every default-version field reports the same version,
 * its values are that version's, and each run the report lists was made by the version its field
 * reports.
 */
import { describe, expect, it } from 'vitest';
import { type Fetcher, send, TRACE, traceOf } from '../support/graphql.ts';
import { sampleInputs } from '../support/models.ts';
import type { ServedApp } from '../support/served-app.ts';
import { controlModes, reloadModel, serveVersionedDuringSuite, type VersionedModels } from '../support/versioned-models.ts';

const CLIENTS = 64;
const RELOADS = 10;
const INPUTS = sampleInputs(10);

const MIXED = `query ($one: LatencyFeaturesInput!, $many: [LatencyFeaturesInput!]!) {
  one: predictLatency(input: $one) { p50Ms model { versionNumber } }
  many: predictLatencies(inputs: $many) { p50Ms model { versionNumber } }
  pinned: predictLatency(input: $one, version: 1) { p50Ms model { versionNumber } }
}`;

interface Answer {
  p50Ms: number;
  model: { versionNumber: number };
}
interface Mixed {
  one: Answer;
  many: Answer[];
  pinned: Answer;
}

/**
 * Equal as one version's answers: an MLP's float32 sums differ in their last bits with the run's
 * size (onnxruntime's kernels), while two versions' answers differ by far more.
 */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

describe.each(controlModes)('reloads under load: $name', ({ env }) => {
  let models: VersionedModels;
  let app: ServedApp;
  let yoga: Fetcher;
  serveVersionedDuringSuite({ 1: 'mlp', 2: 'gbdt' }, { policy: 'all' }, env, (served) => {
    ({ models, app } = served);
    yoga = app.yoga;
  });

  it('fails no request and answers each from one whole version while the model is reloaded 10 times and a broken version is offered', async () => {
    // Each version's answers to the inputs, asked by number while both serve.
    const truth = new Map<number, number[]>();
    for (const version of [1, 2]) {
      const result = await send<{ predictLatencies: Answer[] }>(
        yoga,
        `query ($many: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $many, version: ${version}) { p50Ms } }`,
        { many: INPUTS },
      );
      truth.set(
        version,
        result.data!.predictLatencies.map((a) => a.p50Ms),
      );
    }
    expect(truth.get(1)).not.toEqual(truth.get(2));

    let running = true;
    const problems: string[] = [];
    const seenDefaults = new Set<number>();
    let answered = 0;
    const client = async (c: number) => {
      while (running) {
        const i = (c + answered) % INPUTS.length;
        const result = await send<Mixed>(yoga, MIXED, { one: INPUTS[i], many: INPUTS }, TRACE);
        answered++;
        if (result.status !== 200 || result.errors) {
          problems.push(`${result.status} ${JSON.stringify(result.errors)}`);
          continue;
        }
        const { one, many, pinned } = result.data!;
        const version = one.model.versionNumber;
        seenDefaults.add(version);
        if (many.some((a) => a.model.versionNumber !== version)) problems.push('two default versions in one response');
        if (!close(one.p50Ms, truth.get(version)![i]!)) problems.push(`one: not version ${version}'s answer`);
        if (many.some((a, k) => !close(a.p50Ms, truth.get(version)![k]!))) problems.push(`many: not version ${version}'s answers`);
        if (pinned.model.versionNumber !== 1 || !close(pinned.p50Ms, truth.get(1)![i]!))
          problems.push(`pinned: not version 1: ${JSON.stringify(pinned)} vs ${truth.get(1)![i]} (default ${version}, ${one.p50Ms})`);
        const runVersions = new Set(traceOf(result).batches.map((b) => b.version));
        if ([...runVersions].some((v) => v !== version && v !== 1)) problems.push(`a run of version ${[...runVersions]} served it`);
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));

    const reloads: Record<string, unknown>[] = [];
    const reload = () => reloadModel(app.admin!);
    for (let r = 0; r < RELOADS; r++) {
      // Version 2 retired (even), then loaded anew (odd): a load, a swap and a retirement each time.
      await models.policy(r % 2 === 0 ? { policy: 'specific', versions: [1] } : { policy: 'all' });
      const { status, body } = await reload();
      expect(status).toBe(200);
      reloads.push(body);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await models.add(3, 'broken');
    const refused = await reload();
    expect(refused.status).toBe(422);
    await new Promise((resolve) => setTimeout(resolve, 100));
    running = false;
    await Promise.all(clients);

    expect(problems.slice(0, 5)).toEqual([]);
    expect(answered).toBeGreaterThan(CLIENTS * RELOADS);
    // Both defaults served under load; the last reload left version 2 served and the default.
    expect([...seenDefaults].sort()).toEqual([1, 2]);
    expect(reloads.map((b) => b.served)).toEqual(Array.from({ length: RELOADS }, (_, r) => (r % 2 === 0 ? [1] : [1, 2])));
    expect(reloads.filter((b) => (b.loaded as unknown[]).length === 1)).toHaveLength(RELOADS / 2);
  }, 120_000);
});
