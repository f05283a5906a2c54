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
   * Takes up to `maxRows` rows (and, for a text model's jobs, up to `maxTokens` padded tokens: rows
   * × the longest row taken): whole jobs while they fit; a job larger than that only as the first,
   * as much of it as fits (at least one row). With `oneJob`, takes from the head job only (no
   * merging across requests).
   *
   * A text model's run is padded to its longest row, and its cost grows with the padded tokens: so
   * after the oldest job it takes only queued jobs that do not make the run longer, wherever they
   * wait (a longer job waits for a run of its own length; the oldest job always runs next, so none
   * starves). Measured on the shipped review model at 64 connections (npm run bench:text).
   */
  take(maxRows: number, oneJob: boolean, maxTokens = Number.POSITIVE_INFINITY, padTo = 0): Slice[] {
    const slices: Slice[] = [];
    let room = maxRows;
    // A run padded to a fixed length costs that length per row, however short its rows.
    let longest = padTo;
    while (room > 0 && !this.isEmpty) {
      const job = this.#jobs[this.#head]!;
      const lengths = job.rows.lengths;
      // A scan of the job's rows: once per job taken.
      const jobLongest = lengths ? job.longestRemaining : 0;
      const taken = maxRows - room;
      const whole = job.remainingRows <= room && (!lengths || (taken + job.remainingRows) * Math.max(longest, jobLongest) <= maxTokens);
      // Splitting it to fill this batch would cost its request a second run for a few rows of fill.
      if (!whole && slices.length > 0) break;
      // A longer text job would pad every row of the run to its length: shorter ones first.
      if (lengths && slices.length > 0 && jobLongest > longest) break;
      let count = Math.min(room, job.remainingRows);
      if (lengths && !whole) {
        // The first job, larger than a run: as many of its rows as the token budget takes, at least one.
        count = 0;
        let next = longest;
        while (count < room && count < job.remainingRows) {
          const candidate = Math.max(next, lengths[job.nextRow + count]!);
          if (count > 0 && (count + 1) * candidate > maxTokens) break;
          next = candidate;
          count++;
        }
      }
      if (lengths) for (let r = job.nextRow; r < job.nextRow + count; r++) longest = Math.max(longest, lengths[r]!);
      slices.push({ job, rows: job.rows, start: job.nextRow, count });
      job.nextRow += count;
      room -= count;
      this.#rows -= count;
      if (job.remainingRows === 0) this.#dequeueHead();
      if (oneJob || !whole) break;
    }
    if (!oneJob && slices[0]?.rows.lengths && slices.every((s) => s.job.remainingRows === 0))
      this.#takeNoLonger(slices, room, longest, maxTokens);
    return slices;
  }

  // Private: queued text jobs (behind one that would have made the run longer) whose rows are no
  // longer than the run's: they join it at no padding cost.
  #takeNoLonger(slices: Slice[], room: number, longest: number, maxTokens: number): void {
    let rows = slices.reduce((n, s) => n + s.count, 0);
    for (let i = this.#head; i < this.#jobs.length && room > 0; ) {
      const job = this.#jobs[i]!;
      if (job.nextRow > 0 || job.size > room || job.longestRemaining > longest || (rows + job.size) * longest > maxTokens) {
        i++;
        continue;
      }
      slices.push({ job, rows: job.rows, start: 0, count: job.size });
      job.nextRow = job.size;
      room -= job.size;
      rows += job.size;
      this.#rows -= job.size;
      if (i === this.#head) {
        this.#dequeueHead();
        i = this.#head;
      } else this.#jobs.splice(i, 1);
    }
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
