/**
 * Where a batch of rows runs. Both executors pack the rows and unpack the outputs on the JS thread
 * with the model's codec; the in-thread executor calls the session there (onnxruntime-node's run()
 * is synchronous native code: it blocks the event loop for the whole run), the worker executor
 * (worker-executor.ts) posts the packed batch to a worker thread.
 */
import type { EncodedRow, OutputRow } from '../row-codec.ts';
import type { ModelRunner } from './model-session.ts';

export interface BatchExecutor {
  /** "main" or "worker": reported in tracing and metrics. */
  readonly kind: 'main' | 'worker';
  /** Runs `rows` as one batch; one output row per input row, in order. */
  run(rows: readonly EncodedRow[]): Promise<OutputRow[]>;
  close(): Promise<void>;
}

export class InThreadExecutor implements BatchExecutor {
  readonly kind = 'main' as const;
  readonly #model: ModelRunner;

  constructor(model: ModelRunner) {
    this.#model = model;
  }

  async run(rows: readonly EncodedRow[]): Promise<OutputRow[]> {
    const { codec } = this.#model;
    return codec.unpack(await this.#model.run(codec.pack(rows)), rows.length);
  }

  async close(): Promise<void> {}
}
