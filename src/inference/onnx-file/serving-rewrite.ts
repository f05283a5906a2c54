/**
 * Makes every graph output a tensor, where that is sound: onnxruntime-node cannot return a
 * sequence or a map ("Non tensor type is temporarily not supported"), and converters end
 * classifiers with a ZipMap, seq(map(label, float)), one map per row. The tensor the ZipMap reads
 * is the same scores, float [N, C] in the ZipMap's label order, so the ZipMap is replaced by an
 * Identity from that tensor to the output's name: callers fetch the output they knew, and its
 * ValueInfo says float32 [batch, C]. An Identity rather than renaming the ZipMap's input keeps the
 * graph valid when that tensor is also a graph output, a graph input or read by other nodes, and
 * onnxruntime removes it when it optimises the graph. Because the Identity reads what the ZipMap
 * read, every node that fed the ZipMap still feeds an output: only the ZipMap is dropped.
 *
 * Any other non-tensor output (a sequence from SequenceConstruct, a map from a custom op, a ZipMap
 * output that another node also reads) has no tensor to stand for it: it is reported, not changed.
 */
import { type LabelList, zipMapLabels } from './class-labels.ts';
import { type GraphIndex, ML_DOMAIN } from './graph-index.ts';
import type { DimensionProto, ModelProto, NodeProto, ValueInfoProto } from './onnx-schema.ts';
import { type Dim, describeType, graphValue, type ValueType, valueType } from './value-types.ts';

export interface OutputChange {
  output: string;
  from: ValueType;
  to: ValueType;
  /** The ZipMap node dropped ('' when unnamed), and its labels: the columns of the new tensor. */
  zipMap: string;
  labels: LabelList;
  /** e.g. "output_probability: seq(map(string, float32)) from ZipMap → float32 [N, 2] (labels cat, dog)". */
  description: string;
}

/** A graph output that is not a tensor and that the rewrite cannot make one. */
export interface UnservableOutput {
  output: string;
  type: ValueType;
  /** Says what the output is, where it comes from and why it stays: for the caller's refusal. */
  reason: string;
}

export interface OutputRewrite {
  changes: OutputChange[];
  unservable: UnservableOutput[];
}

const FLOAT = 1;
/** For a model with no default-domain opset (only ai.onnx.ml): Identity exists since opset 1; 7 is the oldest onnxruntime supports. */
const IDENTITY_OPSET = 7;

/** Rewrites `model` (decoded from the caller's bytes, not shared) in place; `index` is over its graph. */
export function rewriteOutputs(model: ModelProto, index: GraphIndex): OutputRewrite {
  const graph = index.graph;
  const changes: OutputChange[] = [];
  const unservable: UnservableOutput[] = [];
  const replaced = new Map<NodeProto, NodeProto>();
  const usedNames = new Set(graph.node.map((node) => node.name));
  graph.output = graph.output.map((output) => {
    const from = valueType(output.type);
    if (from.kind === 'tensor') return output;
    const producer = index.producer(output.name);
    const problem = zipMapProblem(index, output.name, producer);
    if (problem || !producer) {
      unservable.push({ output: output.name, type: from, reason: `${output.name} is ${describeType(from)} ${problem}` });
      return output;
    }
    const labels = zipMapLabels(index, producer)!;
    const scores = producer.input[0]!;
    const shape: Dim[] = [batchDim(index, scores), labels.values.length];
    const to: ValueType = { kind: 'tensor', elementType: 'float32', shape };
    replaced.set(producer, identity(scores, output.name, uniqueName(`${output.name}_from_zipmap`, usedNames)));
    changes.push({
      output: output.name,
      from,
      to,
      zipMap: producer.name,
      labels,
      description: `${output.name}: ${describeType(from)} from ZipMap → ${describeType(to)} (labels ${labels.values.join(', ')})`,
    });
    return tensorOutput(output, shape);
  });
  if (changes.length === 0) return { changes, unservable };
  graph.node = graph.node.map((node) => replaced.get(node) ?? node);
  // A value_info of the old type would contradict the new output's.
  const changed = new Set(changes.map((change) => change.output));
  graph.valueInfo = graph.valueInfo.filter((info) => !changed.has(info.name));
  if (!model.opsetImport.some((opset) => !opset.domain || opset.domain === 'ai.onnx')) {
    model.opsetImport = [...model.opsetImport, { domain: '', version: IDENTITY_OPSET }];
  }
  return { changes, unservable };
}

// Private: why the output cannot be replaced by its ZipMap's input ('' when it can).
function zipMapProblem(index: GraphIndex, output: string, producer: NodeProto | undefined): string {
  if (!producer) return 'and no node computes it (a graph input or an initializer): nothing to rewrite';
  const what = `from ${producer.opType}${producer.name ? ` '${producer.name}'` : ''}`;
  if (producer.opType !== 'ZipMap' || producer.domain !== ML_DOMAIN) {
    return `${what}: onnxruntime-node returns tensors only, and only a ZipMap's output can be rewritten to one`;
  }
  const readers = index.consumersOf(output);
  if (readers.length > 0) return `${what}, also read by ${readers.map((node) => node.opType).join(', ')}: the ZipMap cannot be dropped`;
  if (!producer.input[0]) return `${what} with no input`;
  if (!zipMapLabels(index, producer)) return `${what} with neither classlabels_strings nor classlabels_int64s`;
  return '';
}

/**
 * The batch axis of the scores: the ZipMap input's own first axis when the file states its
 * shape, else the first axis of the first input fed, else 'N'.
 */
function batchDim(index: GraphIndex, scores: string): Dim {
  const stated = index.graph.valueInfo.find((info) => info.name === scores) ?? index.graph.input.find((info) => info.name === scores);
  const first = (type: ValueType): Dim | undefined => (type.kind === 'tensor' ? type.shape?.[0] : undefined);
  const fed = index.feedInputs()[0];
  return (stated && first(valueType(stated.type))) ?? (fed && first(graphValue(fed).type)) ?? 'N';
}

function tensorOutput(output: ValueInfoProto, shape: Dim[]): ValueInfoProto {
  const dim: DimensionProto[] = shape.map((size) => (typeof size === 'number' ? { dimValue: size } : { dimParam: size ?? 'N' }));
  const replaced: ValueInfoProto = { name: output.name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
  if (output.docString) replaced.docString = output.docString;
  return replaced;
}

function identity(input: string, output: string, name: string): NodeProto {
  return { input: [input], output: [output], name, opType: 'Identity', domain: '', attribute: [] };
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
  used.add(name);
  return name;
}
