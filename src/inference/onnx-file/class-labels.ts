/**
 * A classifier's labels as the graph states them, in class order, and the graph outputs they
 * belong to. Converters put the labels on the ai.onnx.ml classifier node (TreeEnsembleClassifier,
 * LinearClassifier, SVMClassifier: output 0 is the label tensor [N], output 1 the scores [N, C])
 * and again on the ZipMap that turns the scores into one map per row (skl2onnx's and onnxmltools'
 * default). Between the node and the graph outputs they put Identity, Cast (int64 labels),
 * Normalizer (L1 over LinearClassifier scores) and the ZipMap: those are followed, nothing else.
 * A ZipMap no classifier node reaches (skl2onnx's MLPClassifier, naive Bayes, k-NN build their
 * scores from standard operators) is reported on its own, without a label output: the label
 * there is computed by ArgMax + ArrayFeatureExtractor, which this module does not interpret.
 */
import { type GraphIndex, ML_DOMAIN } from './graph-index.ts';
import type { NodeProto } from './onnx-schema.ts';

/** Values listed by a node attribute: class labels, or an encoder's categories. */
export type LabelList = { dtype: 'string'; values: string[] } | { dtype: 'int64'; values: number[] };

export interface ClassLabels {
  /** The node the labels come from: 'LinearClassifier', 'ZipMap', ... */
  opType: string;
  /** That node's name in the file ('' when unnamed). */
  node: string;
  labels: LabelList;
  /** The graph output carrying the label tensor, when the node's label output reaches one. */
  labelOutput?: string;
  /** The graph output carrying the class scores: a ZipMap's output or a float tensor [N, C]. */
  probabilityOutput?: string;
  /** The ZipMap on the way to probabilityOutput, whose labels key each row's map. */
  zipMap?: { node: string; labels: LabelList };
}

const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier']);
/** Nodes that carry a classifier's label or scores on unchanged in meaning, as domain:op. */
const LABEL_CHAIN = new Set([':Identity', ':Cast']);
const SCORE_CHAIN = new Set([':Identity', ':Cast', `${ML_DOMAIN}:Normalizer`, `${ML_DOMAIN}:ZipMap`]);

export function classLabels(index: GraphIndex): ClassLabels[] {
  const found: ClassLabels[] = [];
  const zipMapsReached = new Set<NodeProto>();
  for (const node of index.graph.node) {
    if (node.domain !== ML_DOMAIN || !CLASSIFIERS.has(node.opType)) continue;
    const labels = classifierLabels(index, node);
    if (!labels) continue;
    const entry: ClassLabels = { opType: node.opType, node: node.name, labels };
    const labelOutput = node.output[0] && reach(index, node.output[0], LABEL_CHAIN).outputs[0];
    if (labelOutput) entry.labelOutput = labelOutput;
    const scores = node.output[1] ? reach(index, node.output[1], SCORE_CHAIN) : { outputs: [], zipMaps: [] };
    if (scores.outputs[0]) entry.probabilityOutput = scores.outputs[0];
    const zipMap = scores.zipMaps.find((candidate) => candidate.output[0] === entry.probabilityOutput) ?? scores.zipMaps[0];
    if (zipMap) {
      const zipLabels = zipMapLabels(index, zipMap);
      if (zipLabels) entry.zipMap = { node: zipMap.name, labels: zipLabels };
    }
    for (const reached of scores.zipMaps) zipMapsReached.add(reached);
    found.push(entry);
  }
  for (const node of index.graph.node) {
    if (node.domain !== ML_DOMAIN || node.opType !== 'ZipMap' || zipMapsReached.has(node)) continue;
    const labels = zipMapLabels(index, node);
    if (!labels) continue;
    const entry: ClassLabels = { opType: 'ZipMap', node: node.name, labels, zipMap: { node: node.name, labels } };
    const output = node.output[0] && reach(index, node.output[0], SCORE_CHAIN).outputs[0];
    if (output) entry.probabilityOutput = output;
    found.push(entry);
  }
  return found;
}

/** A ZipMap's labels (classlabels_strings or classlabels_int64s); undefined when it has neither. */
export function zipMapLabels(index: GraphIndex, zipMap: NodeProto): LabelList | undefined {
  return labelList(index, zipMap, ['classlabels_strings'], ['classlabels_int64s']);
}

// Private: LinearClassifier names its int labels classlabels_ints; the others classlabels_int64s.
function classifierLabels(index: GraphIndex, node: NodeProto): LabelList | undefined {
  return labelList(index, node, ['classlabels_strings'], ['classlabels_int64s', 'classlabels_ints']);
}

function labelList(index: GraphIndex, node: NodeProto, stringNames: string[], intNames: string[]): LabelList | undefined {
  for (const name of stringNames) {
    const values = index.strings(node, name);
    if (values && values.length > 0) return { dtype: 'string', values };
  }
  for (const name of intNames) {
    const values = index.ints(node, name);
    if (values && values.length > 0) return { dtype: 'int64', values };
  }
  return undefined;
}

/**
 * The graph outputs `value` reaches through nodes of `chain` (breadth first, in the graph's
 * output order), and the ZipMaps passed on the way.
 */
function reach(index: GraphIndex, value: string, chain: ReadonlySet<string>): { outputs: string[]; zipMaps: NodeProto[] } {
  const reached = new Set<string>();
  const zipMaps: NodeProto[] = [];
  const queue = [value];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (index.graphOutputs.has(current)) reached.add(current);
    for (const consumer of index.consumersOf(current)) {
      const domain = consumer.domain === 'ai.onnx' ? '' : consumer.domain;
      if (!chain.has(`${domain}:${consumer.opType}`) || consumer.input[0] !== current) continue;
      if (consumer.opType === 'ZipMap') zipMaps.push(consumer);
      const next = consumer.output[0];
      if (next && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return { outputs: index.graph.output.map((output) => output.name).filter((name) => reached.has(name)), zipMaps };
}
