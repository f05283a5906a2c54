import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { type EncodedRow, InferenceService, ModelRegistry, type OutputRow, rowKey } from '../../src/inference/index.ts';
import { InferenceRecorder } from '../../src/inference-report/inference-report.ts';
import { FakeModel } from './fake-model.ts';
import { load, loadersWith, peek, prime } from './loaders-by-name.ts';

const row = (...values: number[]): EncodedRow => [Float32Array.from(values)];
const first = (o: OutputRow) => Array.from(o[0] as Float32Array);
const service = (...models: FakeModel[]) => InferenceService.create(new ModelRegistry(models), { defaultExecutor: 'main' });
const unmergedService = (...models: FakeModel[]) =>
  InferenceService.create(new ModelRegistry(models), { defaultExecutor: 'main', scheduler: { mergeRequests: false } });
/** The loaders' predictor and the models it serves. */
const served = (predictor: InferenceService) => ({ predictor, models: predictor.registry });

describe('PredictionLoaders', () => {
  it('merges loads made in the same tick into one run per model, in order', async () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const loaders = loadersWith({ ...served(await service(a, b)) });
    const results = await Promise.all([load(loaders, 'a', row(1, 2)), load(loaders, 'b', row(3, 4)), load(loaders, 'a', row(5, 6))]);
    expect(results.map(first)).toEqual([
      [3, 6],
      [7, 14],
      [11, 22],
    ]);
    expect(a.batches).toEqual([[1, 5]]);
    expect(b.batches).toEqual([[3]]);
  });

  it('puts a list’s primed rows and the loads of the same tick in one job, answering each', async () => {
    const a = new FakeModel('a');
    const predictor = await service(a);
    const jobs: number[] = [];
    const counting = {
      predict: (...args: Parameters<InferenceService['predict']>) => {
        jobs.push(args[1].rows);
        return predictor.predict(...args);
      },
    };
    const loaders = loadersWith({ predictor: counting, models: predictor.registry });
    const page = [row(1, 1), row(2, 2), row(3, 3)];
    const [primed, loaded] = await Promise.all([
      prime(loaders, 'a', page, page.map(rowKey)),
      load(loaders, 'a', row(4, 4)),
      // A second list of the same tick, repeating a row of the first: one row for both.
      prime(loaders, 'a', [row(5, 5), row(1, 1)], [rowKey(row(5, 5)), rowKey(row(1, 1))]),
    ]);
    expect(primed).toBeDefined();
    expect(jobs).toEqual([5]);
    // DataLoader's keys first (each list's first new row, the field's), then the rows riding with them.
    expect(a.batches).toEqual([[1, 4, 5, 2, 3]]);
    expect(first(loaded as OutputRow)).toEqual([8, 16]);
    expect(page.map((r) => first(peek(loaders, 'a', rowKey(r))!))).toEqual([
      [2, 4],
      [4, 8],
      [6, 12],
    ]);
    // A field asking for a primed row while its job runs gets the same answer, no second job.
    expect(first(await load(loaders, 'a', row(2, 2)))).toEqual([4, 8]);
    expect(jobs).toEqual([5]);
  });

  it('asks for identical rows once and answers every load', async () => {
    const a = new FakeModel('a');
    const trace = new InferenceRecorder();
    const loaders = loadersWith({ ...served(await service(a)), report: trace });
    const results = await Promise.all([1, 2, 3].map((i) => load(loaders, 'a', row(1, 1), `x${i}`)));
    expect(results.every((r) => first(r)[0] === 2)).toBe(true);
    expect(a.batches).toEqual([[1]]);
    // A repeat after the run is a cache hit, reported against the batch that served it.
    await load(loaders, 'a', row(1, 1), 'late');
    expect(a.batches).toHaveLength(1);
    const report = trace.report();
    expect(report.batches).toHaveLength(1);
    expect(report.batches[0]).toMatchObject({ model: 'a', size: 1, loads: 4, paths: ['x1', 'x2', 'x3', 'late'] });
  });

  it('runs once per load in per-field mode (the naive baseline)', async () => {
    const a = new FakeModel('a');
    const loaders = loadersWith({ ...served(await unmergedService(a)), batch: false });
    await Promise.all([row(1, 0), row(2, 0), row(3, 0)].map((r) => load(loaders, 'a', r)));
    expect(a.batches).toEqual([[1], [2], [3]]);
  });

  it('fails only the loads of a failed run with INFERENCE_FAILED, hiding the cause, and serves later loads', async () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const logged: unknown[] = [];
    const trace = new InferenceRecorder();
    const loaders = loadersWith({ ...served(await service(a, b)), report: trace, logError: (_m, e) => logged.push(e) });
    a.failNext = true;
    const settled = await Promise.allSettled([load(loaders, 'a', row(1, 1)), load(loaders, 'b', row(2, 2))]);
    expect(settled[0]).toMatchObject({ status: 'rejected' });
    const error = (settled[0] as PromiseRejectedResult).reason as { message: string; extensions: { code: string } };
    expect(error.extensions.code).toBe(ErrorCode.INFERENCE_FAILED);
    expect(error.message).not.toContain('secret');
    expect(settled[1]).toMatchObject({ status: 'fulfilled' });
    expect(logged).toHaveLength(1);
    expect(trace.report().totals).toMatchObject({ batches: 2, failedBatches: 1 });
    expect(a.batches).toEqual([[1]]); // a one-row run that failed: nothing to isolate
    const later = await load(loaders, 'a', row(7, 7));
    expect(first(later)[0]).toBe(14);
  });

  it('keeps loaders of different requests apart', async () => {
    const a = new FakeModel('a');
    const predictor = await service(a);
    const firstTrace = new InferenceRecorder();
    const first = loadersWith({ ...served(predictor), report: firstTrace });
    const second = loadersWith({ ...served(predictor) });
    await Promise.all([load(first, 'a', row(1, 0)), load(second, 'a', row(1, 0))]);
    // Same row, different requests: no shared cache, so two rows; the scheduler merges them into one run.
    expect(a.batches).toEqual([[1, 1]]);
    expect(firstTrace.report().batches[0]).toMatchObject({ size: 2, items: 1, requests: 2, loads: 1 });
  });
});
