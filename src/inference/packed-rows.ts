/**
 * Rows in packed form, so that a batch is assembled and taken apart per job, not per row: a job's
 * rows may come one by one (EncodedRow[], the loaders of this thread) or packed already, one array
 * per input tensor (a GraphQL thread's job, packed there); a batch is the concatenation of parts of
 * jobs (one copy per part and tensor); a run's outputs are handed back per part, as views (rows of
 * this thread's jobs) or copied into the job's own arrays (a packed job: one copy per part and tensor).
 */
import type { LayoutTensor } from './model-layout.ts';
import type { EncodedRow, NumericArray, OutputRow, PackedBatch, PackedTensor, TensorData } from './row-codec.ts';

/** A job's rows: encoded one by one, or packed (`rows` rows in one array per input tensor). */
export type JobRows = readonly EncodedRow[] | PackedBatch;

/** Rows [start, start + count) of a job's rows. */
export interface RowsPart {
  rows: JobRows;
  start: number;
  count: number;
}

export function rowCount(rows: JobRows): number {
  return isPacked(rows) ? rows.rows : rows.length;
}

export function isPacked(rows: JobRows): rows is PackedBatch {
  return !Array.isArray(rows);
}

type Settable = NumericArray & { set(source: ArrayLike<number | bigint>, offset: number): void };

/** One tensor per input holding the parts' rows in order. */
export function packParts(
  inputs: readonly LayoutTensor[],
  parts: readonly RowsPart[],
  allocate: (t: LayoutTensor, length: number) => TensorData,
): PackedBatch {
  let rows = 0;
  for (const part of parts) rows += part.count;
  const tensors = inputs.map((t, i): PackedTensor => {
    const data = allocate(t, rows * t.width);
    let at = 0;
    for (const { rows: source, start, count } of parts) {
      if (isPacked(source)) copyValues(source.inputs[i]!.data, start * t.width, count * t.width, data, at * t.width);
      else for (let r = 0; r < count; r++) copyValues(source[start + r]![i]!, 0, t.width, data, (at + r) * t.width);
      at += count;
    }
    return { name: t.name, dtype: t.dtype, dims: t.rank === 1 ? [] : [t.width], data };
  });
  return { rows, inputs: tensors };
}

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
  views(at: number, count: number): OutputRow[] {
    const out = new Array<OutputRow>(count);
    for (let r = 0; r < count; r++)
      out[r] = this.tensors.map((data, i) => data.subarray((at + r) * this.#widths[i]!, (at + r + 1) * this.#widths[i]!));
    return out;
  }

  /** Arrays for `rows` rows shaped as these outputs (the answers of a packed job). */
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
