/**
 * The prediction channel between a GraphQL thread and the owner (src/threads/), both ends in one
 * thread over a real MessageChannel: jobs of two "threads" merge into one run of the owner's
 * batcher, each gets its own rows back (in buffers of its own), failed runs fail only their rows,
 * refusals keep their code, and the report's times stay on the requester's clock.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import {
  type EncodedRow,
  InferenceService,
  ModelRegistry,
  type ModelView,
  modelViewData,
  modelViewOf,
  type OutputRow,
} from '../../src/inference/index.ts';
import { InferenceRecorder } from '../../src/inference-report/inference-report.ts';
import { servePredictions } from '../../src/threads/prediction-bridge.ts';
import { RemotePredictor } from '../../src/threads/remote-predictor.ts';
import { FakeModel } from './fake-model.ts';
import { load, loadersWith } from './loaders-by-name.ts';

const row = (...values: number[]): EncodedRow => [Float32Array.from(values)];
const first = (o: OutputRow) => Array.from(o[0] as Float32Array);
const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

/** A GraphQL "thread" numbered `thread`: model views only, its jobs served by `service`. */
function remote(service: InferenceService, thread: number): { predictor: RemotePredictor; models: ModelRegistry<ModelView> } {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  servePredictions(port1, service);
  const models = new ModelRegistry<ModelView>(service.registry.list().map((m) => modelViewOf(structuredClone(modelViewData(m)))));
  return { predictor: new RemotePredictor(port2, thread), models };
}

describe('RemotePredictor over a MessagePort to the owner', () => {
  it('merges the jobs of two threads into one run of the owner, each answered with its own rows', async () => {
    const model = new FakeModel('a');
    const service = await InferenceService.create(new ModelRegistry([model]), { defaultExecutor: 'main' });
    const [one, two] = [remote(service, 1), remote(service, 2)];
    const reports = [new InferenceRecorder(), new InferenceRecorder()];
    const loaders = [loadersWith({ ...one, report: reports[0] }), loadersWith({ ...two, report: reports[1] })];
    const answers = await Promise.all([
      load(loaders[0]!, 'a', row(1, 2)),
      load(loaders[0]!, 'a', row(3, 4)),
      load(loaders[1]!, 'a', row(5, 6)),
    ]);
    expect(answers.map(first)).toEqual([
      [3, 6],
      [7, 14],
      [11, 22],
    ]);
    expect(model.batches).toEqual([[1, 3, 5]]);
    // Each answer owns its buffer: the run's tensor (3 rows) stayed in the owner.
    expect(answers.map((a) => a[0]!.buffer.byteLength)).toEqual([16, 16, 8]);
    expect(reports[0]!.report().batches[0]).toMatchObject({ size: 3, items: 2, requests: 2, loads: 2 });
    expect(reports[1]!.report().batches[0]).toMatchObject({ size: 3, items: 1, requests: 2, loads: 1 });
    expect(service.counters('a')).toMatchObject({ runs: 1, items: 3 });
    expect(one.predictor.pending + two.predictor.pending).toBe(0);
  });

  it('counts two requests of one thread as two, and one request with jobs for two models once per run', async () => {
    const model = new FakeModel('a');
    const service = await InferenceService.create(new ModelRegistry([model]), { defaultExecutor: 'main' });
    const predictor = remote(service, 7);
    const reports = [new InferenceRecorder(), new InferenceRecorder()];
    await Promise.all(reports.map((report, i) => load(loadersWith({ ...predictor, report }), 'a', row(i, 0))));
    expect(model.batches).toEqual([[0, 1]]);
    expect(reports.map((r) => r.report().batches[0]!.requests)).toEqual([2, 2]);
  });

  it('puts the run on the requester’s timeline: it starts after the job was queued, and ends computeMs later', async () => {
    const model = new FakeModel('a');
    const service = await InferenceService.create(new ModelRegistry([model]), { defaultExecutor: 'main' });
    const report = new InferenceRecorder({ requestStartedAtMs: performance.now() });
    await load(loadersWith({ ...remote(service, 1), report }), 'a', row(1, 1));
    const batch = report.report().batches[0]!;
    expect(batch.queuedAtMs).toBeGreaterThanOrEqual(0);
    expect(batch.startedAtMs).toBeGreaterThanOrEqual(batch.queuedAtMs);
    expect(batch.endedAtMs).toBeCloseTo(batch.startedAtMs + batch.computeMs, 2);
  });

  it('fails only the rows of a failed run with INFERENCE_FAILED, logging the cause once', async () => {
    const model = new FakeModel('a');
    const service = await InferenceService.create(new ModelRegistry([model]), { defaultExecutor: 'main' });
    const logged: unknown[] = [];
    const loaders = loadersWith({ ...remote(service, 1), logError: (_m, e) => logged.push(e) });
    model.failNext = true;
    const settled = await Promise.allSettled([load(loaders, 'a', row(1, 1))]);
    const error = (settled[0] as PromiseRejectedResult).reason as { extensions: { code: string } };
    expect(error.extensions.code).toBe(ErrorCode.INFERENCE_FAILED);
    expect(logged).toHaveLength(1);
    expect(String((logged[0] as Error).message)).toContain('secret internal failure text');
    expect(first(await load(loaders, 'a', row(2, 2)))[0]).toBe(4);
  });

  it('answers a refusal of the owner (queue full) with OVERLOADED, and an unknown model at once', async () => {
    const model = new FakeModel('a');
    const service = await InferenceService.create(new ModelRegistry([model]), { defaultExecutor: 'main', scheduler: { maxQueueSize: 1 } });
    const loaders = loadersWith({ ...remote(service, 1) });
    const settled = await Promise.allSettled([load(loaders, 'a', row(1, 1)), load(loaders, 'a', row(2, 2))]);
    const error = (settled[0] as PromiseRejectedResult).reason as { extensions: { code: string } };
    expect(error.extensions.code).toBe(ErrorCode.OVERLOADED);
    expect(service.counters('a')).toMatchObject({ runs: 0, refusedItems: 2 });
    const job = model.codec.pack([row(1, 1)]);
    await expect(
      remote(service, 1).predictor.predict({ manifest: { name: 'nope' }, version: 1, loadId: -1 }, job, { requestId: 1 }),
    ).rejects.toThrow('No model named "nope" is served in version 1.');
  });

  it('refuses what is pending when the owner closes the channel, and what comes after, as OVERLOADED shutting-down', async () => {
    const model = new FakeModel('a');
    const service = await InferenceService.create(new ModelRegistry([model]), { defaultExecutor: 'main' });
    const { predictor } = remote(service, 1);
    const job = model.codec.pack([row(1, 1)]);
    // Posted, then the channel closes before the owner's answer can come back.
    const pending = predictor.predict(model, job, { requestId: 1 });
    for (const port of ports) port.close();
    await expect(pending).rejects.toMatchObject({ name: 'OverloadedError', reason: 'shutting-down' });
    await expect(predictor.predict(model, job, { requestId: 2 })).rejects.toMatchObject({ reason: 'shutting-down' });
  });
});
