import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BatchExecutor } from '../../src/inference/execution/executor.ts';
import type { JobResult, PackedBatch } from '../../src/inference/index.ts';
import { BatchOutputs, type RowsPart } from '../../src/inference/packed-rows.ts';
import { DynamicBatcher } from '../../src/inference/scheduler/dynamic-batcher.ts';
import { OverloadedError } from '../../src/inference/scheduler/scheduler-errors.ts';
import { getValidSchedulerOptions, type SchedulerOptions } from '../../src/inference/scheduler/scheduler-options.ts';

/** One-value rows; output = 10 × input. Rows equal to -1 make the whole run throw (a poison row). */
class FakeExecutor implements BatchExecutor {
  readonly kind = 'main' as const;
  readonly runs: number[][] = [];
  gate: Promise<void> | undefined;
  failAll = false;

  async run(parts: readonly RowsPart[]): Promise<BatchOutputs> {
    const packed = parts.flatMap(({ rows, start, count }) =>
      Array.from((rows.inputs[0]!.data as Float32Array).subarray(start, start + count)),
    );
    this.runs.push(packed);
    // As concatenating does with a job of the wrong width (a caller's bug).
    if (parts.some(({ rows }) => rows.inputs[0]!.data.length !== rows.rows)) throw new RangeError('a job of the wrong width');
    if (this.gate) await this.gate;
    if (this.failAll || packed.includes(-1)) throw new Error('poison');
    return new BatchOutputs([Float32Array.from(packed, (v) => v * 10)], packed.length);
  }

  async close(): Promise<void> {}
}

const model = { name: 'm', version: 1, loadId: 1, executionProvider: 'cpu' };
/** A job of one-value rows, packed as a loader packs it. */
const rows = (...values: number[]): PackedBatch => ({
  rows: values.length,
  inputs: [{ name: 'x', dtype: 'float32', dims: [], data: Float32Array.from(values) }],
});
/** Each row's answer, or 'error' where its final run failed (the run's record says so). */
const values = (result: JobResult) =>
  Array.from(result.rowRun, (run, i) => (result.runs[run]!.failed ? 'error' : (result.outputs[0] as Float32Array)[i]));
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
    expect(values(a!)).toEqual([10, 20]);
    expect(values(b!)).toEqual([30]);
    expect(values(c!)).toEqual([40]);
    expect(a!.runs).toHaveLength(1);
    expect(a!.runs[0]).toMatchObject({ size: 4, requests: 2, items: 2, failed: false });
    expect(batcher.counters()).toMatchObject({ runs: 1, items: 4 });
  });

  it('answers each job in arrays of its own; a failed row reads its failure on its run', async () => {
    const { executor, batcher } = make();
    const [a, b, c] = await Promise.all([
      batcher.submit(rows(1, 2), { requestId: 'r1' }),
      batcher.submit(rows(3), { requestId: 'r2' }),
      batcher.submit(rows(4, -1, 5), { requestId: 'r3' }),
    ]);
    // The poison row fails the merged run; halving isolates it, so only its row fails.
    expect(executor.runs[0]).toEqual([1, 2, 3, 4, -1, 5]);
    expect(Array.from(a.outputs[0] as Float32Array)).toEqual([10, 20]);
    expect(a.outputs[0]!.buffer.byteLength).toBe(8);
    expect(values(b)).toEqual([30]);
    expect(Array.from(c.outputs[0] as Float32Array)).toEqual([40, 0, 50]);
    expect(values(c)).toEqual([40, 'error', 50]);
    expect(c.runs.at(-1)).toMatchObject({ failed: false });
    expect(c.runs[c.rowRun[1]!]).toMatchObject({ size: 1, failed: true, failure: 'Model "m" failed a run of 1 row(s): poison' });
    expect(c.runs[0]).toMatchObject({ size: 6, failed: true, failure: 'Model "m" failed a run of 6 row(s): poison' });
  });

  it('answers a job that was a run alone with the run’s own arrays (nothing copied)', async () => {
    const outputs: Float32Array[] = [];
    const executor = new FakeExecutor();
    const run = executor.run.bind(executor);
    executor.run = async (parts) => {
      const answer = await run(parts);
      outputs.push(answer.tensors[0] as Float32Array);
      return answer;
    };
    const batcher = new DynamicBatcher(model, executor);
    const result = await batcher.submit(rows(1, 2, 3), { requestId: 1 });
    expect(result.outputs[0]).toBe(outputs[0]);
    expect(values(result)).toEqual([10, 20, 30]);
  });

  it('never splits a job to fill a batch: a job that does not fit runs next, whole', async () => {
    const { executor, batcher } = make({ maxBatchSize: 4 });
    let open!: () => void;
    executor.gate = new Promise((resolve) => (open = resolve));
    const first = batcher.submit(rows(0), { requestId: 0 });
    await sleep(5); // the model is busy; three jobs queue behind it
    const queued = [
      batcher.submit(rows(1, 2, 3), { requestId: 1 }),
      batcher.submit(rows(4, 5), { requestId: 2 }),
      batcher.submit(rows(6), { requestId: 3 }),
    ];
    executor.gate = undefined;
    open();
    const results = await Promise.all([first, ...queued]);
    // [1, 2, 3] + [4] would fill the batch of 4 but cost request 2 two runs.
    expect(executor.runs).toEqual([[0], [1, 2, 3], [4, 5, 6]]);
    expect(results.map((r) => r.runs.length)).toEqual([1, 1, 1, 1]);
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
    expect(values(result)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
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
    expect(values(await batcher.submit(rows(6), { requestId: 4 }))).toEqual([60]);
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
    expect(values(good!)).toEqual([10, 20, 30]);
    expect(values(bad!)).toEqual(['error', 50]);
    expect(batcher.counters()).toMatchObject({ failedItems: 1 });
    expect(executor.runs[0]).toEqual([1, 2, 3, -1, 5]);
    const after = await batcher.submit(rows(7), { requestId: 3 });
    expect(values(after)).toEqual([70]);
  });

  it('fails every row of a run that always fails, with a bounded number of retries', async () => {
    const { executor, batcher } = make();
    executor.failAll = true;
    const result = await batcher.submit(rows(...Array.from({ length: 64 }, (_, i) => i)), { requestId: 1 });
    expect(values(result).every((v) => v === 'error')).toBe(true);
    expect(result.outputs).toEqual([]);
    // 1 run + an isolation budget of 4·log2(64) = 24 retries at most.
    expect(executor.runs.length).toBeLessThanOrEqual(25);
    executor.failAll = false;
    expect(values(await batcher.submit(rows(2), { requestId: 2 }))).toEqual([20]);
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
    expect(values(await pending)).toEqual([10]);
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
  it('fails a job the executor cannot take (wrong width) alone, instead of hanging, and keeps serving', async () => {
    const { executor, batcher } = make();
    const malformed: PackedBatch = { rows: 1, inputs: [{ name: 'x', dtype: 'float32', dims: [], data: Float32Array.of(1, 2) }] };
    const [bad, good] = await Promise.all([batcher.submit(malformed, { requestId: 1 }), batcher.submit(rows(3), { requestId: 2 })]);
    // The shared batch failed; its halves were run alone: only the bad job fails.
    expect(values(bad!)).toEqual(['error']);
    expect(values(good!)).toEqual([30]);
    expect(executor.runs).toEqual([[1, 3], [1], [3]]);
    expect(values(await batcher.submit(rows(4), { requestId: 3 }))).toEqual([40]);
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

describe('DynamicBatcher with text jobs (a sequence axis)', () => {
  /** A job of texts of these lengths (the ids themselves are the length, so the executor can tell the rows apart). */
  const texts = (...lengths: number[]): PackedBatch => ({
    rows: lengths.length,
    inputs: [{ name: 'x', dtype: 'float32', dims: [], data: Float32Array.from(lengths) }],
    lengths: Int32Array.from(lengths),
  });

  it('after the oldest job, takes the queued jobs no longer than the run, wherever they wait; the longer ones run next', async () => {
    const { executor, batcher } = make();
    let open!: () => void;
    executor.gate = new Promise((resolve) => (open = resolve));
    const first = batcher.submit(texts(5), { requestId: 0 });
    await sleep(5); // the model is busy; jobs of mixed lengths queue behind it
    const queued = [texts(10, 20), texts(100), texts(15), texts(90, 8), texts(20)].map((job, i) =>
      batcher.submit(job, { requestId: i + 1 }),
    );
    executor.gate = undefined;
    open();
    const results = await Promise.all([first, ...queued]);
    // [10, 20] leads: 15 and 20 join it; 100 leads the next run, and [90, 8] joins it.
    expect(executor.runs).toEqual([[5], [10, 20, 15, 20], [100, 90, 8]]);
    expect(results.map((r) => r.runs.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(results[1]!.runs[0]!.tokens).toEqual({ real: 65, padded: 80 });
  });

  it('splits a job larger than maxBatchTokens into runs within the budget, rows in order', async () => {
    const { executor, batcher } = make({ maxBatchTokens: 100 });
    const result = await batcher.submit(texts(30, 30, 30, 10, 60, 60), { requestId: 1 });
    // 3 × 30 = 90 fits 100; 10 then 60 would pad to 2 × 60 = 120: the 10 runs alone, then each 60.
    expect(executor.runs).toEqual([[30, 30, 30], [10], [60], [60]]);
    expect(result.runs.map((r) => r.tokens)).toEqual([
      { real: 90, padded: 90 },
      { real: 10, padded: 10 },
      { real: 60, padded: 60 },
      { real: 60, padded: 60 },
    ]);
  });
});
