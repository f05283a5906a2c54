/**
 * The real inference worker, instrumented for tests: before the real worker (imported below,
 * listening second) sees a batch, this listener counts it into the model's probe (probe.ts) and
 * acts on marker rows (first feature):
 *   HOLD_MARKER, with the probe's hold armed: blocks this thread until the test releases it, or
 *     exits (code 70) while holding the run when the test kills it;
 *   CRASH_MARKER: exits at once (code 70), as a native crash in onnxruntime would;
 *   HANG_MARKER: blocks this thread for HANG_MS, as a native run that hangs would.
 * Failed runs are counted from the answers the real worker posts.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { WorkerRequest, WorkerResponse, WorkerSetup } from '../../src/inference/execution/inference-worker.ts';
import {
  ARMED,
  FAILED_RUNS,
  GATE,
  HOLD_MARKER,
  HOLDING,
  hasMarker,
  KILL,
  ROWS,
  RUNS,
  SIZE_SLOTS,
  SIZES,
  takeGate,
} from './probe-memory.ts';

/** Exactly representable in float32, inside the first feature's range of the shipped models. */
export const CRASH_MARKER = 4321.5;
export const HANG_MARKER = 4322.5;
/** Long past any test's run timeout; the blocked thread is retired and exits with its test file. */
export const HANG_MS = 30_000;

// Imported by tests for the markers: only a worker thread runs the rest.
if (!isMainThread) {
  const { probe } = workerData as WorkerSetup & { probe?: Int32Array };
  const port = parentPort!;
  if (probe) {
    // Answers go through postMessage: count the failed ones on their way out.
    const post = port.postMessage.bind(port) as (message: WorkerResponse, transfer?: unknown) => void;
    port.postMessage = ((message: WorkerResponse, transfer?: unknown) => {
      if ('error' in message) Atomics.add(probe, FAILED_RUNS, 1);
      post(message, transfer);
    }) as typeof port.postMessage;
  }
  port.on('message', (request: WorkerRequest) => {
    if ('stop' in request) return;
    const { batch } = request;
    const rows = batch.rows;
    if (probe) {
      const index = Atomics.add(probe, RUNS, 1);
      Atomics.add(probe, ROWS, rows);
      Atomics.store(probe, SIZES + (index % SIZE_SLOTS), rows);
      if (Atomics.load(probe, GATE) === ARMED && hasMarker(batch, HOLD_MARKER)) {
        Atomics.store(probe, HOLDING, 1);
        Atomics.notify(probe, HOLDING);
        Atomics.wait(probe, GATE, ARMED);
        if (takeGate(probe) === KILL) process.exit(70);
      }
    }
    if (hasMarker(batch, CRASH_MARKER)) process.exit(70);
    // Blocks this thread synchronously, like a native call that does not return.
    if (hasMarker(batch, HANG_MARKER)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HANG_MS);
  });
  await import('../../src/inference/execution/inference-worker.ts');
}
