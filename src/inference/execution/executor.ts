/**
 * Where a batch of rows runs. Both executors concatenate the batch's parts of jobs and check the outputs
 * on the JS thread with the model's codec; the in-thread executor calls the session there
 * (onnxruntime-node's run() is synchronous native code: it blocks the event loop for the whole
 * run), the worker executor (worker-executor.ts) posts the packed batch to a worker thread.
 */
import type { BatchOutputs, RowsPart } from '../packed-rows.ts';
import type { ModelRunner } from './model-session.ts';

export interface BatchExecutor {
  /** "main" or "worker": reported in tracing and metrics. */
  readonly kind: 'main' | 'worker';
  /** Runs the parts' rows as one batch; its outputs hold one row per input row, in order. */
  run(parts: readonly RowsPart[]): Promise<BatchOutputs>;
  close(): Promise<void>;
}

export class InThreadExecutor implements BatchExecutor {
  readonly kind = 'main' as const;
  readonly #model: ModelRunner;

  constructor(model: ModelRunner) {
    this.#model = model;
  }

  async run(parts: readonly RowsPart[]): Promise<BatchOutputs> {
    const { codec } = this.#model;
    // A run of one whole job runs on the job's own arrays (concatParts): nothing is copied.
    const batch = codec.concat(parts);
    return codec.outputs(await this.#model.run(batch), batch.rows, batch.lengths);
  }

  async close(): Promise<void> {}
}
