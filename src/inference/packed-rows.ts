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

/** One tensor per input holding `rows` in order (each array owns its buffer: it can be transferred). */
export function packRows(inputs: readonly LayoutTensor[], rows: readonly EncodedRow[]): PackedBatch {
  const tensors = inputs.map((t, i) => {
    const data = allocate(t.dtype, rows.length * t.width);
    for (let r = 0; r < rows.length; r++) copyValues(rows[r]![i]!, 0, t.width, data, r * t.width);
    return packedTensor(t, data);
  });
  return { rows: rows.length, inputs: tensors };
}

/**
 * The job of `rows` rows in `data` (one array per input, as packRows made them on another thread);
 * throws if the arrays do not fit the inputs.
 */
export function packedJob(inputs: readonly LayoutTensor[], rows: number, data: readonly TensorData[]): PackedBatch {
  if (data.length !== inputs.length || inputs.some((t, i) => data[i]!.length !== rows * t.width)) {
    throw new Error(`a job of ${rows} row(s) does not match the model's ${inputs.length} input(s)`);
  }
  return { rows, inputs: inputs.map((t, i) => packedTensor(t, data[i]!)) };
}

/**
 * One tensor per input holding the parts' rows in order. A run of one whole job runs on that
 * job's own arrays (no copy) unless `owned`: an executor that transfers the arrays to another
 * thread must not take the job's own, which a failed run's re-runs still read.
 */
export function concatParts(inputs: readonly LayoutTensor[], parts: readonly RowsPart[], { owned = false } = {}): PackedBatch {
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (!owned && only && only.start === 0 && only.count === only.rows.rows) return only.rows;
  let rows = 0;
  for (const part of parts) rows += part.count;
  const tensors = inputs.map((t, i) => {
    const data = allocate(t.dtype, rows * t.width);
    let at = 0;
    for (const { rows: source, start, count } of parts) {
      copyValues(source.inputs[i]!.data, start * t.width, count * t.width, data, at * t.width);
      at += count;
    }
    return packedTensor(t, data);
  });
  return { rows, inputs: tensors };
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
