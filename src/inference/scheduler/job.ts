/**
 * A job: the rows one request's loader handed over in one go. It may be served by one run, share
 * a run with other jobs, or (if larger than maxBatchSize) be split across runs; it settles once
 * every row has an output or an error.
 */

import type { EncodedRow, OutputRow } from '../row-codec.ts';

export interface RunRecord {
  runId: number;
  model: string;
  /** Rows in the run (all jobs). */
  size: number;
  /** Distinct requests whose rows shared the run. */
  requests: number;
  /** Rows of this job in the run. */
  items: number;
  /** This job's wait from submission to the run's start. */
  queueMs: number;
  /** `performance.now()` when the run started; it ended `computeMs` later. */
  startedAtMs: number;
  computeMs: number;
  executor: string;
  executionProvider: string;
  failed: boolean;
}

export interface JobResult {
  /** One entry per submitted row: the output row, or the error of the run that held it. */
  outputs: (OutputRow | Error)[];
  /** Every run that held rows of this job, failed attempts included. */
  runs: RunRecord[];
  /** For each row, the index in `runs` of the run that gave its final answer. */
  rowRun: Int32Array;
}

export interface JobMeta {
  /** Identity of the request the job comes from; jobs of one request count once in `requests`. */
  requestId: unknown;
  /** When the first row was asked for (defaults to submission time). */
  enqueuedAtMs?: number;
  /**
   * Opaque to the scheduler: handed back in the run observations of every run that holds rows of
   * this job (the OpenTelemetry layer puts the request's operation span here, to link batches to it).
   */
  traceContext?: unknown;
}

export class Job {
  readonly rows: readonly EncodedRow[];
  readonly meta: JobMeta;
  readonly enqueuedAtMs: number;
  readonly outputs: (OutputRow | Error | undefined)[];
  readonly runs: RunRecord[] = [];
  readonly rowRun: Int32Array;
  /** Index of the first row not yet taken into a batch. */
  nextRow = 0;
  #pending: number;
  #resolve!: (result: JobResult) => void;
  #reject!: (error: Error) => void;
  readonly promise: Promise<JobResult>;
  settled = false;
  timeout: ReturnType<typeof setTimeout> | undefined;

  constructor(rows: readonly EncodedRow[], meta: JobMeta) {
    this.rows = rows;
    this.meta = meta;
    this.enqueuedAtMs = meta.enqueuedAtMs ?? performance.now();
    this.outputs = new Array(rows.length);
    this.rowRun = new Int32Array(rows.length);
    this.#pending = rows.length;
    this.promise = new Promise<JobResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get remainingRows(): number {
    return this.rows.length - this.nextRow;
  }

  /** Notes that rows [start, start + count) were answered by `run`. */
  addRun(run: RunRecord, start: number, count: number): void {
    this.runs.push(run);
    this.rowRun.fill(this.runs.length - 1, start, start + count);
  }

  /** Records outputs (or one error) for rows [start, start + count). */
  complete(start: number, count: number, outputs: readonly OutputRow[] | Error): void {
    for (let i = 0; i < count; i++) {
      this.outputs[start + i] = outputs instanceof Error ? outputs : outputs[i]!;
    }
    this.#pending -= count;
    if (this.#pending === 0) this.#settle();
  }

  /** Refuses the whole job (overload, shutdown) before any of it ran. */
  refuse(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timeout) clearTimeout(this.timeout);
    this.#reject(error);
  }

  #settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timeout) clearTimeout(this.timeout);
    this.#resolve({ outputs: this.outputs as (OutputRow | Error)[], runs: this.runs, rowRun: this.rowRun });
  }
}
