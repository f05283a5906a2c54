/**
 * The loaders' Predictor in a GraphQL thread: each job (one per model per request tick, packed by
 * the loader as in process) is posted to the owner thread over this thread's prediction port,
 * its arrays transferred; the owner's batchers merge it with every other thread's jobs
 * (prediction-bridge.ts). The answer is the job's result as in process, its runs' times converted
 * to this thread's clock (monotonic-clock.ts) for the inference report.
 */
import type { MessagePort } from 'node:worker_threads';
import { type JobMeta, type JobResult, type ModelRef, OverloadedError, type PackedBatch, transferables } from '../inference/index.ts';
import type { Predictor } from '../loaders/prediction-loaders.ts';
import { spanContextData } from '../opentelemetry/batch-spans.ts';
import { fromProcessMs, toProcessMs } from './monotonic-clock.ts';
import type { PredictMessage, PredictReply, SwitchedMessage } from './thread-messages.ts';

interface PendingJob {
  model: string;
  resolve: (result: JobResult) => void;
  reject: (error: Error) => void;
}

export class RemotePredictor implements Predictor {
  readonly #port: MessagePort;
  readonly #thread: number;
  readonly #pending = new Map<number, PendingJob>();
  /** Requests get numbers of their own: the owner counts distinct requests per run across threads. */
  readonly #requestIds = new WeakMap<object, number>();
  #nextRequest = 1;
  #nextJob = 1;
  #closed: string | undefined;

  constructor(port: MessagePort, thread: number) {
    this.#port = port;
    this.#thread = thread;
    port.on('message', (reply: PredictReply) => this.#settle(reply));
    // The owner closes the channel when the server shuts down: what is still pending is refused as
    // the owner's own batcher refuses work while closing (OVERLOADED, shutting-down), so a request
    // answers the same whichever thread served it, and a drain is not logged as failures.
    port.on('close', () => this.#refuseAll('the owner thread closed the prediction channel'));
  }

  /** Jobs posted and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  predict(ref: ModelRef, job: PackedBatch, meta: JobMeta): Promise<JobResult> {
    const model = ref.manifest.name;
    if (this.#closed) return Promise.reject(shuttingDown(model, this.#closed));
    if (job.rows === 0) return Promise.resolve({ outputs: [], runs: [], rowRun: new Int32Array(0) });
    const id = this.#nextJob++;
    const trace = spanContextData(meta.traceContext);
    const message: PredictMessage = {
      id,
      model,
      version: ref.version,
      loadId: ref.loadId,
      rows: job.rows,
      inputs: job.inputs.map((input) => input.data),
      ...(job.lengths ? { lengths: job.lengths } : {}),
      requestId: `${this.#thread}.${this.#requestNumber(meta.requestId)}`,
      enqueuedAtMs: toProcessMs(meta.enqueuedAtMs ?? performance.now()),
      ...(trace ? { trace } : {}),
    };
    return new Promise<JobResult>((resolve, reject) => {
      this.#pending.set(id, { model, resolve, reject });
      this.#port.postMessage(message, transferables([...message.inputs, message.lengths]));
    });
  }

  /** Tells the owner this thread serves the models of `generation` (after every job posted before). */
  switched(generation: number): void {
    if (!this.#closed) this.#port.postMessage({ switched: generation } satisfies SwitchedMessage);
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
    const { result } = reply;
    job.resolve({ ...result, runs: result.runs.map((run) => ({ ...run, startedAtMs: fromProcessMs(run.startedAtMs) })) });
  }

  #refuseAll(reason: string): void {
    this.#closed = reason;
    for (const [id, job] of this.#pending) {
      this.#pending.delete(id);
      job.reject(shuttingDown(job.model, reason));
    }
  }
}

// Private: the retry hint the owner's batcher gives its own shutting-down refusals (about one run).
const SHUTDOWN_RETRY_AFTER_MS = 1000;
const shuttingDown = (model: string, reason: string) =>
  new OverloadedError(`Model "${model}" is shutting down: ${reason}.`, 'shutting-down', SHUTDOWN_RETRY_AFTER_MS);
