/**
 * Errors stay on their field (or list item): bad input, unknown models and failed runs never take
 * the rest of the request down, and nothing internal leaks into a response.
 */

import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type PredictQLApp, type Services } from '../../src/app.ts';
import { InferenceService, ModelRegistry, type ModelRunner, type PackedBatch, type PackedOutputs } from '../../src/inference/index.ts';
import { defaultRequestLimits } from '../../src/request-limits.ts';
import { PredictManyDocument, PredictOneDocument, SampleRequestsWithPredictionsDocument } from '../generated/graphql.ts';
import { errorsByPath, type Fetcher, gql, send, TRACE, traceOf } from '../support/graphql.ts';
import {
  aliasedQuery,
  aliasedVariables,
  directPredict,
  GBDT,
  inputLiteral,
  MLP,
  sameUpToBatching,
  sampleInputs,
  soloPredictions,
  toRow,
} from '../support/models.ts';
import { hasMarker } from '../support/probe-memory.ts';
import { BrokenGetterRunner, FailingRunner, SECRET } from '../support/runners.ts';

type Latency = { p50Ms: number; p95Ms: number } | null;

import { loadRealApp } from '../support/app.ts';
import { Probes, unprobed } from '../support/probe.ts';
import { serveDuringSuite, servingModes } from '../support/served-app.ts';

let services: Services;
let yoga: PredictQLApp;

// Real models, loaded once per file, for the apps built over them with a fault injected.
beforeAll(async () => ({ services, yoga } = await loadRealApp()));
afterAll(() => services.inference.close());

describe.each(servingModes)('bad input: $name', (mode) => {
  let yoga: Fetcher;
  let probes: Probes;
  serveDuringSuite(mode, (app) => ({ yoga, probes } = app));

  it('predictLatencies: errors only at the invalid indexes, values elsewhere, one run of the valid items', async () => {
    const inputs = sampleInputs(50, 1000);
    const invalid = new Map<number, [string, number]>([
      [3, ['cpuUtilization', 1.5]],
      [17, ['concurrency', 0]],
      [18, ['payloadKb', -1]],
      [30, ['hourOfDay', 24]],
      [49, ['dbQueries', 201]],
    ]);
    for (const [i, [feature, value]] of invalid) inputs[i] = { ...inputs[i]!, [feature]: value };

    const { result, runs } = await probes.counted(() => gql(yoga, PredictManyDocument, { inputs }, TRACE));
    const list = result.data!.predictLatencies;
    expect(list).toHaveLength(50);
    const errors = errorsByPath(result);
    expect([...errors.keys()].sort()).toEqual([...invalid.keys()].map((i) => `predictLatencies.${i}`).sort());
    for (const [i, [feature, value]] of invalid) {
      const error = errors.get(`predictLatencies.${i}`)!;
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.problems).toEqual([expect.objectContaining({ feature, value })]);
      expect(error.message).toContain(feature);
      expect(list[i]).toBeNull();
    }
    // The valid neighbours of each bad item got their own values (an index slip would show here).
    const valid = inputs.map((input, i) => (invalid.has(i) ? sampleInputs(1, 1000)[0]! : input));
    const expected = await soloPredictions(yoga, valid);
    for (let i = 0; i < 50; i++) {
      if (invalid.has(i)) continue;
      expect(sameUpToBatching(list[i]!.p50Ms, expected[i]!.p50Ms), `item ${i}`).toBe(true);
      expect(sameUpToBatching(list[i]!.p95Ms, expected[i]!.p95Ms), `item ${i}`).toBe(true);
    }
    expect(runs[MLP]).toEqual({ runs: 1, items: 45, failedRuns: 0 });
    const trace = traceOf(result);
    expect(trace.batches).toHaveLength(1);
    expect(trace.batches[0]).toMatchObject({ size: 45, loads: 45 });
  });

  it('reports every problem of one input in one error', async () => {
    const [input] = sampleInputs(1, 1100);
    const result = await gql(yoga, PredictOneDocument, { input: { ...input!, cpuUtilization: -0.5, memoryUtilization: 2 } });
    expect(result.data!.predictLatency).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions?.problems).toHaveLength(2);
    expect(result.errors![0]!.message).toMatch(/cpuUtilization.*memoryUtilization/);
  });

  it('accepts the exact ends of every range', async () => {
    const { result } = await probes.counted(() =>
      send<Record<string, Latency>>(
        yoga,
        `{
        lo: predictLatency(input: { payloadKb: 0, concurrency: 1, cpuUtilization: 0, memoryUtilization: 0, cacheHitRatio: 0, dbQueries: 0, downstreamCalls: 0, hourOfDay: 0 }) { p50Ms }
        hi: predictLatency(input: { payloadKb: 10240, concurrency: 1024, cpuUtilization: 1, memoryUtilization: 1, cacheHitRatio: 1, dbQueries: 200, downstreamCalls: 50, hourOfDay: 23 }) { p50Ms }
      }`,
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.lo!.p50Ms).toBeGreaterThan(0);
    expect(result.data!.hi!.p50Ms).toBeGreaterThan(0);
  });

  it('mixed fields: BAD_USER_INPUT and MODEL_NOT_FOUND on their own fields, the valid ones share one run per model', async () => {
    const inputs = sampleInputs(6, 1200);
    const query = `{
      ok1: predictLatency(input: ${inputLiteral(inputs[0]!)}) { p50Ms p95Ms }
      bad: predictLatency(input: ${inputLiteral({ ...inputs[1]!, downstreamCalls: 51 })}) { p50Ms p95Ms }
      ok2: predictLatency(input: ${inputLiteral(inputs[2]!)}) { p50Ms p95Ms }
      unknown: predictLatency(input: ${inputLiteral(inputs[3]!)}, model: "no-such-model") { p50Ms p95Ms }
      ok3: predictLatency(input: ${inputLiteral(inputs[4]!)}, model: "${GBDT}") { p50Ms p95Ms }
      ok4: predictLatency(input: ${inputLiteral(inputs[5]!)}) { p50Ms p95Ms }
    }`;
    const { result, runs } = await probes.counted(() => send<Record<string, Latency>>(yoga, query, undefined, TRACE));
    const errors = errorsByPath(result);
    expect([...errors.keys()].sort()).toEqual(['bad', 'unknown']);
    expect(errors.get('bad')!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', model: MLP });
    expect(errors.get('unknown')!.extensions).toMatchObject({ code: 'MODEL_NOT_FOUND', model: 'no-such-model' });
    expect(errors.get('unknown')!.message).toContain(MLP);
    expect(result.data!.bad).toBeNull();
    expect(result.data!.unknown).toBeNull();
    const [ok1, ok2, ok4] = await soloPredictions(yoga, [inputs[0]!, inputs[2]!, inputs[5]!]);
    const [ok3] = await soloPredictions(yoga, [inputs[4]!], GBDT);
    for (const [alias, want] of [
      ['ok1', ok1],
      ['ok2', ok2],
      ['ok3', ok3],
      ['ok4', ok4],
    ] as const) {
      expect(sameUpToBatching(result.data![alias]!.p50Ms, want!.p50Ms), alias).toBe(true);
      expect(sameUpToBatching(result.data![alias]!.p95Ms, want!.p95Ms), alias).toBe(true);
    }
    expect(runs[MLP]).toEqual({ runs: 1, items: 3, failedRuns: 0 });
    expect(runs[GBDT]).toEqual({ runs: 1, items: 1, failedRuns: 0 });
    expect(traceOf(result).resolvers['Query.predictLatency']).toMatchObject({ count: 6, errors: 2 });
  });

  it('makes no run when every field is invalid', async () => {
    const [input] = sampleInputs(1, 1300);
    const { result, runs } = await probes.counted(() =>
      gql(yoga, PredictManyDocument, { inputs: [{ ...input!, cpuUtilization: 3 }], model: 'nope' }),
    );
    expect(result.errors!.map((e) => e.extensions?.code)).toEqual(['MODEL_NOT_FOUND']);
    expect(runs[MLP]!.runs + runs[GBDT]!.runs).toBe(0);
  });

  it('rejects an input lacking a feature before execution (GraphQL coercion), with no run', async () => {
    const [input] = sampleInputs(1, 1400);
    const { hourOfDay: _omitted, ...partial } = input!;
    const { result, runs } = await probes.counted(() => send(yoga, print(PredictOneDocument), { input: partial }));
    expect(result.data ?? null).toBeNull();
    expect(result.errors![0]!.message).toContain('hourOfDay');
    expect(runs[MLP]!.runs).toBe(0);
  });

  it('sampleRequests: first out of [0, 5000] or a negative offset is BAD_USER_INPUT on that field alone', async () => {
    for (const variables of [
      { first: -1 },
      { first: 100_000 },
      { first: defaultRequestLimits.maxPageSize + 1 },
      { first: 10, offset: -1 },
    ]) {
      const { result, runs } = await probes.counted(() => gql(yoga, SampleRequestsWithPredictionsDocument, variables));
      // The list is nullable: the error nulls it, not the whole response (the other fields are answered).
      expect(result.data).toEqual({ sampleRequests: null });
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.extensions?.argument).toBe('offset' in variables ? 'offset' : 'first');
      expect(result.errors![0]!.path).toEqual(['sampleRequests']);
      expect(runs[MLP]!.runs).toBe(0);
    }
  });

  it('sampleRequests: first: 0 and an offset past the end give an empty page and no run', async () => {
    const { result, runs } = await probes.counted(async () => [
      await gql(yoga, SampleRequestsWithPredictionsDocument, { first: 0 }),
      await gql(yoga, SampleRequestsWithPredictionsDocument, { first: 10, offset: 1_000_000 }),
    ]);
    for (const r of result) {
      expect(r.errors).toBeUndefined();
      expect(r.data!.sampleRequests).toEqual([]);
    }
    expect(runs[MLP]!.runs).toBe(0);
  });

  it('model(name:) of an unknown name is null without an error', async () => {
    const result = await send<{ model: unknown }>(yoga, '{ model(name: "nope") { name } }');
    expect(result.errors).toBeUndefined();
    expect(result.data!.model).toBeNull();
  });
});

describe('a failing run', () => {
  let failing: FailingRunner;
  let registry: ModelRegistry;
  let inference: InferenceService;
  let app: PredictQLApp;
  // Counts every attempt the scheduler makes, failed ones included (the probe wraps the fault).
  const local = new Probes();
  const logged: { message: string; error: unknown }[] = [];

  beforeAll(() => {
    failing = new FailingRunner(unprobed(services.registry.get(GBDT)!));
    registry = local.wrap(new ModelRegistry([unprobed(services.registry.get(MLP)!), failing]));
    inference = InferenceService.inThread(registry);
    app = createApp({
      registry,
      inference,
      tasks: services.tasks,
      logError: (message, error) => logged.push({ message, error }),
    });
  });

  it('is INFERENCE_FAILED on the fields of that batch only; the other model answers; nothing leaks', async () => {
    failing.failing = true;
    logged.length = 0;
    const inputs = sampleInputs(10, 1500);
    const model = (i: number) => (i < 4 ? GBDT : MLP);
    const query = aliasedQuery(10, { model }).replace(
      /\n}$/,
      `\nsampleRequests(first: 3) { id gbdt: predictedLatency(model: "${GBDT}") { p50Ms } mlp: predictedLatency { p50Ms } }\n}`,
    );
    const { result, runs } = await local.counted(() => send<Record<string, unknown>>(app, query, aliasedVariables(inputs), TRACE));

    const errors = errorsByPath(result);
    const expectedPaths = ['a0', 'a1', 'a2', 'a3', 'sampleRequests.0.gbdt', 'sampleRequests.1.gbdt', 'sampleRequests.2.gbdt'];
    expect([...errors.keys()].sort()).toEqual(expectedPaths.sort());
    for (const error of errors.values()) {
      expect(error.extensions?.code).toBe('INFERENCE_FAILED');
      expect(error.extensions?.model).toBe(GBDT);
      expect(error.message).not.toContain(SECRET);
      expect(JSON.stringify(error)).not.toContain('secret');
    }
    expect(JSON.stringify(result)).not.toContain('secret');
    const mlpAnswers = await soloPredictions(yoga, inputs);
    for (let i = 0; i < 10; i++) {
      if (model(i) === GBDT) expect(result.data![`a${i}`]).toBeNull();
      else expect(sameUpToBatching((result.data![`a${i}`] as { p50Ms: number }).p50Ms, mlpAnswers[i]!.p50Ms), `a${i}`).toBe(true);
    }
    const samples = result.data!.sampleRequests! as { gbdt: unknown; mlp: unknown }[];
    expect(samples.map((s) => s.gbdt)).toEqual([null, null, null]);
    expect(samples.every((s) => typeof (s.mlp as { p50Ms: number }).p50Ms === 'number')).toBe(true);

    // A model that fails every run: the scheduler may re-run halves to isolate a bad row
    // (failure isolation), but every one of its runs fails and nothing else is touched.
    expect(runs[GBDT]!.runs).toBeGreaterThanOrEqual(1);
    expect(runs[GBDT]!.failedRuns).toBe(runs[GBDT]!.runs);
    expect(runs[MLP]).toEqual({ runs: 1, items: 9, failedRuns: 0 });
    // The cause goes to the log (it names the thrown error), not to the client.
    expect(logged.length).toBeGreaterThanOrEqual(1);
    for (const entry of logged) {
      expect(entry.message).toContain(GBDT);
      expect(causes(entry.error)).toContain(SECRET);
    }

    const trace = traceOf(result);
    const gbdtBatches = trace.batches.filter((b) => b.model === GBDT);
    expect(gbdtBatches).toHaveLength(runs[GBDT]!.runs);
    expect(gbdtBatches.every((b) => b.failed)).toBe(true);
    expect(gbdtBatches[0]!.size).toBe(7);
    expect(gbdtBatches.reduce((sum, b) => sum + b.size, 0)).toBe(runs[GBDT]!.items);
    expect(gbdtBatches.reduce((sum, b) => sum + b.loads, 0)).toBe(7);
    expect(trace.totals.failedBatches).toBe(runs[GBDT]!.failedRuns);
    expect(trace.batches.filter((b) => b.model === MLP)).toMatchObject([{ failed: false, size: 9, loads: 9 }]);
    expect(trace.resolvers['Query.predictLatency']).toMatchObject({ count: 10, errors: 4 });
  });

  it('leaves later requests unaffected: the other model at once, the failed one once it runs again', async () => {
    failing.failing = true;
    const inputs = sampleInputs(5, 1600);
    const mlp = await gql(app, PredictManyDocument, { inputs });
    expect(mlp.errors).toBeUndefined();

    const stillFailing = await gql(app, PredictManyDocument, { inputs, model: GBDT });
    expect(stillFailing.errors!.map((e) => e.extensions?.code)).toEqual(Array(5).fill('INFERENCE_FAILED'));

    failing.failing = false;
    const { result, runs } = await local.counted(() => gql(app, PredictManyDocument, { inputs, model: GBDT }));
    expect(result.errors).toBeUndefined();
    expect(result.data!.predictLatencies.every((p) => p !== null && p.p95Ms >= p.p50Ms)).toBe(true);
    expect(runs[GBDT]).toEqual({ runs: 1, items: 5, failedRuns: 0 });
  });
});

/** Wraps a real model; any run holding a row whose first feature is `marker` throws. */
class PoisonRowRunner extends FailingRunner {
  readonly marker: number;
  constructor(inner: ModelRunner, marker: number) {
    super(inner);
    this.marker = marker;
    this.failing = false;
  }
  override run(batch: PackedBatch): Promise<PackedOutputs> {
    if (hasMarker(batch, this.marker)) return Promise.reject(new Error(SECRET));
    return this.inner.run(batch);
  }
}

describe('a run failing because of one row', () => {
  it('fails only the fields of that row; its neighbours in the batch get their values', async () => {
    const marker = 4321.5;
    const local = new Probes();
    const poisoned = new PoisonRowRunner(unprobed(services.registry.get(MLP)!), marker);
    const registry = local.wrap(new ModelRegistry([poisoned, unprobed(services.registry.get(GBDT)!)]));
    const inference = InferenceService.inThread(registry);
    const app = createApp({ registry, inference, tasks: services.tasks, logError: () => {} });
    const inputs = sampleInputs(20, 1700);
    inputs[7] = { ...inputs[7]!, payloadKb: marker };

    const { result, runs } = await local.counted(() =>
      send<Record<string, Latency>>(app, aliasedQuery(20), aliasedVariables(inputs), TRACE),
    );
    const errors = errorsByPath(result);
    expect([...errors.keys()]).toEqual(['a7']);
    expect(errors.get('a7')!.extensions?.code).toBe('INFERENCE_FAILED');
    expect(errors.get('a7')!.message).not.toContain('secret');
    const expected = await directPredict(
      services.inference,
      MLP,
      inputs.map((input) => toRow(services.registry.get(MLP)!, input)).filter((_, i) => i !== 7),
    );
    let k = 0;
    for (let i = 0; i < 20; i++) {
      if (i === 7) {
        expect(result.data!.a7).toBeNull();
        continue;
      }
      const want = expected[k++]!;
      expect(Math.abs(result.data![`a${i}`]!.p50Ms - want[0]!)).toBeLessThanOrEqual(1e-6 * want[0]!);
    }
    expect(runs[MLP]!.failedRuns).toBeGreaterThanOrEqual(1);
    expect(runs[MLP]!.runs).toBeGreaterThan(runs[MLP]!.failedRuns);
    expect(traceOf(result).totals.failedBatches).toBe(runs[MLP]!.failedRuns);
  });
});

describe('unexpected errors', () => {
  it('are masked: a plain Error thrown in a resolver reaches the client as "Unexpected error."', async () => {
    const registry = new ModelRegistry([services.registry.get(MLP)!, new BrokenGetterRunner(services.registry.get(GBDT)!)]);
    const app = createApp({ registry, tasks: services.tasks });
    // Yoga logs the original error for the operator; keep it out of the test output and check it.
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let result: Awaited<ReturnType<typeof send>>;
    let logged: string;
    try {
      result = await send(app, '{ models { name warmedUp } }');
    } finally {
      logged = spy.mock.calls.flat().map(String).join(' ');
      spy.mockRestore();
    }
    expect(logged).toContain(SECRET);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.message).toBe('Unexpected error.');
    expect(result.errors![0]!.path).toEqual(['models', 1, 'warmedUp']);
    expect(JSON.stringify(result)).not.toContain('secret');
    // `warmedUp` is non-null, so the null bubbles up to the non-null `models` and the data is null.
    expect(result.data ?? null).toBeNull();
  });
});

/** The messages of an error and its causes, joined. */
function causes(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' <- ');
}
