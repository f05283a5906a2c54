/** A batch: the slices of jobs it runs, in order, and how many requests they come from. */
import type { Slice } from './pending-queue.ts';

export interface AssembledBatch {
  /** The rows to run, as parts of their jobs' packed rows (the executor concatenates them). */
  slices: Slice[];
  /** Rows in the batch. */
  size: number;
  /** Distinct requests among the slices' jobs. */
  requests: number;
}

export function assembleBatch(slices: Slice[]): AssembledBatch {
  const requestIds = new Set<unknown>();
  let size = 0;
  for (const { job, count } of slices) {
    requestIds.add(job.meta.requestId);
    size += count;
  }
  return { slices, size, requests: requestIds.size };
}
