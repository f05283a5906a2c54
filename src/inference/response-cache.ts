/**
 * A response cache of prediction rows, as Triton's response cache, kept by the models' owner: a
 * row's answer is a pure function of the model version and the row's input bytes, so a row asked
 * for again is answered without a run. A job's rows are looked up once each; only the rows that
 * miss are submitted, as one smaller job in the same packed layout; the answers are merged back in
 * the job's row order, the cached rows pointing at one synthetic run record ({ cached: true }).
 *
 * Keys are per model version: a prefix (cachePrefix: "price@2\u0000") and the row's bytes in every
 * input tensor, so another model or version never hits, and invalidate(prefix) drops a retired
 * version's rows. The cache is bounded in bytes and evicts rows by CLOCK (second chance), which
 * approximates least-recently-used: a hit sets its entry's bit, eviction takes the oldest entry
 * whose bit is clear, clearing the bits it passes. Written by hand, measured: an LRU that moves a
 * hit to the end of the Map (delete + set) cost 7-9 µs per hit at 100 000-200 000 entries, and
 * evicting through the Map's iterator (keys().next() over the holes deletes leave) 28 µs per
 * eviction at 200 000 (Node 24), where a hit here is a Map.get and an eviction a queue pop.
 */
import { packedJob } from './packed-rows.ts';
import type { JobResult, RunRecord } from './scheduler/job.ts';
import { allocate, type LayoutTensor, type NumericArray, type PackedBatch, type TensorData } from './tensors.ts';

export interface ResponseCacheOptions {
  /** Most bytes of keys, answers and per-entry overhead held; 0 disables the cache. */
  maxBytes: number;
}

export interface ResponseCacheStats {
  maxBytes: number;
  /** Bytes held: each entry's key (one byte per char), its answer's bytes and ENTRY_OVERHEAD_BYTES. */
  bytes: number;
  entries: number;
  /** Rows answered from the cache. */
  hits: number;
  /** Rows looked up and not found (they were run). */
  misses: number;
  insertions: number;
  /** Entries dropped to stay within maxBytes (least recently used first). */
  evictions: number;
  /** Entries dropped by invalidate (retired versions). */
  invalidated: number;
}

/** The record the cached rows of a job point at: no run happened (runId -1, no time in queue or compute). */
export type CachedRunRecord = RunRecord & { cached: true };

/** A model version as the cache sees it. */
export interface CachedModel {
  /** The model's name and version, for the cached rows' record. */
  name: string;
  version: number;
  /**
   * The version's key prefix (cachePrefix(name, version)): what separates its rows from every
   * other version's. A version whose files can be reloaded in place needs a prefix per load (or an
   * invalidate on reload): the cache cannot tell two loads of one version apart.
   */
  prefix: string;
  /** The layout's inputs: how each row's part of a job's tensors is found. */
  inputs: readonly LayoutTensor[];
}

/**
 * Bytes counted per entry on top of its key and answer. Measured on Node 24 (V8), for 200k
 * entries of a 40-char key: about 285 bytes each, the Map's slot (≈ 28 B), the entry object
 * (≈ 32 B) and its answer's Uint8Array (its JSTypedArray and JSArrayBuffer objects, ≈ 224 B).
 * Without it a cache of one-float rows would hold ten times the memory maxBytes says.
 */
export const ENTRY_OVERHEAD_BYTES = 288;

/**
 * The key prefix of one load of a model version: "price@2#17\u0000" (ModelView.loadId 17). Model
 * names hold no "@" (the manifest schema's pattern) and the NUL ends the prefix, so no prefix begins
 * another ("price@1#1\u0000" is not the start of "price@1#12\u0000") and invalidate drops only its
 * load; a version loaded again in place gets a new loadId, so it never reads the old load's answers.
 */
export function cachePrefix(model: string, version: number, loadId: number): string {
  if (model.includes('@') || model.includes('\u0000')) {
    throw new TypeError(`a response cache prefix needs a model name without "@" or NUL, but got: ${JSON.stringify(model)}`);
  }
  return `${model}@${version}#${loadId}\u0000`;
}

type NumericArrayType = new (length: number) => NumericArray;

/** The form of a model version's answers: per fetched output, its array type and values per row. */
export interface AnswerShape {
  readonly types: readonly NumericArrayType[];
  readonly widths: readonly number[];
  /** Bytes per row of each output, and where each starts in a cached row's bytes. */
  readonly rowBytes: readonly number[];
  readonly offsets: readonly number[];
  readonly bytes: number;
}

/**
 * One row's answer: every fetched output's values, their bytes one after the other in one buffer
 * of its own. One buffer, not an array per output: a small typed array costs ≈ 224 B in V8, more
 * than most rows' values; and its own buffer, not a view, so a cached row never pins a run's arrays.
 */
export class CachedAnswer {
  readonly bytes: Uint8Array;
  readonly shape: AnswerShape;

  constructor(bytes: Uint8Array, shape: AnswerShape) {
    this.bytes = bytes;
    this.shape = shape;
  }

  /** The row's values, one array per output (copies: the cache's own bytes are never handed out). */
  values(): NumericArray[] {
    return this.shape.types.map((Type, i) => {
      const values = new Type(this.shape.widths[i]!);
      asBytes(values).set(this.bytes.subarray(this.shape.offsets[i]!, this.shape.offsets[i]! + this.shape.rowBytes[i]!));
      return values;
    });
  }
}

// Private: a cached row, in the Map by key and in the CLOCK queue.
interface Entry {
  key: string;
  answer: CachedAnswer;
  /** Used since the hand last passed it: it gets a second chance. */
  referenced: boolean;
  /** Removed (replaced or invalidated): the queue skips it. */
  removed: boolean;
}

/** Rows' answers by key, bounded in bytes, evicted by CLOCK (an approximation of least recently used). */
export class ResponseCache {
  readonly maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  /** Entries oldest first, from `#head`: the CLOCK's hand takes from the front, a second chance goes to the back. */
  #queue: Entry[] = [];
  #head = 0;
  // Every answer of a model version has one shape: entries share it (found again without a string
  // when it is the last one used).
  readonly #shapes = new Map<string, AnswerShape>();
  #lastShape: AnswerShape | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #insertions = 0;
  #evictions = 0;
  #invalidated = 0;
  #generation = 0;

  constructor(options: ResponseCacheOptions) {
    this.maxBytes = getValidMaxBytes(options?.maxBytes);
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /**
   * Counts invalidations: answers computed while one happened are not inserted, since the run may
   * have been the retired version's.
   */
  get generation(): number {
    return this.#generation;
  }

  /** The row's answer (now the most recently used), counted as a hit or a miss. */
  lookup(key: string): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    entry.referenced = true;
    return entry.answer;
  }

  /**
   * Stores a row's answer (`values`: one array per fetched output holding that row's values, copied),
   * evicting the least recently used rows to stay within maxBytes. False when not stored: the cache
   * is disabled, or the entry alone is larger than maxBytes.
   */
  insert(key: string, values: readonly NumericArray[]): boolean {
    if (!this.enabled) return false;
    const shape = this.#shapeOf(values);
    if (entryBytes(key, shape) > this.maxBytes) return false;
    const bytes = new Uint8Array(shape.bytes);
    values.forEach((v, i) => {
      bytes.set(asBytes(v), shape.offsets[i]!);
    });
    const old = this.#entries.get(key);
    if (old) this.#remove(old);
    const entry: Entry = { key, answer: new CachedAnswer(bytes, shape), referenced: false, removed: false };
    this.#entries.set(key, entry);
    this.#queue.push(entry);
    this.#bytes += entryBytes(key, shape);
    this.#insertions++;
    this.#evictLeastRecentlyUsed();
    return true;
  }

  /** Drops every row whose key begins with `prefix` (a retired model version's; "" drops all); returns how many. */
  invalidate(prefix: string): number {
    this.#generation++;
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (!key.startsWith(prefix)) continue;
      this.#remove(entry);
      dropped++;
    }
    this.#compact(true);
    this.#invalidated += dropped;
    return dropped;
  }

  stats(): ResponseCacheStats {
    return {
      maxBytes: this.maxBytes,
      bytes: this.#bytes,
      entries: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      insertions: this.#insertions,
      evictions: this.#evictions,
      invalidated: this.#invalidated,
    };
  }

  #remove(entry: Entry): void {
    entry.removed = true;
    this.#entries.delete(entry.key);
    this.#bytes -= entryBytes(entry.key, entry.answer.shape);
  }

  // CLOCK: the oldest entry goes unless it was used since the hand last passed it; then it moves to
  // the back with its bit cleared. Each entry is passed at most twice per eviction round.
  #evictLeastRecentlyUsed(): void {
    while (this.#bytes > this.maxBytes) {
      const entry = this.#queue[this.#head++]!;
      if (entry.removed) continue;
      if (entry.referenced) {
        entry.referenced = false;
        this.#queue.push(entry);
        continue;
      }
      this.#remove(entry);
      this.#evictions++;
    }
    this.#compact(false);
  }

  // Private: drops the queue's front once the hand is far into it (and removed entries when asked),
  // so that the queue stays about as long as the cache.
  #compact(dropRemoved: boolean): void {
    if (!dropRemoved && (this.#head < 65_536 || this.#head < this.#queue.length / 2)) return;
    this.#queue = this.#queue.slice(this.#head).filter((e) => !e.removed);
    this.#head = 0;
  }

  #shapeOf(values: readonly NumericArray[]): AnswerShape {
    const last = this.#lastShape;
    if (last && sameShape(last, values)) return last;
    const signature = values.map((v) => `${v.constructor.name}:${v.length}`).join(',');
    let shape = this.#shapes.get(signature);
    if (!shape) {
      shape = shapeOf(values);
      this.#shapes.set(signature, shape);
    }
    this.#lastShape = shape;
    return shape;
  }
}

/**
 * The job's answer, served from the cache where it can be: each row is looked up; the rows that
 * miss are submitted as one job (the job itself when none hit, nothing when all hit); the answers
 * of rows whose run succeeded are inserted. Rows are in the job's order; cached rows point at one
 * CachedRunRecord, appended to `runs`. A disabled cache submits the job as it is.
 */
export async function predictThroughCache(
  cache: ResponseCache,
  model: CachedModel,
  job: PackedBatch,
  submit: (job: PackedBatch) => Promise<JobResult>,
): Promise<JobResult> {
  if (!cache.enabled || job.rows === 0) return submit(job);
  const keys = rowKeys(model, job);
  const answers = keys.map((key) => cache.lookup(key));
  const missing: number[] = [];
  for (let r = 0; r < job.rows; r++) if (!answers[r]) missing.push(r);
  const startedAtMs = performance.now();
  const generation = cache.generation;
  if (missing.length === job.rows) {
    const result = await submit(job);
    if (cache.generation === generation) insertAnswers(cache, keys, missing, result);
    return result;
  }
  let result: JobResult | undefined;
  if (missing.length > 0) {
    result = await submit(missingRowsJob(model.inputs, job, missing));
    if (cache.generation === generation) insertAnswers(cache, keys, missing, result);
  }
  return mergedResult(model, job.rows, answers, missing, result, startedAtMs);
}

// Private: each row's key: the prefix, then the row's part of every input tensor, each part
// delimiting itself so that no two rows share a key: a fixed-width part by its width, a string
// part by its JSON, a text's ids by their length written first (as rowKeyWithLengths does: the row
// of ids [1, 2] is not the row of [1] whatever follows). The mask and token types are derived from
// the ids at run time: a job holds none of them.
function rowKeys({ prefix, inputs }: CachedModel, job: PackedBatch): string[] {
  // A job that does not fit the inputs would give rows keys of the wrong bytes: refused here.
  packedJob(
    inputs,
    job.rows,
    job.inputs.map((t) => t.data),
    job.lengths,
  );
  const keys = new Array<string>(job.rows).fill(prefix);
  const offsets = job.lengths ? idOffsets(job.lengths) : undefined;
  inputs.forEach((t, i) => {
    const data = job.inputs[i]!.data;
    if (t.sequence) {
      if (t.sequence.fill !== 'ids') return;
      const part = partKeys(data);
      for (let r = 0; r < job.rows; r++) keys[r] += `${job.lengths![r]}:${part(offsets![r]!, offsets![r + 1]!)}`;
      return;
    }
    const part = partKeys(data);
    for (let r = 0; r < job.rows; r++) keys[r] += part(r * t.width, (r + 1) * t.width);
  });
  return keys;
}

// Private: the key of values [from, to) of a tensor: one char per byte (latin1) for numbers, as
// rowKey does; JSON for strings.
function partKeys(data: TensorData): (from: number, to: number) => string {
  if (Array.isArray(data)) return (from, to) => JSON.stringify(data.slice(from, to));
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const size = data.BYTES_PER_ELEMENT;
  return (from, to) => bytes.toString('latin1', from * size, to * size);
}

// Private: where each row's ids start in a job's ragged ids.
function idOffsets(lengths: Int32Array): Int32Array {
  const offsets = new Int32Array(lengths.length + 1);
  for (let r = 0; r < lengths.length; r++) offsets[r + 1] = offsets[r]! + lengths[r]!;
  return offsets;
}

// Private: the job of the `missing` rows (ascending) as the loader would have packed them: one copy
// per run of consecutive rows and tensor; a text's ids stay ragged, with their `lengths`.
function missingRowsJob(inputs: readonly LayoutTensor[], job: PackedBatch, missing: readonly number[]): PackedBatch {
  const spans = consecutiveSpans(missing);
  const lengths = job.lengths ? Int32Array.from(missing, (r) => job.lengths![r]!) : undefined;
  const offsets = job.lengths ? idOffsets(job.lengths) : undefined;
  const data = inputs.map((t, i) => {
    const source = job.inputs[i]!.data;
    if (t.sequence) {
      if (t.sequence.fill !== 'ids') return allocate(t.dtype, 0);
      const target = allocate(
        t.dtype,
        lengths!.reduce((a, b) => a + b, 0),
      );
      let at = 0;
      for (const [start, count] of spans) {
        at = copyRange(source, offsets![start]!, offsets![start + count]!, target, at);
      }
      return target;
    }
    const target = allocate(t.dtype, missing.length * t.width);
    let at = 0;
    for (const [start, count] of spans) at = copyRange(source, start * t.width, (start + count) * t.width, target, at);
    return target;
  });
  return packedJob(inputs, missing.length, data, lengths);
}

// Private: ascending rows as [start, count] runs of consecutive rows.
function consecutiveSpans(rows: readonly number[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const r of rows) {
    const last = spans.at(-1);
    if (last && last[0] + last[1] === r) last[1]++;
    else spans.push([r, 1]);
  }
  return spans;
}

// Private: copies values [from, to) of `source` into `target` at `at`; returns where the copy ends.
function copyRange(source: TensorData, from: number, to: number, target: TensorData, at: number): number {
  if (Array.isArray(target)) {
    for (let k = from; k < to; k++) target[at + k - from] = (source as string[])[k]!;
  } else {
    asBytes(target).set(asBytes((source as NumericArray).subarray(from, to)), at * target.BYTES_PER_ELEMENT);
  }
  return at + to - from;
}

// Private: rows `rows[k]` were answered by row k of `result`: those whose final run succeeded are
// inserted (a failed row's zeros are no answer).
function insertAnswers(cache: ResponseCache, keys: readonly string[], rows: readonly number[], result: JobResult): void {
  if (result.outputs.length === 0) return;
  const widths = result.outputs.map((data) => data.length / rows.length);
  for (let k = 0; k < rows.length; k++) {
    if (result.runs[result.rowRun[k]!]!.failed) continue;
    cache.insert(
      keys[rows[k]!]!,
      result.outputs.map((data, i) => data.subarray(k * widths[i]!, (k + 1) * widths[i]!)),
    );
  }
}

// Private: the whole job's answer: cached rows copied from their entries, the missing rows' from
// their run (`result`, absent when every row hit; its arrays empty when every run failed: zeros).
function mergedResult(
  model: CachedModel,
  rows: number,
  answers: readonly (CachedAnswer | undefined)[],
  missing: readonly number[],
  result: JobResult | undefined,
  startedAtMs: number,
): JobResult {
  const shape = answers.find((a) => a !== undefined)!.shape;
  const outputs = shape.types.map((Type, i) => new Type(rows * shape.widths[i]!));
  const targets = outputs.map(asBytes);
  const runs = [...(result?.runs ?? [])];
  const cachedRun = runs.length;
  const rowRun = new Int32Array(rows).fill(cachedRun);
  let cachedRows = 0;
  answers.forEach((answer, r) => {
    if (!answer) return;
    // Shapes are interned per cache: another object is another form.
    if (answer.shape !== shape) throw differentShapes(model);
    shape.types.forEach((_, i) => {
      const size = shape.rowBytes[i]!;
      targets[i]!.set(answer.bytes.subarray(shape.offsets[i]!, shape.offsets[i]! + size), r * size);
    });
    cachedRows++;
  });
  if (result) {
    missing.forEach((r, k) => {
      rowRun[r] = result.rowRun[k]!;
    });
    if (result.outputs.length > 0) {
      if (!sameShape(shape, result.outputs, missing.length)) throw differentShapes(model);
      let k = 0;
      for (const [start, count] of consecutiveSpans(missing)) {
        result.outputs.forEach((data, i) => {
          const size = shape.rowBytes[i]!;
          targets[i]!.set(asBytes(data).subarray(k * size, (k + count) * size), start * size);
        });
        k += count;
      }
    }
  }
  const record: CachedRunRecord = {
    runId: -1,
    model: model.name,
    version: model.version,
    size: cachedRows,
    requests: 1,
    items: cachedRows,
    queueMs: 0,
    startedAtMs,
    computeMs: 0,
    executor: 'cache',
    executionProvider: 'cache',
    failed: false,
    cached: true,
  };
  runs.push(record);
  return { outputs, runs, rowRun };
}

function differentShapes(model: CachedModel): Error {
  return new Error(
    `the response cache holds answers of model "${model.name}" version ${model.version} of another form than its run's: give each model version its own prefix`,
  );
}

// Private: whether `values` (arrays of `rows` rows) have the shape's array types and widths.
function sameShape(shape: AnswerShape, values: readonly NumericArray[], rows = 1): boolean {
  return (
    values.length === shape.types.length && values.every((v, i) => v.constructor === shape.types[i] && v.length === rows * shape.widths[i]!)
  );
}

function shapeOf(values: readonly NumericArray[]): AnswerShape {
  const rowBytes = values.map((v) => v.byteLength);
  const offsets: number[] = [];
  let bytes = 0;
  for (const size of rowBytes) {
    offsets.push(bytes);
    bytes += size;
  }
  return {
    types: values.map((v) => v.constructor as NumericArrayType),
    widths: values.map((v) => v.length),
    rowBytes,
    offsets,
    bytes,
  };
}

// Private: what an entry counts against maxBytes (see ENTRY_OVERHEAD_BYTES). Keys count one byte
// per char: past the prefix they are latin1, one char per input byte.
function entryBytes(key: string, shape: AnswerShape): number {
  return key.length + shape.bytes + ENTRY_OVERHEAD_BYTES;
}

function asBytes(data: NumericArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function getValidMaxBytes(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `maxBytes must be a non-negative integer number of bytes (0 disables the response cache), but got: ${String(value)}`,
    );
  }
  return value;
}
