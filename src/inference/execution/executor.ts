/**
 * Where a packed batch runs. The in-thread executor calls the session on the JS thread (onnxruntime-node's
 * run() is synchronous native code: it blocks the event loop for the whole run); the worker
 * executor (worker-executor.ts) runs it on a worker thread.
 */
import type { ModelRunner } from './model-session.ts';

export interface BatchExecutor {
  /** "main" or "worker": reported in tracing and metrics. */
  readonly kind: 'main' | 'worker';
  /** Runs a packed [rows, features] batch; may take ownership of `packed` (worker transfer). */
  run(packed: Float32Array, rows: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export class InThreadExecutor implements BatchExecutor {
  readonly kind = 'main' as const;
  readonly #model: ModelRunner;

  constructor(model: ModelRunner) {
    this.#model = model;
  }

  run(packed: Float32Array, rows: number): Promise<Float32Array> {
    return this.#model.run(packed, rows);
  }

  async close(): Promise<void> {}
}
