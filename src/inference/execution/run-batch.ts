/**
 * The one way a packed batch goes through an onnxruntime session, on the JS thread
 * (ModelSession.run) and on a worker thread (inference-worker.ts) alike: build the input tensor,
 * run, and check that the output is the float32 [rows, outWidth] the manifest promised.
 */
import { type InferenceSession, Tensor } from 'onnxruntime-node';

/** Where a model's batch goes in and comes out: what both threads need to know of its manifest. */
export interface BatchSpec {
  /** For messages: the model file. */
  modelFile: string;
  inputName: string;
  outputName: string;
  /** Features per row. */
  width: number;
  /** Outputs per row. */
  outWidth: number;
}

export async function runBatch(session: InferenceSession, spec: BatchSpec, packed: Float32Array, rows: number): Promise<Float32Array> {
  const feeds = { [spec.inputName]: new Tensor('float32', packed, [rows, spec.width]) };
  const results = await session.run(feeds);
  const data = results[spec.outputName]?.data;
  if (!(data instanceof Float32Array)) throw new Error(`${spec.modelFile}: the run returned no float32 output "${spec.outputName}"`);
  if (data.length !== rows * spec.outWidth) {
    throw new Error(`${spec.modelFile}: output "${spec.outputName}" holds ${data.length} values, expected ${rows} × ${spec.outWidth}`);
  }
  return data;
}
