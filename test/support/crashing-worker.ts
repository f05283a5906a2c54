/**
 * An inference worker with faults: a batch holding a row whose first feature (payloadKb) is
 * CRASH_MARKER ends the worker thread at once, as a native crash in onnxruntime would; one holding
 * HANG_MARKER blocks the thread for HANG_MS, as a native run that hangs would. Both act before the
 * real worker (imported below, listening second) sees the batch. Every other batch runs as usual.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { WorkerRequest, WorkerSetup } from '../../src/inference/execution/inference-worker.ts';

/** Exactly representable in float32, inside payloadKb's range [0, 10240]. */
export const CRASH_MARKER = 4321.5;
export const HANG_MARKER = 4322.5;
/** Long past any test's run timeout, short enough that the blocked threads end with the test file. */
export const HANG_MS = 3000;

// Imported by the test for CRASH_MARKER: only a worker thread runs the rest.
if (!isMainThread) {
  const { width } = workerData as WorkerSetup;
  parentPort!.on('message', (request: WorkerRequest) => {
    if ('stop' in request) return;
    for (let r = 0; r < request.rows; r++) {
      const marker = request.packed[r * width];
      if (marker === CRASH_MARKER) process.exit(70);
      // Blocks this thread synchronously, like a native call that does not return.
      if (marker === HANG_MARKER) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HANG_MS);
    }
  });
  await import('../../src/inference/execution/inference-worker.ts');
}
