/**
 * The owner thread's end of a GraphQL thread's prediction port: every job posted by its
 * RemotePredictor (one per model per request tick, packed there) is submitted to the owner's
 * InferenceService as it came, where the batchers merge it with the jobs of every other thread
 * (and the owner's own). The answer is the job's result as in process: its own output arrays
 * (transferred, never a run's shared buffers: job.ts), its runs, and each row's run. Times travel
 * on the process-wide clock (monotonic-clock.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { type InferenceService, type JobResult, OverloadedError, transferables } from '../inference/index.ts';
import { fromProcessMs, toProcessMs } from './monotonic-clock.ts';
import type { PredictMessage, PredictReply, SwitchedMessage } from './thread-messages.ts';

/** Serves `port`'s jobs from `service` until the port closes; `onSwitched` hears the thread's SwitchedMessages. */
export function servePredictions(port: MessagePort, service: InferenceService, onSwitched: (generation: number) => void = () => {}): void {
  port.on('message', (message: PredictMessage | SwitchedMessage) => {
    if ('switched' in message) {
      onSwitched(message.switched);
      return;
    }
    void predict(service, message).then(
      (reply) => port.postMessage(reply, reply.ok ? transferables([...reply.result.outputs, reply.result.rowRun]) : []),
      // predict() turns every failure into a reply; this is a bug, and the job must still settle.
      (error: unknown) => port.postMessage({ id: message.id, ok: false, refusal: { message: String(error) } } satisfies PredictReply),
    );
  });
}

// Private: one job through the service, packed as it came: the batcher copies it into batches and
// its answers out of them one block per tensor, never row by row.
async function predict(service: InferenceService, message: PredictMessage): Promise<PredictReply> {
  let result: JobResult;
  try {
    const model = service.servedModel(message.loadId);
    if (!model) throw new Error(`No model named "${message.model}" is served in version ${message.version}.`);
    result = await service.predict(model, model.codec.packedJob(message.rows, message.inputs, message.lengths), {
      requestId: message.requestId,
      enqueuedAtMs: fromProcessMs(message.enqueuedAtMs),
      ...(message.trace ? { traceContext: message.trace } : {}),
    });
  } catch (error) {
    const overload = error instanceof OverloadedError ? { reason: error.reason, retryAfterMs: error.retryAfterMs } : undefined;
    return { id: message.id, ok: false, refusal: { message: (error as Error).message, ...(overload ? { overload } : {}) } };
  }
  const runs = result.runs.map((run) => ({ ...run, startedAtMs: toProcessMs(run.startedAtMs) }));
  return { id: message.id, ok: true, result: { ...result, runs } };
}
