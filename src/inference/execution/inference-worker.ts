/**
 * Worker-thread entry: owns one onnxruntime session and runs batches posted by WorkerExecutor,
 * so that the synchronous native run() blocks this thread instead of the server's event loop.
 * Buffers move in both directions by transfer, not copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession } from 'onnxruntime-node';
import { ModelRunError } from '../scheduler/scheduler-errors.ts';
import type { PackedBatch, PackedOutputs } from '../tensors.ts';
import { owned, runBatch, transferables } from './run-batch.ts';

export interface WorkerSetup {
  modelFile: string;
  /** The bytes to load instead of model.onnx's, when the loader rewrote them (model-session.ts). */
  modelBytes?: Uint8Array;
  sessionOptions: InferenceSession.SessionOptions;
  /** The outputs a run fetches (those some prediction field reads), in order. */
  fetches: string[];
}

/** A batch to run, or `stop`: exit once the runs under way have returned (see WorkerExecutor.terminate). */
export type WorkerRequest = { id: number; batch: PackedBatch } | { stop: true };
export type WorkerResponse =
  | { id: number; outputs: PackedOutputs }
  /** `modelRun`: onnxruntime itself refused the batch (a ModelRunError), not something around it. */
  | { id: number; error: string; modelRun?: true }
  | { ready: true }
  | { fatal: string };

const setup = workerData as WorkerSetup;
const port = parentPort!;

try {
  const session = setup.modelBytes
    ? await InferenceSession.create(setup.modelBytes, setup.sessionOptions)
    : await InferenceSession.create(setup.modelFile, setup.sessionOptions);
  let running = 0;
  let stopping = false;
  port.on('message', (request: WorkerRequest) => {
    if ('stop' in request) {
      stopping = true;
      if (running === 0) process.exit(0);
      return;
    }
    running++;
    // runBatch's errors (a malformed request included) fail this run alone: thrown here, they
    // would end the worker and every run it holds.
    runBatch(session, request.batch, setup.fetches)
      .then(
        (result) => {
          // An output may be a view on a larger native buffer; transfer only what is ours.
          const outputs = { outputs: result.outputs.map((o) => ({ name: o.name, data: owned(o.data) })) };
          const message: WorkerResponse = { id: request.id, outputs };
          port.postMessage(message, transferables(outputs.outputs.map((o) => o.data)));
        },
        (error: unknown) =>
          port.postMessage({
            id: request.id,
            error: (error as Error).message,
            ...(error instanceof ModelRunError ? { modelRun: true as const } : {}),
          } satisfies WorkerResponse),
      )
      .finally(() => {
        if (--running === 0 && stopping) process.exit(0);
      });
  });
  port.postMessage({ ready: true } satisfies WorkerResponse);
} catch (error) {
  port.postMessage({ fatal: (error as Error).message } satisfies WorkerResponse);
}
