/**
 * Rows in packed form, so that work is per job, not per row: a job's rows are packed once where
 * GraphQL runs (packRows); a run is the concatenation of parts of jobs (concatParts: one copy per
 * part and tensor); a run's outputs are handed back per part (BatchOutputs), as the run's own
 * arrays when the run was one whole job, else copied into the job's arrays, one copy per part.
 */
import {
  allocate,
  type EncodedRow,
  type LayoutTensor,
  type NumericArray,
  type PackedBatch,
  type PackedTensor,
  type TensorData,
} from './tensors.ts';

/** Rows [start, start + count) of a job's packed rows. */
export interface RowsPart {
  rows: PackedBatch;
  start: number;
  count: number;
}

/**
 * The job of `rows`: one tensor per input holding them in order (each array owns its buffer: it can
 * be transferred). A text's token ids stay ragged (each row's ids one after the other, `lengths`
 * per row) until a run pads them; its mask and token types are made then.
 */
export function packRows(inputs: readonly LayoutTensor[], rows: readonly EncodedRow[]): PackedBatch {
  const ids = inputs.findIndex((t) => t.sequence?.fill === 'ids');
  const lengths = ids === -1 ? undefined : Int32Array.from(rows, (row) => row[ids]!.length);
  const tensors = inputs.map((t, i) => {
    if (t.sequence) {
      if (i !== ids) return packedTensor(t, allocate(t.dtype, 0));
      const data = allocate(t.dtype, sum(lengths!));
      let at = 0;
      for (const row of rows) {
        copyValues(row[i]!, 0, row[i]!.length, data, at);
        at += row[i]!.length;
      }
      return packedTensor(t, data);
    }
    const data = allocate(t.dtype, rows.length * t.width);
    for (let r = 0; r < rows.length; r++) copyValues(rows[r]![i]!, 0, t.width, data, r * t.width);
    return packedTensor(t, data);
  });
  return { rows: rows.length, inputs: tensors, ...(lengths ? { lengths } : {}) };
}

/**
 * The job of `rows` rows in `data` (one array per input, as packRows made them on another thread,
 * with a text's `lengths`); throws if the arrays do not fit the inputs.
 */
export function packedJob(inputs: readonly LayoutTensor[], rows: number, data: readonly TensorData[], lengths?: Int32Array): PackedBatch {
  const sequence = inputs.some((t) => t.sequence);
  const fits = (t: LayoutTensor, i: number) =>
    t.sequence ? data[i]!.length === (t.sequence.fill === 'ids' ? sum(lengths!) : 0) : data[i]!.length === rows * t.width;
  if (data.length !== inputs.length || sequence !== (lengths?.length === rows) || !inputs.every(fits)) {
    throw new Error(`a job of ${rows} row(s) does not match the model's ${inputs.length} input(s)`);
  }
  return { rows, inputs: inputs.map((t, i) => packedTensor(t, data[i]!)), ...(lengths ? { lengths } : {}) };
}

/**
 * One tensor per input holding the parts' rows in order. A run of one whole job runs on that
 * job's own arrays (no copy) unless `owned`: an executor that transfers the arrays to another
 * thread must not take the job's own, which a failed run's re-runs still read. A text model's run
 * is padded to its longest row (concatSequences).
 */
export function concatParts(inputs: readonly LayoutTensor[], parts: readonly RowsPart[], { owned = false } = {}): PackedBatch {
  if (inputs.some((t) => t.sequence)) return concatSequences(inputs, parts);
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (!owned && only && only.start === 0 && only.count === only.rows.rows) return only.rows;
  let rows = 0;
  for (const part of parts) rows += part.count;
  return { rows, inputs: inputs.map((t, i) => concatFixed(t, i, parts, rows)) };
}

// Private: input `i` (fixed width) of the parts' rows, one after the other.
function concatFixed(t: LayoutTensor, i: number, parts: readonly RowsPart[], rows: number): PackedTensor {
  const data = allocate(t.dtype, rows * t.width);
  let at = 0;
  for (const { rows: source, start, count } of parts) {
    copyValues(source.inputs[i]!.data, start * t.width, count * t.width, data, at * t.width);
    at += count;
  }
  return packedTensor(t, data);
}

/** Real tokens, and the padded tokens (rows × the longest) a run of the parts costs; undefined without a sequence axis. */
export function tokenCounts(parts: readonly RowsPart[], padTo = 0): { real: number; padded: number; longest: number } | undefined {
  if (!parts[0]?.rows.lengths) return undefined;
  let rows = 0;
  let real = 0;
  let longest = 0;
  for (const { rows: job, start, count } of parts) {
    for (let r = start; r < start + count; r++) {
      const n = job.lengths![r]!;
      real += n;
      if (n > longest) longest = n;
    }
    rows += count;
  }
  longest = Math.max(longest, padTo);
  return { real, padded: rows * longest, longest };
}

// Private: a run of a text model: the token ids padded to the run's longest row with the
// tokenizer's pad id (one copy per row: rows of different jobs have different lengths), the
// attention mask (1 over a row's tokens, 0 over its padding) and token types (zeros) made to match.
function concatSequences(inputs: readonly LayoutTensor[], parts: readonly RowsPart[]): PackedBatch {
  const padTo = inputs.find((t) => t.sequence?.fill === 'ids')?.sequence?.padTo ?? 0;
  const { longest } = tokenCounts(parts, padTo)!;
  let rows = 0;
  for (const part of parts) rows += part.count;
  const lengths = new Int32Array(rows);
  let at = 0;
  for (const { rows: job, start, count } of parts) {
    lengths.set(job.lengths!.subarray(start, start + count), at);
    at += count;
  }
  const tensors = inputs.map((t, i) => {
    if (!t.sequence) return concatFixed(t, i, parts, rows);
    const data = allocate(t.dtype, rows * longest);
    if (t.sequence.fill === 'ids') {
      fillWith(data, t.sequence.pad ?? 0);
      let row = 0;
      for (const { rows: source, start, count } of parts) {
        const offsets = offsetsOf(source);
        for (let r = start; r < start + count; r++, row++) {
          copyValues(source.inputs[i]!.data, offsets[r]!, source.lengths![r]!, data, row * longest);
        }
      }
    } else if (t.sequence.fill === 'mask') {
      for (let row = 0; row < rows; row++) fillWith(data, 1, row * longest, row * longest + lengths[row]!);
    }
    return { ...packedTensor(t, data), dims: [longest, ...t.dims] };
  });
  return { rows, inputs: tensors, lengths };
}

function sum(values: Int32Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

// Private: where each row's ids start in a job's ragged ids (computed once per job, kept with it).
const offsetsByJob = new WeakMap<PackedBatch, Int32Array>();
function offsetsOf(job: PackedBatch): Int32Array {
  let offsets = offsetsByJob.get(job);
  if (!offsets) {
    offsets = new Int32Array(job.rows + 1);
    for (let r = 0; r < job.rows; r++) offsets[r + 1] = offsets[r]! + job.lengths![r]!;
    offsetsByJob.set(job, offsets);
  }
  return offsets;
}

function fillWith(data: TensorData, value: number, from = 0, to = data.length): void {
  if (data instanceof BigInt64Array) data.fill(BigInt(value), from, to);
  else (data as Exclude<NumericArray, BigInt64Array>).fill(value, from, to);
}

function packedTensor(t: LayoutTensor, data: TensorData): PackedTensor {
  return { name: t.name, dtype: t.dtype, dims: t.dims, data };
}

type Settable = NumericArray & { set(source: ArrayLike<number | bigint>, offset: number): void };

// Private: `length` values from `source` at `from` into `target` at `to` (one memcpy for typed arrays).
function copyValues(source: TensorData, from: number, length: number, target: TensorData, to: number): void {
  if (Array.isArray(target)) {
    for (let k = 0; k < length; k++) target[to + k] = (source as string[])[from + k]!;
  } else {
    (target as Settable).set((source as NumericArray).subarray(from, from + length) as ArrayLike<number>, to);
  }
}

/** A run's fetched outputs (checked: `rows` × width values each), handed back per part. */
export class BatchOutputs {
  readonly tensors: readonly NumericArray[];
  readonly rows: number;
  readonly #widths: number[];

  constructor(tensors: readonly NumericArray[], rows: number) {
    this.tensors = tensors;
    this.rows = rows;
    this.#widths = tensors.map((data) => (rows === 0 ? 0 : data.length / rows));
  }

  /** Views of rows [at, at + count): one OutputRow each. */
  views(at: number, count: number): NumericArray[][] {
    const out = new Array<NumericArray[]>(count);
    for (let r = 0; r < count; r++)
      out[r] = this.tensors.map((data, i) => data.subarray((at + r) * this.#widths[i]!, (at + r + 1) * this.#widths[i]!));
    return out;
  }

  /** Arrays for `rows` rows shaped as these outputs (the answers of a job served by several runs). */
  allocate(rows: number): NumericArray[] {
    return this.tensors.map((data, i) => new (data.constructor as new (length: number) => NumericArray)(rows * this.#widths[i]!));
  }

  /** Copies rows [at, at + count) into `target` (from `allocate`) at row `to`. */
  copyInto(target: readonly NumericArray[], to: number, at: number, count: number): void {
    this.tensors.forEach((data, i) => {
      const w = this.#widths[i]!;
      (target[i] as Settable).set(data.subarray(at * w, (at + count) * w) as ArrayLike<number>, to * w);
    });
  }
}
