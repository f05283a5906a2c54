/** Gathers the rows of a batch's slices, in order, and hands each slice its outputs back. */
import type { EncodedRow, OutputRow } from '../row-codec.ts';
import type { Slice } from './pending-queue.ts';

export interface AssembledBatch {
  slices: Slice[];
  /** The slices' rows, in slice order (references: the executor packs them). */
  rows: EncodedRow[];
  /** Distinct requests among the slices' jobs. */
  requests: number;
}

export function assembleBatch(slices: Slice[]): AssembledBatch {
  const rows: EncodedRow[] = [];
  const requestIds = new Set<unknown>();
  for (const { job, start, count } of slices) {
    requestIds.add(job.meta.requestId);
    for (let i = start; i < start + count; i++) rows.push(job.rows[i]!);
  }
  return { slices, rows, requests: requestIds.size };
}

/** Splits the run's outputs (one per row, in slice order) back into per-slice arrays. */
export function splitBatchOutput(outputs: readonly OutputRow[], batch: AssembledBatch): OutputRow[][] {
  if (outputs.length !== batch.rows.length)
    throw new RangeError(`The run gave ${outputs.length} output rows for ${batch.rows.length} rows`);
  let row = 0;
  return batch.slices.map(({ count }) => {
    const part = outputs.slice(row, row + count);
    row += count;
    return part;
  });
}
