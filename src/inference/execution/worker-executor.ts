/**
 * Runs batches on a worker thread that holds its own session of the model. If the worker dies,
 * the runs it held fail (their rows get the run's error, nothing hangs) and the next run starts
 * a fresh worker. A run that does not return within `runTimeoutMs` (a native run that hangs)
 * fails the same way, and its worker is retired.
 */
import { Worker } from 'node:worker_threads';
import type { BatchOutputs, RowsPart } from '../packed-rows.ts';
import type { RowCodec } from '../row-codec.ts';
import { ModelRunError } from '../scheduler/scheduler-errors.ts';
import type { PackedOutputs } from '../tensors.ts';
import type { BatchExecutor } from './executor.ts';
import type { WorkerRequest, WorkerResponse, WorkerSetup } from './inference-worker.ts';
import { transferables } from './run-batch.ts';

const workerUrl = new URL('./inference-worker.ts', import.meta.url);

interface PendingRun {
  resolve: (outputs: PackedOutputs) => void;
  reject: (error: Error) => void;
  /** The worker the run was posted to: only its death fails the run. */
  worker: Worker;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface WorkerExecutorOptions {
  /** The worker script. Default the real one; fault tests hand in one that injects faults. */
  workerFile?: URL | undefined;
  /** Fail a run (and retire its worker) after this long; 0 = wait forever. */
  runTimeoutMs: number;
}

export class WorkerExecutor implements BatchExecutor {
  readonly kind = 'worker' as const;
  readonly #setup: WorkerSetup;
  readonly #codec: RowCodec;
  readonly #workerUrl: URL;
  readonly #runTimeoutMs: number;
  #worker: Worker | undefined;
  #ready: Promise<Worker> | undefined;
  readonly #pending = new Map<number, PendingRun>();
  #nextId = 1;
  #closed = false;
  /** Workers started so far (1 + restarts). */
  starts = 0;

  constructor(setup: WorkerSetup, codec: RowCodec, { workerFile = workerUrl, runTimeoutMs }: WorkerExecutorOptions) {
    if (!Number.isFinite(runTimeoutMs) || runTimeoutMs < 0) {
      throw new TypeError(`runTimeoutMs must be a non-negative number of milliseconds, but got: ${runTimeoutMs}`);
    }
    this.#setup = setup;
    this.#codec = codec;
    this.#workerUrl = workerFile;
    this.#runTimeoutMs = runTimeoutMs;
  }

  /** Starts the worker and waits until its session is loaded. */
  async start(): Promise<void> {
    await this.#getWorker();
  }

  async run(parts: readonly RowsPart[]): Promise<BatchOutputs> {
    if (this.#closed) throw new Error('The worker executor is closed.');
    const worker = await this.#getWorker();
    const id = this.#nextId++;
    // Concatenated into arrays of the run's own, so they move to the worker without a copy (the
    // job's arrays stay: a failed run's halves are re-run from them).
    const batch = this.#codec.concat(parts, { owned: true });
    const outputs = await new Promise<PackedOutputs>((resolve, reject) => {
      const timer = this.#runTimeoutMs > 0 ? setTimeout(() => this.#timeOut(worker), this.#runTimeoutMs) : undefined;
      this.#pending.set(id, { resolve, reject, worker, timer });
      const request: WorkerRequest = { id, batch };
      worker.postMessage(request, transferables(batch.inputs.map((input) => input.data)));
    });
    return this.#codec.outputs(outputs, batch.rows, batch.lengths);
  }

  /**
   * Retires the worker (test hook and last resort): its pending runs fail at once and the next run
   * starts a fresh worker. The old thread is asked to exit and does so as soon as onnxruntime
   * returns from the run it is in: `Worker.terminate()` during a native run aborts the whole
   * process ("terminate called after throwing an instance of 'Napi::Error'", onnxruntime-node
   * 1.30, measured). Resolves when the old thread has exited.
   */
  async terminate(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.#retire(worker, 'the inference worker was stopped');
    await exited;
  }

  // Private: a run past runTimeoutMs. Its worker may be stuck in native code: retire it (it exits
  // if the run ever returns) and fail its runs now; the next run starts a fresh worker.
  #timeOut(worker: Worker): void {
    this.#retire(worker, `a run took longer than runTimeoutMs ${this.#runTimeoutMs} ms; the inference worker was retired`);
  }

  #retire(worker: Worker, reason: string): void {
    if (this.#worker === worker) {
      this.#worker = undefined;
      this.#ready = undefined;
    }
    this.#failPending(worker, reason);
    worker.postMessage({ stop: true } satisfies WorkerRequest);
    // A retired thread may stay stuck in a native run: it must not keep the process alive.
    worker.unref();
  }

  /** After the batcher has gone idle (no native run in flight), so a hard terminate is safe. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    await worker?.terminate();
  }

  #getWorker(): Promise<Worker> {
    this.#ready ??= this.#startWorker();
    return this.#ready;
  }

  #startWorker(): Promise<Worker> {
    this.starts++;
    const worker = new Worker(this.#workerUrl, { workerData: this.#setup });
    this.#worker = worker;
    return new Promise<Worker>((resolve, reject) => {
      worker.on('message', (message: WorkerResponse) => {
        if ('ready' in message) resolve(worker);
        else if ('fatal' in message) {
          reject(new Error(`${this.#setup.modelFile}: the inference worker could not load the model (${message.fatal})`));
          void worker.terminate();
        } else this.#settle(message);
      });
      const onDeath = (reason: string) => {
        if (this.#worker === worker) {
          this.#worker = undefined;
          this.#ready = undefined;
        }
        reject(new Error(`The inference worker stopped before it was ready (${reason}).`));
        // 'error' and then 'exit' both report one death; by the second, a new worker may hold runs.
        this.#failPending(worker, `the inference worker stopped (${reason})`);
      };
      worker.on('error', (error) => onDeath(error.message));
      worker.on('exit', (code) => onDeath(`exit code ${code}`));
    });
  }

  #settle(message: { id: number; outputs: PackedOutputs } | { id: number; error: string; modelRun?: true }): void {
    const run = this.#pending.get(message.id);
    if (!run) return;
    this.#pending.delete(message.id);
    clearTimeout(run.timer);
    if ('outputs' in message) run.resolve(message.outputs);
    else run.reject(message.modelRun ? new ModelRunError(message.error) : new Error(message.error));
  }

  #failPending(worker: Worker, reason: string): void {
    for (const [id, run] of this.#pending) {
      if (run.worker !== worker) continue;
      this.#pending.delete(id);
      clearTimeout(run.timer);
      run.reject(new Error(reason));
    }
  }
}
