import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BatchExecutor } from '../../src/inference/execution/executor.ts';
import type { EncodedRow, OutputRow } from '../../src/inference/index.ts';
import { BatchOutputs, isPacked, type RowsPart } from '../../src/inference/packed-rows.ts';
import { DynamicBatcher } from '../../src/inference/scheduler/dynamic-batcher.ts';
import { OverloadedError, RunFailedError } from '../../src/inference/scheduler/scheduler-errors.ts';
import { getValidSchedulerOptions, type SchedulerOptions } from '../../src/inference/scheduler/scheduler-options.ts';

/** One-value rows; output = 10 × input. Rows equal to -1 make the whole run throw (a poison row). */
class FakeExecutor implements BatchExecutor {
  readonly kind = 'main' as const;
  readonly runs: number[][] = [];
  gate: Promise<void> | undefined;
  failAll = false;

  async run(parts: readonly RowsPart[]): Promise<BatchOutputs> {
    const rows = parts.flatMap(({ rows, start, count }): EncodedRow[] =>
      isPacked(rows)
        ? Array.from({ length: count }, (_, r) => [(rows.inputs[0]!.data as Float32Array).subarray(start + r, start + r + 1)])
        : rows.slice(start, start + count),
    );
    const packed = rows.map((r) => (r[0] as Float32Array)[0]!);
    this.runs.push(packed);
    // As the row codec's pack does with a row of the wrong width (a caller's bug).
    if (rows.some((r) => r[0]!.length !== 1)) throw new RangeError('a row of the wrong width');
    if (this.gate) await this.gate;
    if (this.failAll || packed.includes(-1)) throw new Error('poison');
    return new BatchOutputs([Float32Array.from(packed, (v) => v * 10)], packed.length);
  }

  async close(): Promise<void> {}
}

const model = { name: 'm', executionProvider: 'cpu' };
const rows = (...values: number[]): EncodedRow[] => values.map((v) => [Float32Array.of(v)]);
const values = (outputs: (OutputRow | Error)[]) => outputs.map((o) => (o instanceof Error ? 'error' : (o[0] as Float32Array)[0]));
const make = (options: Partial<SchedulerOptions> = {}) => {
  const executor = new FakeExecutor();
  return { executor, batcher: new DynamicBatcher(model, executor, options) };
};

describe('DynamicBatcher', () => {
  it('merges jobs of different requests submitted in the same turn into one run', async () => {
    const { executor, batcher } = make();
    const [a, b, c] = await Promise.all([
      batcher.submit(rows(1, 2), { requestId: 'r1' }),
      batcher.submit(rows(3), { requestId: 'r2' }),
      batcher.submit(rows(4), { requestId: 'r1' }),
    ]);
    expect(executor.runs).toEqual([[1, 2, 3, 4]]);
    expect(values(a!.outputs)).toEqual([10, 20]);
    expect(values(b!.outputs)).toEqual([30]);
    expect(values(c!.outputs)).toEqual([40]);
    expect(a!.runs).toHaveLength(1);
    expect(a!.runs[0]).toMatchObject({ size: 4, requests: 2, items: 2, failed: false });
    expect(batcher.counters()).toMatchObject({ runs: 1, items: 4 });
  });

  it('merges packed jobs (a GraphQL thread’s) with row jobs, and answers them packed, in arrays of their own', async () => {
    const { executor, batcher } = make();
    const packed = (...v: number[]) => ({
      rows: v.length,
      inputs: [{ name: 'x', dtype: 'float32' as const, dims: [], data: Float32Array.from(v) }],
    });
    const [a, b, c] = await Promise.all([
      batcher.submit(packed(1, 2), { requestId: 'r1' }),
      batcher.submit(rows(3), { requestId: 'r2' }),
      batcher.submit(packed(4, -1, 5), { requestId: 'r3' }),
    ]);
    // The poison row fails the merged run; halving isolates it, so only its row fails.
    expect(executor.runs[0]).toEqual([1, 2, 3, 4, -1, 5]);
    expect(Array.from(a.outputs[0] as Float32Array)).toEqual([10, 20]);
    expect(a.outputs[0]!.buffer.byteLength).toBe(8);
    expect(a.failures).toBeUndefined();
    expect(values(b.outputs)).toEqual([30]);
    expect(Array.from(c.outputs[0] as Float32Array)).toEqual([40, 0, 50]);
    expect(Array.from(c.failures!, (e) => e instanceof RunFailedError)).toEqual([false, true, false]);
    expect(c.runs.at(-1)).toMatchObject({ failed: false });
    expect(c.runs[c.rowRun[1]!]).toMatchObject({ size: 1, failed: true });
  });

  it('runs each job alone when mergeRequests is false', async () => {
    const { executor, batcher } = make({ mergeRequests: false });
    await Promise.all([batcher.submit(rows(1, 2), { requestId: 1 }), batcher.submit(rows(3), { requestId: 2 })]);
    expect(executor.runs).toEqual([[1, 2], [3]]);
  });

  it('merges everything that queued while the model was busy into the next run', async () => {
    const { executor, batcher } = make();
    let open!: () => void;
    executor.gate = new Promise((resolve) => (open = resolve));
    const first = batcher.submit(rows(1), { requestId: 1 });
    await sleep(5); // the first run has started and is held
    const later = [2, 3, 4].map((v) => batcher.submit(rows(v), { requestId: v }));
    expect(batcher.queuedRows).toBe(3);
    executor.gate = undefined;
    open();
    await Promise.all([first, ...later]);
    expect(executor.runs).toEqual([[1], [2, 3, 4]]);
    const last = await later[2]!;
    expect(last.runs[0]!.requests).toBe(3);
    expect(last.runs[0]!.queueMs).toBeGreaterThan(0);
  });

  it('splits a job larger than maxBatchSize across runs, outputs in order', async () => {
    const { executor, batcher } = make({ maxBatchSize: 4 });
    const result = await batcher.submit(rows(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), { requestId: 1 });
    expect(executor.runs.map((r) => r.length)).toEqual([4, 4, 2]);
    expect(values(result.outputs)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(Array.from(result.rowRun)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
  });

  it('refuses at once with OverloadedError when the queue is full, and recovers', async () => {
    const { executor, batcher } = make({ maxQueueSize: 3 });
    let open!: () => void;
    executor.gate = new Promise((resolve) => (open = resolve));
    const running = batcher.submit(rows(1), { requestId: 1 });
    await sleep(5);
    const queued = batcher.submit(rows(2, 3), { requestId: 2 });
    const refused = batcher.submit(rows(4, 5), { requestId: 3 });
    await expect(refused).rejects.toBeInstanceOf(OverloadedError);
    await expect(refused).rejects.toMatchObject({ reason: 'queue-full' });
    await expect(refused).rejects.toThrow('Model "m" is overloaded: 2 row(s) are queued and 2 more would pass maxQueueSize 3.');
    executor.gate = undefined;
    open();
    await Promise.all([running, queued]);
    expect(values((await batcher.submit(rows(6), { requestId: 4 })).outputs)).toEqual([60]);
    expect(batcher.counters().refusedJobs).toBe(1);
  });

  it('refuses a job that waited longer than queueTimeoutMs', async () => {
    const { executor, batcher } = make({ queueTimeoutMs: 20 });
    let open!: () => void;
    executor.gate = new Promise((resolve) => (open = resolve));
    const running = batcher.submit(rows(1), { requestId: 1 });
    await sleep(5);
    const waiting = batcher.submit(rows(2), { requestId: 2 });
    await expect(waiting).rejects.toMatchObject({ name: 'OverloadedError', reason: 'queue-timeout' });
    expect(batcher.queuedRows).toBe(0);
    executor.gate = undefined;
    open();
    await running;
    expect(executor.runs).toEqual([[1]]);
  });

  it('fails only the poison row of a merged run and keeps serving', async () => {
    const { executor, batcher } = make();
    const [good, bad] = await Promise.all([batcher.submit(rows(1, 2, 3), { requestId: 1 }), batcher.submit(rows(-1, 5), { requestId: 2 })]);
    expect(values(good!.outputs)).toEqual([10, 20, 30]);
    expect(values(bad!.outputs)).toEqual(['error', 50]);
    expect(bad!.outputs[0]).toBeInstanceOf(RunFailedError);
    expect(batcher.counters()).toMatchObject({ failedItems: 1 });
    expect(executor.runs[0]).toEqual([1, 2, 3, -1, 5]);
    const after = await batcher.submit(rows(7), { requestId: 3 });
    expect(values(after.outputs)).toEqual([70]);
  });

  it('fails every row of a run that always fails, with a bounded number of retries', async () => {
    const { executor, batcher } = make();
    executor.failAll = true;
    const result = await batcher.submit(rows(...Array.from({ length: 64 }, (_, i) => i)), { requestId: 1 });
    expect(result.outputs.every((o) => o instanceof RunFailedError)).toBe(true);
    // 1 run + an isolation budget of 4·log2(64) = 24 retries at most.
    expect(executor.runs.length).toBeLessThanOrEqual(25);
    executor.failAll = false;
    expect(values((await batcher.submit(rows(2), { requestId: 2 })).outputs)).toEqual([20]);
  });

  it('waits up to maxQueueDelayMs for more work when asked', async () => {
    const { executor, batcher } = make({ maxQueueDelayMs: 300 });
    const first = batcher.submit(rows(1), { requestId: 1 });
    await sleep(20);
    const second = batcher.submit(rows(2), { requestId: 2 });
    await Promise.all([first, second]);
    expect(executor.runs).toEqual([[1, 2]]);
  });

  it('finishes queued work on close, then refuses new jobs', async () => {
    const { executor, batcher } = make();
    const pending = batcher.submit(rows(1), { requestId: 1 });
    await batcher.close();
    expect(values((await pending).outputs)).toEqual([10]);
    expect(executor.runs).toEqual([[1]]);
    await expect(batcher.submit(rows(2), { requestId: 2 })).rejects.toMatchObject({ reason: 'shutting-down' });
  });
});

describe('getValidSchedulerOptions', () => {
  it.each([
    [{ maxBatchSize: 0 }, 'maxBatchSize must be a positive integer, but got: 0'],
    [{ maxBatchSize: 1.5 }, 'maxBatchSize must be a positive integer, but got: 1.5'],
    [{ maxQueueSize: -1 }, 'maxQueueSize must be a positive integer, but got: -1'],
    [{ maxQueueDelayMs: -1 }, 'maxQueueDelayMs must be a non-negative finite number of milliseconds, but got: -1'],
    [{ queueTimeoutMs: Number.NaN }, 'queueTimeoutMs must be a non-negative finite number of milliseconds, but got: NaN'],
  ])('refuses %j', (options, message) => {
    expect(() => getValidSchedulerOptions(options as Partial<SchedulerOptions>)).toThrow(message);
  });
});

describe('DynamicBatcher never leaves a job waiting', () => {
  it('fails a row the executor cannot take (wrong width) alone, instead of hanging, and keeps serving', async () => {
    const { executor, batcher } = make();
    const [bad, good] = await Promise.all([
      batcher.submit([[Float32Array.of(1, 2)]], { requestId: 1 }),
      batcher.submit(rows(3), { requestId: 2 }),
    ]);
    // The shared batch failed; its halves were run alone: only the bad row fails.
    expect(bad!.outputs[0]).toBeInstanceOf(RunFailedError);
    expect(values(good!.outputs)).toEqual([30]);
    expect(executor.runs).toEqual([[1, 3], [1], [3]]);
    expect(values((await batcher.submit(rows(4), { requestId: 3 })).outputs)).toEqual([40]);
  });

  it('lets a pending close() finish when a queued job times out behind a busy model', async () => {
    const { executor, batcher } = make({ queueTimeoutMs: 10 });
    let open!: () => void;
    executor.gate = new Promise((resolve) => (open = resolve));
    const running = batcher.submit(rows(1), { requestId: 1 });
    await new Promise((resolve) => setImmediate(resolve)); // the first job is in its (held) run
    const waiting = batcher.submit(rows(2), { requestId: 2 });
    const closed = batcher.close(); // waits for the run and the queue
    await expect(waiting).rejects.toMatchObject({ reason: 'queue-timeout' });
    open();
    await running;
    await closed;
    expect(executor.runs).toEqual([[1]]);
  });

  it('flush() runs what waits for maxQueueDelayMs now, and stops waiting from then on', async () => {
    const { executor, batcher } = make({ maxQueueDelayMs: 60_000 });
    const first = batcher.submit(rows(1), { requestId: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(executor.runs).toEqual([]); // waiting for more work
    batcher.flush();
    await first;
    await batcher.submit(rows(2), { requestId: 2 });
    expect(executor.runs).toEqual([[1], [2]]);
  });

  it('runs a full batch at once instead of waiting out maxQueueDelayMs', async () => {
    const { executor, batcher } = make({ maxQueueDelayMs: 60_000, maxBatchSize: 3 });
    const first = batcher.submit(rows(1), { requestId: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.submit(rows(2, 3), { requestId: 2 });
    await Promise.all([first, second]);
    expect(executor.runs).toEqual([[1, 2, 3]]);
  });
});
