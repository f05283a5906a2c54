/**
 * The owner thread's end of a GraphQL thread's prediction port: every job posted by its
 * RemotePredictor is submitted to the owner's InferenceService, where the batchers merge it with
 * the jobs of every other thread (and the owner's own). The answer is this job's rows only, copied
 * into buffers of its own and transferred: a run's output tensors hold other jobs' rows, so they
 * are never transferred. Times travel on the process-wide clock (monotonic-clock.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { type InferenceService, OverloadedError, type PackedJobResult, transferables } from '../inference/index.ts';
import { fromProcessMs, toProcessMs } from './monotonic-clock.ts';
import type { PredictMessage, PredictReply } from './thread-messages.ts';

/** Serves `port`'s jobs from `service` until the port closes. */
export function servePredictions(port: MessagePort, service: InferenceService): void {
  port.on('message', (message: PredictMessage) => {
    void predict(service, message).then(
      (reply) => port.postMessage(reply, reply.ok ? transferables([...reply.outputs, reply.rowRun]) : []),
      // predict() turns every failure into a reply; this is a bug, and the job must still settle.
      (error: unknown) => port.postMessage({ id: message.id, ok: false, refusal: { message: String(error) } } satisfies PredictReply),
    );
  });
}

// Private: one job through the service, packed as it came: the batcher copies it into batches and
// its answers out of them one block per tensor, never row by row.
async function predict(service: InferenceService, message: PredictMessage): Promise<PredictReply> {
  const codec = service.registry.get(message.model)?.codec;
  if (!codec) return { id: message.id, ok: false, refusal: { message: `No model named "${message.model}".` } };
  let result: PackedJobResult;
  try {
    const inputs = codec.layout.inputs.map((t, i) => ({
      name: t.name,
      dtype: t.dtype,
      dims: t.rank === 1 ? [] : [t.width],
      data: message.inputs[i]!,
    }));
    if (
      message.inputs.length !== inputs.length ||
      inputs.some((input, i) => input.data.length !== message.rows * codec.layout.inputs[i]!.width)
    ) {
      throw new Error(`a job of ${message.rows} row(s) does not match the inputs of model "${message.model}"`);
    }
    result = await service.predictPacked(
      message.model,
      { rows: message.rows, inputs },
      {
        requestId: message.requestId,
        enqueuedAtMs: fromProcessMs(message.enqueuedAtMs),
        ...(message.trace ? { traceContext: message.trace } : {}),
      },
    );
  } catch (error) {
    const overload = error instanceof OverloadedError ? { reason: error.reason, retryAfterMs: error.retryAfterMs } : undefined;
    return { id: message.id, ok: false, refusal: { message: (error as Error).message, ...(overload ? { overload } : {}) } };
  }
  const runs = result.runs.map((run) => ({ ...run, startedAtMs: toProcessMs(run.startedAtMs) }));
  // outputs and rowRun are the job's own arrays (job.ts): transferring them takes nothing from another job.
  return { id: message.id, ok: true, outputs: result.outputs, runs, rowRun: result.rowRun, ...failuresOf(result.failures) };
}

// Private: one message per failed run (its rows share one Error), and per row its index there.
function failuresOf(failures: readonly (Error | undefined)[] | undefined): { failures?: { messages: string[]; rowFailure: Int32Array } } {
  if (!failures) return {};
  const messages: string[] = [];
  const index = new Map<Error, number>();
  const rowFailure = new Int32Array(failures.length).fill(-1);
  failures.forEach((error, row) => {
    if (!error) return;
    let i = index.get(error);
    if (i === undefined) {
      i = messages.push(error.message) - 1;
      index.set(error, i);
    }
    rowFailure[row] = i;
  });
  return { failures: { messages, rowFailure } };
}
