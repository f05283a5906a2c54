/**
 * The owner thread's end of a GraphQL thread's prediction port: every job posted by its
 * RemotePredictor is submitted to the owner's InferenceService, where the batchers merge it with
 * the jobs of every other thread (and the owner's own). The answer is this job's rows only, copied
 * into buffers of its own and transferred: a run's output tensors hold other jobs' rows, so they
 * are never transferred. Times travel on the process-wide clock (monotonic-clock.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { type InferenceService, type JobResult, OverloadedError, type RowCodec, transferables } from '../inference/index.ts';
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

// Private: one job through the service, as the in-process loaders' jobs go.
async function predict(service: InferenceService, message: PredictMessage): Promise<PredictReply> {
  const codec = service.registry.get(message.model)?.codec;
  if (!codec) return { id: message.id, ok: false, refusal: { message: `No model named "${message.model}".` } };
  let result: JobResult;
  try {
    const rows = codec.rowsOf({ rows: message.rows, inputs: message.inputs.map((data, i) => ({ ...inputShape(codec, i), data })) });
    result = await service.predict(message.model, rows, {
      requestId: message.requestId,
      enqueuedAtMs: fromProcessMs(message.enqueuedAtMs),
      ...(message.trace ? { traceContext: message.trace } : {}),
    });
  } catch (error) {
    const overload = error instanceof OverloadedError ? { reason: error.reason, retryAfterMs: error.retryAfterMs } : undefined;
    return { id: message.id, ok: false, refusal: { message: (error as Error).message, ...(overload ? { overload } : {}) } };
  }
  return reply(message.id, codec, result);
}

function inputShape(codec: RowCodec, i: number) {
  const t = codec.layout.inputs[i]!;
  return { name: t.name, dtype: t.dtype, dims: t.rank === 1 ? [] : [t.width] };
}

function reply(id: number, codec: RowCodec, result: JobResult): PredictReply {
  let failures: { messages: string[]; rowFailure: Int32Array } | undefined;
  // A failed run's rows share one Error: one message per failed run, as the loader logs them.
  const failureIndex = new Map<Error, number>();
  const answered = result.outputs.map((output, row) => {
    if (!(output instanceof Error)) return output;
    failures ??= { messages: [], rowFailure: new Int32Array(result.outputs.length).fill(-1) };
    let index = failureIndex.get(output);
    if (index === undefined) {
      index = failures.messages.push(output.message) - 1;
      failureIndex.set(output, index);
    }
    failures.rowFailure[row] = index;
    return undefined;
  });
  const runs = result.runs.map((run) => ({ ...run, startedAtMs: toProcessMs(run.startedAtMs) }));
  // rowRun is the job's own array (job.ts): transferring it takes nothing from another job.
  return { id, ok: true, outputs: codec.packOutputs(answered), runs, rowRun: result.rowRun, ...(failures ? { failures } : {}) };
}
