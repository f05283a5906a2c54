/**
 * A job: the rows one request's loader handed over in one go. It may be served by one run, share
 * a run with other jobs, or (if larger than maxBatchSize) be split across runs; it settles once
 * every row has an output or an error. A job packed by a GraphQL thread is answered packed too:
 * its rows' outputs are copied into arrays of its own, one copy per run that served it.
 */

import { type BatchOutputs, isPacked, type JobRows, rowCount } from '../packed-rows.ts';
import type { NumericArray, OutputRow } from '../row-codec.ts';

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

/** The answer to a packed job: its rows' outputs in one array per fetched output, in row order. */
export interface PackedJobResult {
  /** One array per fetched output tensor, the job's rows only (its own buffers: they can be transferred); none when no row was answered. */
  outputs: NumericArray[];
  /** Rows whose final run failed: the run's error at the row's index (absent when none failed). */
  failures?: (Error | undefined)[];
  runs: RunRecord[];
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
  readonly rows: JobRows;
  /** Rows in the job. */
  readonly size: number;
  readonly meta: JobMeta;
  readonly enqueuedAtMs: number;
  /** Answers row by row (a job of EncodedRows); a packed job keeps `#packed` and `#failures` instead. */
  readonly #outputs: (OutputRow | Error | undefined)[] | undefined;
  #packed: NumericArray[] | undefined;
  #failures: (Error | undefined)[] | undefined;
  readonly runs: RunRecord[] = [];
  readonly rowRun: Int32Array;
  /** Index of the first row not yet taken into a batch. */
  nextRow = 0;
  #pending: number;
  #resolve!: (result: JobResult | PackedJobResult) => void;
  #reject!: (error: Error) => void;
  readonly promise: Promise<JobResult | PackedJobResult>;
  settled = false;
  timeout: ReturnType<typeof setTimeout> | undefined;

  constructor(rows: JobRows, meta: JobMeta) {
    this.rows = rows;
    this.size = rowCount(rows);
    this.meta = meta;
    this.enqueuedAtMs = meta.enqueuedAtMs ?? performance.now();
    this.#outputs = isPacked(rows) ? undefined : new Array(this.size);
    this.rowRun = new Int32Array(this.size);
    this.#pending = this.size;
    this.promise = new Promise<JobResult | PackedJobResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get remainingRows(): number {
    return this.size - this.nextRow;
  }

  /** Notes that rows [start, start + count) were answered by `run`. */
  addRun(run: RunRecord, start: number, count: number): void {
    this.runs.push(run);
    this.rowRun.fill(this.runs.length - 1, start, start + count);
  }

  /** Records the outputs of rows [start, start + count), rows [at, at + count) of the run (or the run's error). */
  complete(start: number, count: number, outputs: BatchOutputs | Error, at = 0): void {
    if (outputs instanceof Error) {
      if (!this.#outputs) this.#failures ??= new Array(this.size);
      (this.#outputs ?? this.#failures)!.fill(outputs, start, start + count);
    } else if (this.#outputs) {
      const rows = outputs.views(at, count);
      for (let i = 0; i < count; i++) this.#outputs[start + i] = rows[i]!;
    } else {
      this.#packed ??= outputs.allocate(this.size);
      outputs.copyInto(this.#packed, start, at, count);
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
    if (this.#outputs) {
      this.#resolve({ outputs: this.#outputs as (OutputRow | Error)[], runs: this.runs, rowRun: this.rowRun });
      return;
    }
    // Every run of a packed job failed: no outputs to copy, zeros under the errors.
    const outputs = this.#packed ?? [];
    this.#resolve({ outputs, runs: this.runs, rowRun: this.rowRun, ...(this.#failures ? { failures: this.#failures } : {}) });
  }
}
