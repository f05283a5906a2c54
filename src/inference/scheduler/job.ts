/**
 * A job: the rows one request's loader handed over in one go, packed (one array per input tensor),
 * whether it came from this thread or a GraphQL thread. It is served by one run, alone or with
 * other jobs, and split across runs only when it is larger than maxBatchSize (or a failed run is
 * re-run in halves); it settles once every row has an answer. The answer is packed too: one array
 * per fetched output holding the job's rows, and for each row the run that gave its final answer;
 * a row whose final run failed reads the failure on that run's record. One format, in process and
 * across threads.
 */

import type { BatchOutputs } from '../packed-rows.ts';
import type { NumericArray, PackedBatch } from '../tensors.ts';

export interface RunRecord {
  runId: number;
  model: string;
  /** The model version that ran it. */
  version: number;
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
  /** Why the run failed (for the log; never sent to clients). Present when `failed`. */
  failure?: string;
  /** A failed run of one row that onnxruntime refused: the row's input is at fault, not the model or the server. */
  rejected?: boolean;
  /** Why runs of this model hold fewer rows than maxBatchSize (the model fixes its batch axis). */
  limit?: string;
  /** A text model's run: its real tokens and the tokens it ran once padded to its longest row (rows × longest). */
  tokens?: { real: number; padded: number };
  /** Not a run: the job's rows answered from the response cache (response-cache.ts), runId -1. */
  cached?: true;
}

export interface JobResult {
  /**
   * One array per fetched output tensor holding the job's rows in order (arrays of the job's own:
   * they can be transferred); empty when no row was answered. Rows of failed runs hold zeros.
   */
  outputs: NumericArray[];
  /** Every run that held rows of this job, failed attempts included. */
  runs: RunRecord[];
  /** For each row, the index in `runs` of the run that gave its final answer (failed: the row failed). */
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
  readonly rows: PackedBatch;
  /** Rows in the job. */
  readonly size: number;
  readonly meta: JobMeta;
  readonly enqueuedAtMs: number;
  readonly runs: RunRecord[] = [];
  readonly rowRun: Int32Array;
  /** Index of the first row not yet taken into a batch. */
  nextRow = 0;
  #outputs: NumericArray[] | undefined;
  #pending: number;
  #resolve!: (result: JobResult) => void;
  #reject!: (error: Error) => void;
  readonly promise: Promise<JobResult>;
  settled = false;
  timeout: ReturnType<typeof setTimeout> | undefined;

  constructor(rows: PackedBatch, meta: JobMeta) {
    this.rows = rows;
    this.size = rows.rows;
    this.meta = meta;
    this.enqueuedAtMs = meta.enqueuedAtMs ?? performance.now();
    this.rowRun = new Int32Array(this.size);
    this.#pending = this.size;
    this.promise = new Promise<JobResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get remainingRows(): number {
    return this.size - this.nextRow;
  }

  /** A text job's longest row not yet taken into a batch (0 without a sequence axis). */
  get longestRemaining(): number {
    const lengths = this.rows.lengths;
    if (!lengths) return 0;
    let longest = 0;
    for (let r = this.nextRow; r < this.size; r++) if (lengths[r]! > longest) longest = lengths[r]!;
    return longest;
  }

  /** Notes that rows [start, start + count) were answered by `run`. */
  addRun(run: RunRecord, start: number, count: number): void {
    this.runs.push(run);
    this.rowRun.fill(this.runs.length - 1, start, start + count);
  }

  /**
   * Rows [start, start + count) are answered by rows [at, at + count) of `outputs`, or failed
   * (no outputs: their run's record says why).
   */
  complete(start: number, count: number, outputs?: BatchOutputs, at = 0): void {
    if (outputs) {
      if (!this.#outputs && count === this.size && count === outputs.rows) {
        // The run was this whole job: its arrays are the answer, no copy (the common case).
        this.#outputs = [...outputs.tensors];
      } else {
        this.#outputs ??= outputs.allocate(this.size);
        outputs.copyInto(this.#outputs, start, at, count);
      }
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
    this.#resolve({ outputs: this.#outputs ?? [], runs: this.runs, rowRun: this.rowRun });
  }
}
