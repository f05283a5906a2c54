/**
 * An ONNX file's graph, read and rewritten for serving: bytes in, facts and bytes out. The file
 * on disk is never touched; the caller (the model loader, `model:add`) decides what the facts
 * mean for a manifest.
 *
 * - readOnnxGraph: the graph's inputs and outputs (tensor, sequence, map; element types; shapes),
 *   the class labels a classifier states and the outputs they belong to, and the categories of
 *   inputs the graph one-hot or label encodes.
 * - rewriteForServing: the same facts, plus bytes onnxruntime-node can serve: every ZipMap output
 *   becomes the float [N, C] tensor the ZipMap read, under the same name.
 *
 * Only the main graph is read: subgraphs (If, Loop, Scan) and functions are kept as they are.
 */
import { type ClassLabels, classLabels } from './class-labels.ts';
import { GraphIndex } from './graph-index.ts';
import { type InputCategories, inputCategories } from './input-categories.ts';
import { decodeModel, encodeModel, type GraphProto, type ModelProto } from './onnx-schema.ts';
import { type OutputChange, rewriteOutputs, type UnservableOutput } from './serving-rewrite.ts';
import { type GraphValue, graphValue } from './value-types.ts';

export type { ClassLabels, LabelList } from './class-labels.ts';
export type { CategoryList, InputCategories } from './input-categories.ts';
export type { OutputChange, UnservableOutput } from './serving-rewrite.ts';
export { type Dim, describeType, type ElementType, type GraphValue, type ValueType } from './value-types.ts';

export interface OnnxGraph {
  /** The inputs a caller feeds (initializers listed as inputs are left out), in the file's order. */
  inputs: GraphValue[];
  /**
   * The outputs as the file declares them. onnxruntime's outputMetadata can be more precise: it
   * runs shape inference, so where torch.onnx.export wrote a symbolic 'Reshapequantiles_dim_1' it
   * says 4. Prefer the session's metadata for tensor shapes, this for what is not a tensor.
   */
  outputs: GraphValue[];
  classes: ClassLabels[];
  categories: InputCategories[];
  /**
   * The operator that computes each graph output, through Identity nodes ('Sigmoid', 'Softmax',
   * 'Gemm', ...): what an output means when no classifier node says (a one-column sigmoid is a
   * binary class).
   */
  outputOps: Record<string, string>;
}

export interface ServingModel {
  /** The bytes to give InferenceSession.create: the caller's own when nothing changed. */
  bytes: Uint8Array;
  /** The graph as the file has it (ZipMaps included: their labels are facts of the model). */
  graph: OnnxGraph;
  /** The outputs of `bytes`: rewritten ones are tensors now. */
  outputs: GraphValue[];
  changes: OutputChange[];
  /** Non-tensor outputs left as they were: onnxruntime-node cannot fetch them. */
  unservable: UnservableOutput[];
}

/** The bytes are not an ONNX model: protobuf that does not decode, or no graph. */
export class OnnxFileError extends Error {
  override name = 'OnnxFileError';
}

export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  return facts(new GraphIndex(graphOf(decode(bytes))));
}

export function rewriteForServing(bytes: Uint8Array): ServingModel {
  const model = decode(bytes);
  const index = new GraphIndex(graphOf(model));
  const graph = facts(index);
  const { changes, unservable } = rewriteOutputs(model, index);
  return {
    bytes: changes.length === 0 ? bytes : encodeModel(model, bytes.byteLength),
    graph,
    outputs: index.graph.output.map(graphValue),
    changes,
    unservable,
  };
}

// Private: the facts come before the rewrite, which drops the ZipMaps they read.
function facts(index: GraphIndex): OnnxGraph {
  return {
    inputs: index.feedInputs().map(graphValue),
    outputs: index.graph.output.map(graphValue),
    classes: classLabels(index),
    categories: inputCategories(index),
    outputOps: Object.fromEntries(index.graph.output.flatMap((o) => (opOf(index, o.name) ? [[o.name, opOf(index, o.name)!]] : []))),
  };
}

// Private: the producer of `value`, looking through Identity nodes (torch.onnx.export names its outputs with one).
function opOf(index: GraphIndex, value: string): string | undefined {
  let node = index.producer(value);
  for (let hops = 0; node?.opType === 'Identity' && hops < 8; hops++) node = index.producer(node.input[0] ?? '');
  return node?.opType;
}

function decode(bytes: Uint8Array): ModelProto {
  try {
    return decodeModel(bytes);
  } catch (error) {
    throw new OnnxFileError(`is not an ONNX model: its protobuf does not decode (${(error as Error).message})`);
  }
}

function graphOf(model: ModelProto): GraphProto {
  if (!model.graph || model.graph.node.length === 0) throw new OnnxFileError('is not an ONNX model: it has no graph (no nodes)');
  return model.graph;
}
