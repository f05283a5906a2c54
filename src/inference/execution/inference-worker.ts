/**
 * Worker-thread entry: owns one onnxruntime session and runs batches posted by WorkerExecutor,
 * so that the synchronous native run() blocks this thread instead of the server's event loop.
 * Buffers move in both directions by transfer, not copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession } from 'onnxruntime-node';
import { type BatchSpec, runBatch } from './run-batch.ts';

export interface WorkerSetup extends BatchSpec {
  sessionOptions: InferenceSession.SessionOptions;
}

/** A batch to run, or `stop`: exit once the runs under way have returned (see WorkerExecutor.terminate). */
export type WorkerRequest = { id: number; packed: Float32Array; rows: number } | { stop: true };
export type WorkerResponse = { id: number; output: Float32Array } | { id: number; error: string } | { ready: true } | { fatal: string };

const setup = workerData as WorkerSetup;
const port = parentPort!;

try {
  const session = await InferenceSession.create(setup.modelFile, setup.sessionOptions);
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
    runBatch(session, setup, request.packed, request.rows)
      .then(
        (data) => {
          // The output may be a view on a larger native buffer; transfer only what is ours.
          const output = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
          port.postMessage({ id: request.id, output } satisfies WorkerResponse, [output.buffer as ArrayBuffer]);
        },
        (error: unknown) => port.postMessage({ id: request.id, error: (error as Error).message } satisfies WorkerResponse),
      )
      .finally(() => {
        if (--running === 0 && stopping) process.exit(0);
      });
  });
  port.postMessage({ ready: true } satisfies WorkerResponse);
} catch (error) {
  port.postMessage({ fatal: (error as Error).message } satisfies WorkerResponse);
}
