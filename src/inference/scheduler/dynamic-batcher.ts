/**
 * One model's dynamic batcher, in the spirit of Triton's DynamicBatchScheduler: jobs from many
 * requests queue here and are merged into runs of at most maxBatchSize rows. An idle model runs
 * at the end of the current event-loop turn (no timer, unless maxQueueDelayMs asks for one); a
 * busy model's queue is merged into the next run the moment the current one ends.
 *
 * Knows nothing of GraphQL: the queue (PendingQueue), batch assembly (batch-assembly.ts) and
 * execution (BatchExecutor) are separate pieces.
 */

import type { BatchExecutor } from '../execution/executor.ts';
import { type BatchOutputs, tokenCounts } from '../packed-rows.ts';
import type { PackedBatch } from '../tensors.ts';
import { type AssembledBatch, assembleBatch } from './batch-assembly.ts';
import { Job, type JobMeta, type JobResult, type RunRecord } from './job.ts';
import { PendingQueue, type Slice } from './pending-queue.ts';
import { ModelRunError, OverloadedError, RunFailedError } from './scheduler-errors.ts';
import { getValidSchedulerOptions, type SchedulerOptions } from './scheduler-options.ts';

export interface BatcherModel {
  name: string;
  /** The model version it runs (ModelView.version): every run and record of this batcher carries it. */
  version: number;
  /** The load it runs (ModelView.loadId). */
  loadId: number;
  executionProvider: string;
  /** The most rows the model itself takes in one run, and why (a batch axis fixed to 1); it bounds maxBatchSize. */
  rowLimit?: { rows: number; reason: string };
  /** A text model whose runs are padded to this many tokens (the fixed-length baseline), not to their longest row. */
  padTo?: number;
}

export interface BatcherCounters {
  runs: number;
  items: number;
  failedRuns: number;
  failedItems: number;
  refusedJobs: number;
  /** Rows of the refused jobs. */
  refusedItems: number;
  /** A text model's real tokens run, and the tokens run once padded to each run's longest row. */
  tokens: number;
  paddedTokens: number;
}

export interface RunObservation extends Omit<RunRecord, 'items' | 'queueMs'> {
  /** Queue wait of each job in the run, one entry per slice. */
  queueMs: number[];
  /** The distinct `traceContext`s of the jobs in the run (those that gave one), in slice order. */
  traceContexts: unknown[];
}

export class DynamicBatcher {
  readonly model: BatcherModel;
  readonly options: SchedulerOptions;
  readonly #executor: BatchExecutor;
  readonly #queue = new PendingQueue();
  readonly #onRun: ((run: RunObservation) => void) | undefined;
  readonly #counters: BatcherCounters = {
    runs: 0,
    items: 0,
    failedRuns: 0,
    failedItems: 0,
    refusedJobs: 0,
    refusedItems: 0,
    tokens: 0,
    paddedTokens: 0,
  };
  #running = false;
  #dispatchScheduled = false;
  /** The maxQueueDelayMs timer of an idle model waiting for more work, while it runs. */
  #delayTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set by flush(): no more waiting for work (shutting down). */
  #noDelay = false;
  #closing = false;
  #idleWaiters: (() => void)[] = [];
  static #nextRunId = 1;

  constructor(
    model: BatcherModel,
    executor: BatchExecutor,
    options: Partial<SchedulerOptions> = {},
    onRun?: (run: RunObservation) => void,
  ) {
    this.model = model;
    const valid = getValidSchedulerOptions(options);
    this.options = model.rowLimit ? { ...valid, maxBatchSize: Math.min(valid.maxBatchSize, model.rowLimit.rows) } : valid;
    this.#executor = executor;
    this.#onRun = onRun;
  }

  get executorKind(): string {
    return this.#executor.kind;
  }

  /** Where the runs go (operations and fault tests: e.g. WorkerExecutor.terminate). */
  get executor(): BatchExecutor {
    return this.#executor;
  }

  /** Rows waiting (not yet in a run). */
  get queuedRows(): number {
    return this.#queue.rows;
  }

  /** Runs under way (0 or 1: one model runs one batch at a time). */
  get inFlightRuns(): number {
    return this.#running ? 1 : 0;
  }

  counters(): BatcherCounters {
    return { ...this.#counters };
  }

  /** Queues a job; resolves once each row is answered or its run has failed. Refuses at once when full. */
  submit(rows: PackedBatch, meta: JobMeta): Promise<JobResult> {
    const size = rows.rows;
    if (this.#closing) return Promise.reject(this.#refusal('shutting-down', `Model "${this.model.name}" is shutting down.`, size));
    if (size === 0) return Promise.resolve({ outputs: [], runs: [], rowRun: new Int32Array(0) });
    const { maxQueueSize, queueTimeoutMs } = this.options;
    if (this.#queue.rows + size > maxQueueSize) {
      return Promise.reject(
        this.#refusal(
          'queue-full',
          `Model "${this.model.name}" is overloaded: ${this.#queue.rows} row(s) are queued and ${size} ` +
            `more would pass maxQueueSize ${maxQueueSize}.`,
          size,
        ),
      );
    }
    const job = new Job(rows, meta);
    this.#queue.push(job);
    if (queueTimeoutMs > 0) job.timeout = setTimeout(() => this.#expire(job), queueTimeoutMs).unref();
    // A full batch does not wait out maxQueueDelayMs (Triton dispatches it at once too).
    if (this.#delayTimer && this.#queue.rows >= this.options.maxBatchSize) this.#dispatchNow();
    else this.#schedule();
    return job.promise;
  }

  /**
   * Stops waiting for more work: what is queued runs now, and maxQueueDelayMs no longer applies.
   * Called when the server starts draining, so that shutting down never waits on a batching delay.
   */
  flush(): void {
    this.#noDelay = true;
    if (this.#delayTimer) this.#dispatchNow();
  }

  /** Stops taking jobs; resolves when queued and running work has finished. */
  async close(): Promise<void> {
    this.#closing = true;
    this.flush();
    if (this.#running || !this.#queue.isEmpty) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await this.#executor.close();
  }

  #refusal(reason: OverloadedError['reason'], message: string, rows: number): OverloadedError {
    this.#counters.refusedJobs++;
    this.#counters.refusedItems += rows;
    // Suggest waiting about one run's worth; a full queue drains at the model's pace.
    return new OverloadedError(message, reason, 1000);
  }

  #expire(job: Job): void {
    if (job.settled || job.nextRow > 0) return; // already running: let it finish
    this.#queue.remove(job);
    if (!this.#running && this.#queue.isEmpty) this.#notifyIdle();
    job.refuse(
      this.#refusal(
        'queue-timeout',
        `Model "${this.model.name}" is overloaded: the job waited more than queueTimeoutMs ${this.options.queueTimeoutMs} ms.`,
        job.size,
      ),
    );
  }

  // Private: arrange one dispatch. Idle: at the end of this event-loop turn (setImmediate lets every
  // request whose loader dispatches in this turn join), or after maxQueueDelayMs if set and the
  // batch is not yet full. Busy: the run's end schedules the next one.
  #schedule(): void {
    if (this.#running || this.#dispatchScheduled || this.#queue.isEmpty) return;
    this.#dispatchScheduled = true;
    const { maxQueueDelayMs, maxBatchSize } = this.options;
    const waits = maxQueueDelayMs > 0 && !this.#noDelay && this.#queue.rows < maxBatchSize;
    const waitMs = waits ? this.#queue.oldest()!.enqueuedAtMs + maxQueueDelayMs - performance.now() : 0;
    if (waitMs > 0) {
      this.#delayTimer = setTimeout(() => this.#dispatch(), waitMs);
    } else setImmediate(() => this.#dispatch());
  }

  // Private: replaces a pending maxQueueDelayMs timer by a dispatch at the end of this turn.
  #dispatchNow(): void {
    clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    setImmediate(() => this.#dispatch());
  }

  #dispatch(): void {
    this.#dispatchScheduled = false;
    this.#delayTimer = undefined;
    if (this.#running) return;
    if (this.#queue.isEmpty) {
      // The queue can empty without a run (a queued job timed out): a close() may be waiting.
      this.#notifyIdle();
      return;
    }
    const slices = this.#queue.take(this.options.maxBatchSize, !this.options.mergeRequests, this.options.maxBatchTokens, this.model.padTo);
    this.#running = true;
    this.#runSlices(slices, { isolationRunsLeft: isolationBudget(slices) })
      .catch(() => {}) // #runSlices settles every slice itself; nothing may escape and stop the loop
      .finally(() => {
        this.#running = false;
        if (this.#queue.isEmpty) this.#notifyIdle();
        else this.#schedule();
      });
  }

  async #runSlices(slices: Slice[], budget: { isolationRunsLeft: number }): Promise<void> {
    const batch = assembleBatch(slices);
    const runId = DynamicBatcher.#nextRunId++;
    const startedAtMs = performance.now();
    let outputs: BatchOutputs | undefined;
    let failure: unknown;
    try {
      outputs = await this.#executor.run(batch.slices);
      if (outputs.rows !== batch.size) throw new RangeError(`The run gave ${outputs.rows} output rows for ${batch.size} rows`);
    } catch (error) {
      // Whatever went wrong (packing a malformed row included) fails these rows; none is left waiting.
      outputs = undefined;
      failure = error;
    }
    const computeMs = performance.now() - startedAtMs;
    if (outputs) {
      this.#record(runId, batch, startedAtMs, computeMs);
      const answered = outputs;
      let at = 0;
      settleInTurns(
        batch.slices.map(({ job, start, count }) => {
          const offset = at;
          at += count;
          return () => job.complete(start, count, answered, offset);
        }),
      );
      return;
    }
    const error = new RunFailedError(this.model.name, batch.size, failure);
    // onnxruntime refusing a run of one row: that row's values are what the model cannot take.
    const rejected = batch.size === 1 && failure instanceof ModelRunError;
    this.#record(runId, batch, startedAtMs, computeMs, error.message, rejected);
    if (this.options.isolateFailures && batch.size > 1 && budget.isolationRunsLeft >= 2) {
      // One bad row must not fail its neighbours: re-run each half until the failing rows are alone.
      // The budget (enough to corner a few bad rows) stops a model that fails everything from
      // turning one failed run into thousands.
      budget.isolationRunsLeft -= 2;
      const [left, right] = halve(batch);
      await this.#runSlices(left, budget);
      await this.#runSlices(right, budget);
      return;
    }
    this.#counters.failedItems += batch.size;
    for (const { job, start, count } of batch.slices) job.complete(start, count);
  }

  #record(runId: number, batch: AssembledBatch, startedAtMs: number, computeMs: number, failure?: string, rejected = false): void {
    const c = this.#counters;
    const failed = failure !== undefined;
    c.runs++;
    c.items += batch.size;
    if (failed) c.failedRuns++;
    const tokens = tokenCounts(batch.slices, this.model.padTo);
    if (tokens) {
      c.tokens += tokens.real;
      c.paddedTokens += tokens.padded;
    }
    const common = {
      runId,
      model: this.model.name,
      version: this.model.version,
      size: batch.size,
      requests: batch.requests,
      startedAtMs,
      computeMs,
      executor: this.#executor.kind,
      executionProvider: this.model.executionProvider,
      failed,
      ...(failed ? { failure } : {}),
      ...(rejected ? { rejected } : {}),
      ...(this.model.rowLimit ? { limit: this.model.rowLimit.reason } : {}),
      ...(tokens ? { tokens: { real: tokens.real, padded: tokens.padded } } : {}),
    };
    for (const { job, start, count } of batch.slices) {
      job.addRun({ ...common, items: count, queueMs: startedAtMs - job.enqueuedAtMs }, start, count);
    }
    if (!this.#onRun) return;
    const traceContexts = new Set<unknown>();
    for (const { job } of batch.slices) if (job.meta.traceContext !== undefined) traceContexts.add(job.meta.traceContext);
    this.#onRun({
      ...common,
      queueMs: batch.slices.map(({ job }) => startedAtMs - job.enqueuedAtMs),
      traceContexts: [...traceContexts],
    });
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

// Private: a merged run can answer dozens of requests. Settling them all at once would run every
// request's GraphQL completion and serialization in one uninterrupted burst (tens of ms with 64
// requests), stalling timers and I/O; one job per event-loop turn keeps each pause to one request's.
function settleInTurns(settlers: (() => void)[]): void {
  let i = 0;
  const next = (): void => {
    settlers[i++]!();
    if (i < settlers.length) setImmediate(next);
  };
  if (settlers.length > 0) next();
}

// Private: bisecting to one bad row takes 2·log2(rows) runs; allow for about two bad rows.
function isolationBudget(slices: readonly Slice[]): number {
  let rows = 0;
  for (const s of slices) rows += s.count;
  return 4 * Math.ceil(Math.log2(Math.max(rows, 2)));
}

// Private: split a batch's slices into two halves by rows (a slice may be cut in two).
function halve(batch: AssembledBatch): [Slice[], Slice[]] {
  let room = Math.ceil(batch.size / 2);
  const left: Slice[] = [];
  const right: Slice[] = [];
  for (const slice of batch.slices) {
    if (room >= slice.count) {
      left.push(slice);
      room -= slice.count;
    } else if (room > 0) {
      left.push({ ...slice, count: room });
      right.push({ ...slice, start: slice.start + room, count: slice.count - room });
      room = 0;
    } else {
      right.push(slice);
    }
  }
  return [left, right];
}
