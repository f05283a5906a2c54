/** A batch's parts of jobs, in slice order, and how many requests they come from. */
import type { RowsPart } from '../packed-rows.ts';
import type { Slice } from './pending-queue.ts';

export interface AssembledBatch {
  slices: Slice[];
  /** The slices' rows, as parts of their jobs' rows (the executor packs them: one copy per packed part). */
  parts: RowsPart[];
  /** Rows in the batch. */
  size: number;
  /** Distinct requests among the slices' jobs. */
  requests: number;
}

export function assembleBatch(slices: Slice[]): AssembledBatch {
  const requestIds = new Set<unknown>();
  let size = 0;
  const parts = slices.map(({ job, start, count }) => {
    requestIds.add(job.meta.requestId);
    size += count;
    return { rows: job.rows, start, count };
  });
  return { slices, parts, size, requests: requestIds.size };
}
