/** Packs the slices of a batch into one tensor buffer and hands outputs back to their jobs. */
import type { Slice } from './pending-queue.ts';

export interface AssembledBatch {
  slices: Slice[];
  rows: number;
  packed: Float32Array;
  /** Distinct requests among the slices' jobs. */
  requests: number;
}

export function assembleBatch(slices: Slice[], width: number): AssembledBatch {
  let rows = 0;
  for (const s of slices) rows += s.count;
  const packed = new Float32Array(rows * width);
  const requestIds = new Set<unknown>();
  let offset = 0;
  for (const { job, start, count } of slices) {
    requestIds.add(job.meta.requestId);
    for (let i = start; i < start + count; i++) {
      const row = job.rows[i]!;
      if (row.length !== width) throw new RangeError(`Row must have ${width} values, but got: ${row.length}`);
      packed.set(row, offset);
      offset += width;
    }
  }
  return { slices, rows, packed, requests: requestIds.size };
}

/** Splits `output` ([rows, outWidth], in slice order) back into per-slice row views. */
export function splitBatchOutput(output: Float32Array, batch: AssembledBatch, outWidth: number): Float32Array[][] {
  if (output.length !== batch.rows * outWidth) {
    throw new RangeError(`Output must hold ${batch.rows} × ${outWidth} values, but got: ${output.length}`);
  }
  let row = 0;
  return batch.slices.map(({ count }) => {
    const rows = new Array<Float32Array>(count);
    for (let i = 0; i < count; i++, row++) rows[i] = output.subarray(row * outWidth, (row + 1) * outWidth);
    return rows;
  });
}
