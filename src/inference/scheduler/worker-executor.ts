/**
 * Runs batches on a worker thread that holds its own session of the model. If the worker dies,
 * the runs it held fail (their rows get the run's error, nothing hangs) and the next run starts
 * a fresh worker.
 */
import { Worker } from 'node:worker_threads';
import type { BatchExecutor } from './executor.ts';
import type { WorkerRequest, WorkerResponse, WorkerSetup } from './inference-worker.ts';

const workerUrl = new URL('./inference-worker.ts', import.meta.url);

interface PendingRun {
  resolve: (output: Float32Array) => void;
  reject: (error: Error) => void;
}

export class WorkerExecutor implements BatchExecutor {
  readonly kind = 'worker' as const;
  readonly #setup: WorkerSetup;
  #worker: Worker | undefined;
  #ready: Promise<Worker> | undefined;
  readonly #pending = new Map<number, PendingRun>();
  #nextId = 1;
  #closed = false;
  /** Workers started so far (1 + restarts). */
  starts = 0;

  constructor(setup: WorkerSetup) {
    this.#setup = setup;
  }

  /** Starts the worker and waits until its session is loaded. */
  async start(): Promise<void> {
    await this.#getWorker();
  }

  async run(packed: Float32Array, rows: number): Promise<Float32Array> {
    if (this.#closed) throw new Error('The worker executor is closed.');
    const worker = await this.#getWorker();
    const id = this.#nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A view on a larger buffer cannot be transferred alone; copy it first (rare: batches are packed fresh).
      const owned = packed.byteOffset === 0 && packed.byteLength === packed.buffer.byteLength ? packed : packed.slice();
      worker.postMessage({ id, packed: owned, rows } satisfies WorkerRequest, [owned.buffer as ArrayBuffer]);
    });
  }

  /** Test hook and last resort: kills the worker; its pending runs fail, the next run restarts it. */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }

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
    const worker = new Worker(workerUrl, { workerData: this.#setup });
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
        this.#failPending(`the inference worker stopped (${reason})`);
      };
      worker.on('error', (error) => onDeath(error.message));
      worker.on('exit', (code) => onDeath(`exit code ${code}`));
    });
  }

  #settle(message: { id: number; output: Float32Array } | { id: number; error: string }): void {
    const run = this.#pending.get(message.id);
    if (!run) return;
    this.#pending.delete(message.id);
    if ('output' in message) run.resolve(message.output);
    else run.reject(new Error(message.error));
  }

  #failPending(reason: string): void {
    const runs = [...this.#pending.values()];
    this.#pending.clear();
    for (const run of runs) run.reject(new Error(reason));
  }
}
