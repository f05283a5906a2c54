/**
 * Faults of the serving machinery, each bounded by a deadline so that a hang fails the test:
 * a worker thread killed while it holds a run, a worker that crashes on one input (the others in
 * its batch are answered), and one that crashes on every input. Start-up refusals of missing or
 * corrupt model files are in startup.test.ts, runs that throw in errors.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import type { WorkerExecutor } from '../../src/inference/execution/worker-executor.ts';
import { InferenceService } from '../../src/inference/inference-service.ts';
import { ModelRegistry } from '../../src/inference/registry.ts';
import { CRASH_MARKER, HANG_MARKER, HANG_MS } from '../support/crashing-worker.ts';
import { errorsByPath, send } from '../support/graphql.ts';
import { aliasedQuery, aliasedVariables, close, directPredict, GBDT, MLP, sampleInputs, toRow } from '../support/models.ts';

type Latency = { p50Ms: number } | null;
const crashingWorker = new URL('../support/crashing-worker.ts', import.meta.url);

/** Rejects if `promise` has not settled within `ms`: the proof that nothing hangs. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

let services: Services;

beforeAll(async () => {
  services = await loadServices(readConfig({}));
});
afterAll(() => services.inference.close());

/** A service whose GBDT model runs on a worker thread (of `workerFile`), and an app over it. */
async function workerApp(workerFile?: URL, runTimeoutMs = 0) {
  const registry = new ModelRegistry([services.registry.get(MLP)!, services.registry.get(GBDT)!]);
  const inference = await InferenceService.create(registry, { executors: { [GBDT]: 'worker', [MLP]: 'main' }, workerFile, runTimeoutMs });
  const app = createApp({
    registry,
    catalog: services.catalog,
    defaultModel: services.defaultModel,
    predictor: inference,
    inference,
    logError: () => {},
  });
  const executor = inference.batcher(GBDT).executor as WorkerExecutor;
  return { registry, inference, app, executor };
}

async function expectedGbdt(inputs: ReturnType<typeof sampleInputs>): Promise<number[]> {
  const features = services.registry.get(GBDT)!.manifest.features;
  return (
    await directPredict(
      services.inference,
      GBDT,
      inputs.map((input) => toRow(features, input)),
    )
  ).map((o) => o[0]!);
}

describe('a worker executor that dies', () => {
  it('killed while it holds a run: that run fails, nothing hangs, the next run starts a new worker', async () => {
    const { executor, inference } = await workerApp();
    try {
      const features = services.registry.get(GBDT)!.manifest.features;
      const rows = sampleInputs(2000).map((input) => toRow(features, input));
      const packed = new Float32Array(rows.length * features.length);
      for (const [i, row] of rows.entries()) packed.set(row, i * features.length);
      expect(executor.starts).toBe(1);
      const inFlight = executor.run(packed.slice(), rows.length);
      await executor.terminate();
      await expect(within(5000, inFlight)).rejects.toThrow(/inference worker (was )?stopped/);
      const output = await within(10_000, executor.run(packed.slice(), rows.length));
      expect(executor.starts).toBe(2);
      const expected = await expectedGbdt(sampleInputs(2000));
      expect(close(output[0]!, expected[0]!)).toBe(true);
      expect(close(output[(rows.length - 1) * 2]!, expected[rows.length - 1]!)).toBe(true);
    } finally {
      await inference.close();
    }
  });

  it('killed during a GraphQL request: every field is its value or INFERENCE_FAILED, then the next request is whole', async () => {
    const { executor, inference, app } = await workerApp();
    try {
      const inputs = sampleInputs(300, 500);
      const query = aliasedQuery(300, { model: () => GBDT });
      const pending = send<Record<string, Latency>>(app, query, aliasedVariables(inputs));
      // The loaders dispatch at the end of this turn and the batcher at the next: kill it then.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      await executor.terminate();
      const result = await within(10_000, pending);
      const expected = await expectedGbdt(inputs);
      const errors = errorsByPath(result);
      for (let i = 0; i < 300; i++) {
        const error = errors.get(`a${i}`);
        if (error) expect(error.extensions?.code).toBe('INFERENCE_FAILED');
        else expect(close(result.data![`a${i}`]!.p50Ms, expected[i]!)).toBe(true);
      }
      const again = await within(10_000, send<Record<string, Latency>>(app, query, aliasedVariables(inputs)));
      expect(again.errors).toBeUndefined();
      for (let i = 0; i < 300; i++) expect(close(again.data![`a${i}`]!.p50Ms, expected[i]!)).toBe(true);
      expect(executor.starts).toBeGreaterThanOrEqual(2);
    } finally {
      await inference.close();
    }
  });

  it('crashing on one input: only that field is INFERENCE_FAILED, its batch neighbours and later requests are answered', async () => {
    const { executor, inference, app } = await workerApp(crashingWorker);
    try {
      const inputs = sampleInputs(40, 900);
      inputs[13] = { ...inputs[13]!, payloadKb: CRASH_MARKER };
      const query = aliasedQuery(40, { model: () => GBDT });
      const result = await within(15_000, send<Record<string, Latency>>(app, query, aliasedVariables(inputs)));
      const errors = errorsByPath(result);
      expect([...errors.keys()]).toEqual(['a13']);
      expect(errors.get('a13')!.extensions?.code).toBe('INFERENCE_FAILED');
      expect(errors.get('a13')!.message).not.toContain('exit code');
      const expected = await expectedGbdt(inputs);
      for (let i = 0; i < 40; i++) if (i !== 13) expect(close(result.data![`a${i}`]!.p50Ms, expected[i]!)).toBe(true);
      // Each crash took a worker with it; the bisection restarted one for every following run.
      expect(executor.starts).toBeGreaterThan(2);

      const clean = sampleInputs(40, 1000);
      const later = await within(10_000, send<Record<string, Latency>>(app, query, aliasedVariables(clean)));
      expect(later.errors).toBeUndefined();
      const expectedClean = await expectedGbdt(clean);
      for (let i = 0; i < 40; i++) expect(close(later.data![`a${i}`]!.p50Ms, expectedClean[i]!)).toBe(true);
    } finally {
      await inference.close();
    }
  });

  it('crashing on every input: all fields fail cleanly within the deadline, with a bounded number of restarts', async () => {
    const { executor, inference, app } = await workerApp(crashingWorker);
    try {
      const inputs = sampleInputs(16, 1100).map((input) => ({ ...input, payloadKb: CRASH_MARKER }));
      const result = await within(
        20_000,
        send<Record<string, Latency>>(app, aliasedQuery(16, { model: () => GBDT }), aliasedVariables(inputs)),
      );
      const errors = errorsByPath(result);
      expect(errors.size).toBe(16);
      for (const error of errors.values()) expect(error.extensions?.code).toBe('INFERENCE_FAILED');
      // The isolation budget (4·log2(rows) re-runs) bounds the restarts of a model that always fails.
      expect(executor.starts).toBeLessThanOrEqual(1 + 1 + 4 * 4);
      expect(inference.counters(GBDT).failedRuns).toBeGreaterThan(0);
      // The MLP, on the JS thread, never noticed.
      const mlp = await send<Record<string, Latency>>(app, aliasedQuery(3), aliasedVariables(sampleInputs(3)));
      expect(mlp.errors).toBeUndefined();
    } finally {
      await inference.close();
    }
  });

  it('hanging on one input: the run times out, only that field fails, and a fresh worker answers the rest', async () => {
    const runTimeoutMs = 300;
    const { executor, inference, app } = await workerApp(crashingWorker, runTimeoutMs);
    try {
      const inputs = sampleInputs(8, 1200);
      inputs[5] = { ...inputs[5]!, payloadKb: HANG_MARKER };
      const query = aliasedQuery(8, { model: () => GBDT });
      // Without the timeout this would wait for the hung thread; the deadline is well under HANG_MS.
      const result = await within(HANG_MS - 500, send<Record<string, Latency>>(app, query, aliasedVariables(inputs)));
      const errors = errorsByPath(result);
      expect([...errors.keys()]).toEqual(['a5']);
      expect(errors.get('a5')!.extensions?.code).toBe('INFERENCE_FAILED');
      const expected = await expectedGbdt(inputs);
      for (let i = 0; i < 8; i++) if (i !== 5) expect(close(result.data![`a${i}`]!.p50Ms, expected[i]!)).toBe(true);
      expect(executor.starts).toBeGreaterThan(1);
    } finally {
      // Let the retired, blocked threads finish before the file ends.
      await new Promise((resolve) => setTimeout(resolve, HANG_MS));
      await inference.close();
    }
  }, 20_000);
});
