/**
 * The one way a packed batch goes through an onnxruntime session, on the JS thread
 * (ModelSession.run) and on a worker thread (inference-worker.ts) alike: build the input
 * tensors, run fetching only the outputs some prediction field reads, and hand their data back.
 * The row codec checks the outputs' sizes when it unpacks them.
 */
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { ModelRunError } from '../scheduler/scheduler-errors.ts';
import type { NumericArray, PackedBatch, PackedOutputs } from '../tensors.ts';

export async function runBatch(session: InferenceSession, batch: PackedBatch, fetches: readonly string[]): Promise<PackedOutputs> {
  const feeds: Record<string, Tensor> = {};
  for (const input of batch.inputs) feeds[input.name] = new Tensor(input.dtype, input.data, [batch.rows, ...input.dims]);
  let results: InferenceSession.OnnxValueMapType;
  try {
    results = await session.run(feeds, [...fetches]);
  } catch (error) {
    throw new ModelRunError((error as Error).message ?? String(error));
  }
  return {
    outputs: fetches.map((name) => {
      const data = results[name]?.data;
      // Strings are a label tensor's: the codec decodes them to class indices (row-codec.ts).
      if (data === undefined || (!ArrayBuffer.isView(data) && !Array.isArray(data)))
        throw new Error(`the run returned no tensor output "${name}"`);
      return { name, data: data as NumericArray | string[] };
    }),
  };
}

/**
 * The buffers a batch or its outputs can hand to another thread without copying: those an array
 * spans whole (a view on part of a buffer may share it with arrays that stay: it is cloned).
 */
export function transferables(arrays: readonly unknown[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const a of arrays) {
    if (!ArrayBuffer.isView(a) || !(a.buffer instanceof ArrayBuffer) || buffers.includes(a.buffer)) continue;
    if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) buffers.push(a.buffer);
  }
  return buffers;
}

/** The array alone in its buffer (a view on a larger one is copied), so it can be transferred; strings are cloned anyway. */
export function owned<T extends NumericArray | string[]>(data: T): T {
  if (Array.isArray(data)) return data;
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : (data.slice() as T);
}
