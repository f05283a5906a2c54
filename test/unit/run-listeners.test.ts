/** InferenceService.onRun: observers of every run (metrics, tracing) subscribe and unsubscribe, and cannot break serving. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InferenceService } from '../../src/inference/inference-service.ts';
import { ModelRegistry } from '../../src/inference/registry.ts';
import type { RunObservation } from '../../src/inference/scheduler/dynamic-batcher.ts';
import { FakeModel } from './fake-model.ts';

const fake = new FakeModel('m');
const row = (a: number, b: number) => [Float32Array.from([a, b])];
/** A job of rows of the fake model, packed as a loader packs it. */
const job = (...rows: Float32Array[][]) => fake.codec.pack(rows);

afterEach(() => vi.restoreAllMocks());

describe('InferenceService.onRun', () => {
  it("hands each listener every run with its jobs' opaque trace contexts, until unsubscribed", async () => {
    const service = InferenceService.inThread(new ModelRegistry([new FakeModel('m')]));
    const seen: RunObservation[] = [];
    const unsubscribe = service.onRun((run) => seen.push(run));
    const a = { request: 'a' };
    const b = { request: 'b' };
    await Promise.all([
      service.predict(service.registry.get('m')!, job(row(1, 2)), { requestId: 1, traceContext: a }),
      service.predict(service.registry.get('m')!, job(row(3, 4), row(5, 6)), { requestId: 2, traceContext: b }),
      service.predict(service.registry.get('m')!, job(row(7, 8)), { requestId: 2, traceContext: b }),
    ]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ model: 'm', size: 4, requests: 2, traceContexts: [a, b] });
    expect(seen[0]!.queueMs).toHaveLength(3);
    expect(seen[0]!.startedAtMs).toBeGreaterThan(0);
    unsubscribe();
    await service.predict(service.registry.get('m')!, job(row(1, 1)), { requestId: 3 });
    expect(seen).toHaveLength(1);
  });

  it('logs what a listener throws and still answers the jobs', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const service = InferenceService.inThread(new ModelRegistry([new FakeModel('m')]));
    service.onRun(() => {
      throw new Error('observer bug');
    });
    const result = await service.predict(service.registry.get('m')!, job(row(1, 2)), { requestId: 1 });
    expect(Array.from(result.outputs[0] as Float32Array)).toEqual([3, 6]);
    expect(error).toHaveBeenCalledWith('predictql: a run listener failed on model "m"', expect.any(Error));
  });
});
