/**
 * An inference worker with a fault: a batch holding a row whose first feature (payloadKb) is
 * CRASH_MARKER ends the worker thread at once, as a native crash in onnxruntime would, before the
 * real worker (imported below, listening second) sees it. Every other batch runs as usual.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { WorkerRequest, WorkerSetup } from '../../src/inference/scheduler/inference-worker.ts';

/** Exactly representable in float32, inside payloadKb's range [0, 10240]. */
export const CRASH_MARKER = 4321.5;

// Imported by the test for CRASH_MARKER: only a worker thread runs the rest.
if (!isMainThread) {
  const { width } = workerData as WorkerSetup;
  parentPort!.on('message', (request: WorkerRequest) => {
    if ('stop' in request) return;
    for (let r = 0; r < request.rows; r++) if (request.packed[r * width] === CRASH_MARKER) process.exit(70);
  });
  await import('../../src/inference/scheduler/inference-worker.ts');
}
