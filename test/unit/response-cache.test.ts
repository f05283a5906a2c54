/**
 * The response cache without a model: a fake submit answers a job row by row (a pure function of
 * each row, as a model version is) and records the jobs it got. Hits skip the run, only missing
 * rows are submitted and merged back in order, failed rows are not cached, eviction is by bytes
 * (the accounting is exact), keys are per model version, and a text's ragged ids split differently
 * never collide.
 */
import { describe, expect, it } from 'vitest';
import type { EncodedRow, JobResult, LayoutTensor, PackedBatch, RunRecord } from '../../src/inference/index.ts';
import { packRows } from '../../src/inference/packed-rows.ts';
import {
  type CachedModel,
  type CachedRunRecord,
  cachePrefix,
  ENTRY_OVERHEAD_BYTES,
  predictThroughCache,
  ResponseCache,
} from '../../src/inference/response-cache.ts';

const tabular: LayoutTensor[] = [
  { name: 'x', dtype: 'float32', dims: [2], width: 2 },
  { name: 'plan', dtype: 'int64', dims: [], width: 1 },
  { name: 'country', dtype: 'string', dims: [1], width: 1 },
];
const text: LayoutTensor[] = [
  { name: 'input_ids', dtype: 'int64', dims: [], width: 1, sequence: { fill: 'ids', pad: 0 } },
  { name: 'attention_mask', dtype: 'int64', dims: [], width: 1, sequence: { fill: 'mask' } },
  { name: 'lang', dtype: 'int32', dims: [], width: 1 },
];

const model = (version = 2, inputs = tabular): CachedModel => ({
  name: 'churn',
  version,
  prefix: cachePrefix('churn', version, version),
  inputs,
});
/** A tabular row; x0 = -1 makes its run fail (a poison row). */
const row = (x0: number, x1: number, plan: number, country = 'de'): EncodedRow => [
  Float32Array.of(x0, x1),
  BigInt64Array.of(BigInt(plan)),
  [country],
];
const textRow = (ids: number[], lang = 0): EncodedRow => [BigInt64Array.from(ids, BigInt), new BigInt64Array(0), Int32Array.of(lang)];
const A = row(1, 2, 3);
const B = row(4, 5, 6, 'fr');
const C = row(7, 8, 9);
const D = row(10, 11, 12, 'fr');
const P = row(-1, 0, 0);

const record = (items: number, failed: boolean): RunRecord => ({
  runId: failed ? 2 : 1,
  model: 'churn',
  version: 2,
  size: items,
  requests: 1,
  items,
  queueMs: 1,
  startedAtMs: 0,
  computeMs: 2,
  executor: 'main',
  executionProvider: 'cpu',
  failed,
  ...(failed ? { failure: 'poison' } : {}),
});

/**
 * The model's answer to a job, as a Job settles it: "score" [sum of x + plan, 10 × x0 + the
 * country's length] and "class" [plan mod 3] per row; a poison row's final run failed (zeros).
 * No row answered: no arrays.
 */
function directRun(job: PackedBatch): JobResult {
  const x = job.inputs[0]!.data as Float32Array;
  const plan = job.inputs[1]!.data as BigInt64Array;
  const country = job.inputs[2]!.data as string[];
  const score = new Float32Array(job.rows * 2);
  const klass = new Int32Array(job.rows);
  const rowRun = new Int32Array(job.rows);
  for (let r = 0; r < job.rows; r++) {
    if (x[r * 2] === -1) {
      rowRun[r] = 1;
      continue;
    }
    score[r * 2] = x[r * 2]! + x[r * 2 + 1]! + Number(plan[r]);
    score[r * 2 + 1] = 10 * x[r * 2]! + country[r]!.length;
    klass[r] = Number(plan[r]) % 3;
  }
  const failed = rowRun.filter((run) => run === 1).length;
  return {
    outputs: failed === job.rows ? [] : [score, klass],
    runs: [record(job.rows - failed, false), record(failed, true)],
    rowRun,
  };
}

/** A text model's answer: [tokens, sum of ids + 100 × lang] per row. */
function directTextRun(job: PackedBatch): JobResult {
  const ids = job.inputs[0]!.data as BigInt64Array;
  const lang = job.inputs[2]!.data as Int32Array;
  const out = new Float32Array(job.rows * 2);
  let at = 0;
  for (let r = 0; r < job.rows; r++) {
    const n = job.lengths![r]!;
    let sum = 0;
    for (let k = 0; k < n; k++) sum += Number(ids[at + k]);
    at += n;
    out[r * 2] = n;
    out[r * 2 + 1] = sum + 100 * lang[r]!;
  }
  return { outputs: [out], runs: [record(job.rows, false)], rowRun: new Int32Array(job.rows) };
}

/** A submit that records the jobs it got. */
function fakeSubmit(run = directRun) {
  const jobs: PackedBatch[] = [];
  const submit = async (job: PackedBatch): Promise<JobResult> => {
    jobs.push(job);
    return run(job);
  };
  return { jobs, submit };
}

/** A tabular job's rows as plain values, to compare sub-jobs. */
const rowsOf = (job: PackedBatch) =>
  Array.from({ length: job.rows }, (_, r) => [
    ...(job.inputs[0]!.data as Float32Array).subarray(r * 2, r * 2 + 2),
    Number((job.inputs[1]!.data as BigInt64Array)[r]),
    (job.inputs[2]!.data as string[])[r],
  ]);

/** What one tabular entry counts: its key (prefix, x's 8 bytes, plan's 8, the country's JSON), its answer's 12 bytes, the overhead. */
const entryBytes = (version = 2) =>
  cachePrefix('churn', version, version).length + 8 + 8 + JSON.stringify(['de']).length + 12 + ENTRY_OVERHEAD_BYTES;

describe('the response cache', () => {
  it('answers rows it holds without a run, in the job order', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const { jobs, submit } = fakeSubmit();
    const first = packRows(tabular, [A, B]);
    await predictThroughCache(cache, model(), first, submit);
    // Nothing hit: the job itself went to the model, no copy.
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toBe(first);
    const again = packRows(tabular, [B, A]);
    const result = await predictThroughCache(cache, model(), again, submit);
    expect(jobs).toHaveLength(1);
    expect(result.outputs).toEqual(directRun(again).outputs);
    expect(result.runs).toHaveLength(1);
    expect(Array.from(result.rowRun)).toEqual([0, 0]);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, insertions: 2, entries: 2, evictions: 0 });
  });

  it('submits only the missing rows, packed as a job, and merges their answers back', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const { jobs, submit } = fakeSubmit();
    await predictThroughCache(cache, model(), packRows(tabular, [C, A]), submit);
    const job = packRows(tabular, [A, B, C, D]);
    const result = await predictThroughCache(cache, model(), job, submit);
    expect(jobs).toHaveLength(2);
    expect(rowsOf(jobs[1]!)).toEqual([
      [4, 5, 6, 'fr'],
      [10, 11, 12, 'fr'],
    ]);
    expect(jobs[1]).toEqual(packRows(tabular, [B, D]));
    expect(result.outputs).toEqual(directRun(job).outputs);
    // The run's records first, then the cached rows' one.
    expect(result.runs).toHaveLength(3);
    expect(result.runs.slice(0, 2)).toEqual(directRun(jobs[1]!).runs);
    expect(Array.from(result.rowRun)).toEqual([2, 0, 2, 0]);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 4, insertions: 4, entries: 4 });
  });

  it('points cached rows at one synthetic record: no run, no time', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const { submit } = fakeSubmit();
    await predictThroughCache(cache, model(), packRows(tabular, [A, C]), submit);
    const before = performance.now();
    const result = await predictThroughCache(cache, model(), packRows(tabular, [A, B, C]), submit);
    const cached = result.runs.at(-1) as CachedRunRecord;
    expect(cached).toEqual({
      runId: -1,
      model: 'churn',
      version: 2,
      size: 2,
      requests: 1,
      items: 2,
      queueMs: 0,
      startedAtMs: expect.any(Number),
      computeMs: 0,
      executor: 'cache',
      executionProvider: 'cache',
      failed: false,
      cached: true,
    });
    expect(cached.startedAtMs).toBeGreaterThanOrEqual(before);
    expect(result.runs.filter((run) => (run as Partial<CachedRunRecord>).cached)).toHaveLength(1);
  });

  it('keeps duplicate rows of one job correct', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const { jobs, submit } = fakeSubmit();
    const job = packRows(tabular, [A, A, B]);
    expect((await predictThroughCache(cache, model(), job, submit)).outputs).toEqual(directRun(job).outputs);
    expect(cache.stats()).toMatchObject({ entries: 2, insertions: 3, bytes: 2 * entryBytes() });
    const again = packRows(tabular, [B, A, A]);
    expect((await predictThroughCache(cache, model(), again, submit)).outputs).toEqual(directRun(again).outputs);
    expect(jobs).toHaveLength(1);
  });

  it('does not cache the rows of failed runs', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const { jobs, submit } = fakeSubmit();
    const job = packRows(tabular, [A, P, B]);
    await predictThroughCache(cache, model(), job, submit);
    expect(cache.stats()).toMatchObject({ insertions: 2, entries: 2 });
    const result = await predictThroughCache(cache, model(), job, submit);
    expect(rowsOf(jobs[1]!)).toEqual([[-1, 0, 0, 'de']]);
    // The sub-job's every row failed: its answer has no arrays; the row holds zeros and reads its failure.
    expect(result.outputs).toEqual(directRun(job).outputs);
    expect(result.runs[result.rowRun[1]!]).toMatchObject({ failed: true, failure: 'poison' });
    expect(result.runs[result.rowRun[0]!]).toMatchObject({ cached: true, items: 2 });
    expect(cache.stats()).toMatchObject({ insertions: 2, entries: 2, hits: 2, misses: 4 });
  });

  it('evicts the least recently used rows by bytes, counted exactly', async () => {
    const entry = entryBytes();
    const cache = new ResponseCache({ maxBytes: 3 * entry - 1 });
    const { jobs, submit } = fakeSubmit();
    await predictThroughCache(cache, model(), packRows(tabular, [A, B]), submit);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 2 * entry });
    // A is used again: B is now the least recently used, and C's entry does not fit beside both.
    await predictThroughCache(cache, model(), packRows(tabular, [A]), submit);
    await predictThroughCache(cache, model(), packRows(tabular, [C]), submit);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 2 * entry, evictions: 1, insertions: 3 });
    await predictThroughCache(cache, model(), packRows(tabular, [A, B, C]), submit);
    expect(rowsOf(jobs.at(-1)!)).toEqual([[4, 5, 6, 'fr']]);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 2 * entry, evictions: 2 });
  });

  it('is disabled by maxBytes 0: every row is submitted, nothing is counted', async () => {
    const cache = new ResponseCache({ maxBytes: 0 });
    const { jobs, submit } = fakeSubmit();
    const job = packRows(tabular, [A, B]);
    await predictThroughCache(cache, model(), job, submit);
    const result = await predictThroughCache(cache, model(), job, submit);
    expect(jobs).toEqual([job, job]);
    expect(jobs[1]).toBe(job);
    expect(result).toEqual(directRun(job));
    expect(cache.enabled).toBe(false);
    expect(cache.insert('k', [Float32Array.of(1)])).toBe(false);
    expect(cache.stats()).toEqual({ maxBytes: 0, bytes: 0, entries: 0, hits: 0, misses: 0, insertions: 0, evictions: 0, invalidated: 0 });
  });

  it('does not store an entry larger than maxBytes', async () => {
    const entry = entryBytes();
    const small = new ResponseCache({ maxBytes: entry - 1 });
    const { jobs, submit } = fakeSubmit();
    const job = packRows(tabular, [A]);
    await predictThroughCache(small, model(), job, submit);
    await predictThroughCache(small, model(), job, submit);
    expect(jobs).toHaveLength(2);
    expect(small.stats()).toMatchObject({ entries: 0, bytes: 0, insertions: 0, evictions: 0, misses: 2 });
    // One that fits exactly is stored.
    const exact = new ResponseCache({ maxBytes: 40 + 8 + ENTRY_OVERHEAD_BYTES });
    expect(exact.insert('k'.repeat(41), [Float32Array.of(1, 2)])).toBe(false);
    expect(exact.insert('k'.repeat(40), [Float32Array.of(1, 2)])).toBe(true);
    expect(exact.stats()).toMatchObject({ entries: 1, bytes: 40 + 8 + ENTRY_OVERHEAD_BYTES });
    expect(exact.lookup('k'.repeat(40))!.values()).toEqual([Float32Array.of(1, 2)]);
  });

  it('keeps every model version apart; invalidate drops only its rows', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const { jobs, submit } = fakeSubmit();
    const job = packRows(tabular, [A, B]);
    for (const version of [1, 12, 2]) await predictThroughCache(cache, model(version), job, submit);
    // Same rows, another version: never a hit.
    expect(jobs).toHaveLength(3);
    await predictThroughCache(cache, model(3), job, submit);
    expect(jobs).toHaveLength(4);
    expect(cache.stats()).toMatchObject({ hits: 0, entries: 8 });
    // "churn@1\0" is no prefix of "churn@12\0": version 12 keeps its rows.
    expect(cache.invalidate(cachePrefix('churn', 1, 1))).toBe(2);
    expect(cache.stats()).toMatchObject({ entries: 6, invalidated: 2, bytes: 4 * entryBytes() + 2 * entryBytes(12) });
    await predictThroughCache(cache, model(1), job, submit);
    expect(jobs).toHaveLength(5);
    await predictThroughCache(cache, model(12), job, submit);
    await predictThroughCache(cache, model(2), job, submit);
    expect(jobs).toHaveLength(5);
    expect(cache.stats()).toMatchObject({ hits: 4 });
  });

  it('does not insert answers of a run during which a version was invalidated', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const job = packRows(tabular, [A]);
    await predictThroughCache(cache, model(1), job, async (j) => {
      cache.invalidate(cachePrefix('churn', 1, 1));
      return directRun(j);
    });
    expect(cache.stats()).toMatchObject({ insertions: 0, entries: 0 });
  });

  it('keys a text row by its own ids: rows whose ids concatenate equally never collide', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const { jobs, submit } = fakeSubmit(directTextRun);
    const first = packRows(text, [textRow([1, 2]), textRow([3])]);
    await predictThroughCache(cache, model(2, text), first, submit);
    // Same ids, same concatenation, split differently: no hit.
    const split = packRows(text, [textRow([1]), textRow([2, 3])]);
    const result = await predictThroughCache(cache, model(2, text), split, submit);
    expect(jobs[1]).toBe(split);
    expect(result.outputs).toEqual(directTextRun(split).outputs);
    // The same ids with another lang are another row too.
    const mixed = [textRow([3]), textRow([9, 9, 9]), textRow([1, 2]), textRow([1, 2], 1)];
    const job = packRows(text, mixed);
    const merged = await predictThroughCache(cache, model(2, text), job, submit);
    const missing = jobs[2]!;
    expect(missing).toEqual(packRows(text, [mixed[1]!, mixed[3]!]));
    expect(Array.from(missing.lengths!)).toEqual([3, 2]);
    expect(Array.from(missing.inputs[0]!.data as BigInt64Array, Number)).toEqual([9, 9, 9, 1, 2]);
    expect(missing.inputs[1]!.data).toHaveLength(0);
    expect(merged.outputs).toEqual(directTextRun(job).outputs);
    expect(Array.from(merged.rowRun)).toEqual([1, 0, 1, 0]);
  });

  it('refuses a job that does not fit the inputs, before any lookup', async () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const job = packRows(tabular, [A]);
    const short = { ...job, inputs: [{ ...job.inputs[0]!, data: new Float32Array(1) }, ...job.inputs.slice(1)] };
    await expect(predictThroughCache(cache, model(), short, fakeSubmit().submit)).rejects.toThrow(
      "a job of 1 row(s) does not match the model's 3 input(s)",
    );
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 });
  });

  it('hands out copies of its answers', () => {
    const cache = new ResponseCache({ maxBytes: 1 << 20 });
    const values = Float32Array.of(1, 2);
    cache.insert('k', [values, Int32Array.of(7)]);
    values[0] = 9;
    const [copy] = cache.lookup('k')!.values();
    copy![1] = 9;
    expect(cache.lookup('k')!.values()).toEqual([Float32Array.of(1, 2), Int32Array.of(7)]);
  });

  it('states the contract of its options and prefixes, echoing the bad value', () => {
    const message = 'maxBytes must be a non-negative integer number of bytes (0 disables the response cache), but got: ';
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1024', undefined]) {
      expect(() => new ResponseCache({ maxBytes: bad as number })).toThrow(new TypeError(`${message}${String(bad)}`));
    }
    expect(new ResponseCache({ maxBytes: 0 }).maxBytes).toBe(0);
    expect(() => cachePrefix('a@b', 1, 1)).toThrow(
      new TypeError('a response cache prefix needs a model name without "@" or NUL, but got: "a@b"'),
    );
    expect(cachePrefix('churn', 2, 5)).toBe('churn@2#5\u0000');
  });
});
