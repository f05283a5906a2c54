/**
 * The loaders' Predictor in a GraphQL thread: each job (one per model per request tick, as in
 * process) is packed here, one buffer per input tensor, and posted to the owner thread over this
 * thread's prediction port; the owner's batchers merge it with every other thread's jobs
 * (prediction-bridge.ts). The answer comes back as this job's rows only, with the runs that served
 * it, their times converted to this thread's clock (monotonic-clock.ts) for the inference report.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  type EncodedRow,
  type JobMeta,
  type JobResult,
  type ModelRegistry,
  type ModelView,
  type OutputRow,
  OverloadedError,
  transferables,
} from '../inference/index.ts';
import type { Predictor } from '../loaders/prediction-loaders.ts';
import { spanContextData } from '../opentelemetry/batch-spans.ts';
import { fromProcessMs, toProcessMs } from './monotonic-clock.ts';
import type { PredictMessage, PredictReply } from './thread-messages.ts';

interface PendingJob {
  model: ModelView;
  rows: number;
  resolve: (result: JobResult) => void;
  reject: (error: Error) => void;
}

export class RemotePredictor implements Predictor {
  readonly #port: MessagePort;
  readonly #registry: ModelRegistry<ModelView>;
  readonly #thread: number;
  readonly #pending = new Map<number, PendingJob>();
  /** Requests get numbers of their own: the owner counts distinct requests per run across threads. */
  readonly #requestIds = new WeakMap<object, number>();
  #nextRequest = 1;
  #nextJob = 1;
  #closed: string | undefined;

  constructor(port: MessagePort, registry: ModelRegistry<ModelView>, thread: number) {
    this.#port = port;
    this.#registry = registry;
    this.#thread = thread;
    port.on('message', (reply: PredictReply) => this.#settle(reply));
    // The owner is gone (the process is ending): nothing will answer.
    port.on('close', () => this.#failAll('the owner thread closed the prediction channel'));
  }

  /** Jobs posted and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  predict(model: string, rows: readonly EncodedRow[], meta: JobMeta): Promise<JobResult> {
    const view = this.#registry.get(model);
    if (!view) return Promise.reject(new Error(`No model named "${model}".`));
    if (this.#closed) return Promise.reject(new Error(`Model "${model}" cannot run: ${this.#closed}.`));
    if (rows.length === 0) return Promise.resolve({ outputs: [], runs: [], rowRun: new Int32Array(0) });
    const id = this.#nextJob++;
    // Packed here, on this thread: the owner copies each job's block into the batch, never row by row.
    const { inputs } = view.codec.pack(rows);
    const trace = spanContextData(meta.traceContext);
    const message: PredictMessage = {
      id,
      model,
      rows: rows.length,
      inputs: inputs.map((input) => input.data),
      requestId: `${this.#thread}.${this.#requestNumber(meta.requestId)}`,
      enqueuedAtMs: toProcessMs(meta.enqueuedAtMs ?? performance.now()),
      ...(trace ? { trace } : {}),
    };
    return new Promise<JobResult>((resolve, reject) => {
      this.#pending.set(id, { model: view, rows: rows.length, resolve, reject });
      this.#port.postMessage(message, transferables(message.inputs));
    });
  }

  #requestNumber(requestId: unknown): number | string {
    if (typeof requestId !== 'object' || requestId === null) return String(requestId);
    let n = this.#requestIds.get(requestId);
    if (n === undefined) {
      n = this.#nextRequest++;
      this.#requestIds.set(requestId, n);
    }
    return n;
  }

  #settle(reply: PredictReply): void {
    const job = this.#pending.get(reply.id);
    if (!job) return;
    this.#pending.delete(reply.id);
    if (!reply.ok) {
      const { message, overload } = reply.refusal;
      job.reject(overload ? new OverloadedError(message, overload.reason, overload.retryAfterMs) : new Error(message));
      return;
    }
    let outputs: (OutputRow | Error)[];
    try {
      const names = job.model.codec.layout.outputs.map((t) => t.name);
      // No output arrays: every run of the job failed, and every row gets its error below.
      outputs =
        reply.outputs.length === 0 && reply.failures
          ? new Array(job.rows)
          : job.model.codec.unpack({ outputs: reply.outputs.map((data, i) => ({ name: names[i]!, data })) }, job.rows);
    } catch (error) {
      job.reject(error as Error);
      return;
    }
    if (reply.failures) {
      // One Error per failed run, shared by its rows, as in process: the loader logs each once.
      const errors = reply.failures.messages.map((message) => Object.assign(new Error(message), { name: 'RunFailedError' }));
      reply.failures.rowFailure.forEach((failure, row) => {
        if (failure >= 0) outputs[row] = errors[failure]!;
      });
    }
    const runs = reply.runs.map((run) => ({ ...run, startedAtMs: fromProcessMs(run.startedAtMs) }));
    job.resolve({ outputs, runs, rowRun: reply.rowRun });
  }

  #failAll(reason: string): void {
    this.#closed = reason;
    for (const [id, job] of this.#pending) {
      this.#pending.delete(id);
      job.reject(new Error(`Model "${job.model.manifest.name}" did not answer: ${reason}.`));
    }
  }
}
