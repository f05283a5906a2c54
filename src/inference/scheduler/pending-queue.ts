/**
 * The jobs waiting for a model, oldest first, bounded by rows (memory grows with rows, not jobs).
 * A batch takes whole jobs: a job is split only when it alone is larger than a batch (it then stays
 * at the head until all its rows are taken), never to fill the room a batch has left, so that a
 * request's rows of a model stay one run.
 */
import type { RowsPart } from '../packed-rows.ts';
import type { Job } from './job.ts';

/** Rows [start, start + count) of a job, taken into one batch (`rows` are the job's). */
export interface Slice extends RowsPart {
  job: Job;
}

export class PendingQueue {
  /** Served jobs before #head are cleared to undefined, so they do not keep their requests alive. */
  readonly #jobs: (Job | undefined)[] = [];
  #head = 0;
  #rows = 0;

  get rows(): number {
    return this.#rows;
  }

  get isEmpty(): boolean {
    return this.#head === this.#jobs.length;
  }

  oldest(): Job | undefined {
    return this.#jobs[this.#head];
  }

  push(job: Job): void {
    this.#jobs.push(job);
    this.#rows += job.size;
  }

  /** Drops a job that will not run (timed out); its untaken rows leave the count. */
  remove(job: Job): void {
    const index = this.#jobs.indexOf(job, this.#head);
    if (index === -1) return;
    this.#rows -= job.remainingRows;
    this.#jobs.splice(index, 1);
  }

  /**
   * Takes up to `maxRows` rows: whole jobs while they fit; a job larger than `maxRows` only as the
   * first, as much of it as fits. With `oneJob`, takes from the head job only (no merging across
   * requests).
   */
  take(maxRows: number, oneJob: boolean): Slice[] {
    const slices: Slice[] = [];
    let room = maxRows;
    while (room > 0 && !this.isEmpty) {
      const job = this.#jobs[this.#head]!;
      // Splitting it to fill this batch would cost its request a second run for a few rows of fill.
      if (slices.length > 0 && job.remainingRows > room) break;
      const count = Math.min(room, job.remainingRows);
      slices.push({ job, rows: job.rows, start: job.nextRow, count });
      job.nextRow += count;
      room -= count;
      this.#rows -= count;
      if (job.remainingRows === 0) this.#dequeueHead();
      if (oneJob) break;
    }
    return slices;
  }

  /** Every job still queued, removed from the queue. */
  drain(): Job[] {
    const jobs = this.#jobs.slice(this.#head) as Job[];
    this.#jobs.length = 0;
    this.#head = 0;
    this.#rows = 0;
    return jobs;
  }

  #dequeueHead(): void {
    // A served job references its request's loaders (rows, answers): drop it now, not at the next
    // compaction. A soak showed up to 1024 served requests' memory held here before this.
    this.#jobs[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#jobs.length) {
      this.#jobs.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#jobs.length) {
      // Compact now and then so a queue that never empties does not grow without bound.
      this.#jobs.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
