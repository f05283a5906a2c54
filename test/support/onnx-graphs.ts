/**
 * Small ONNX models built node by node with protobufjs and ONNX's schema, in the layouts the
 * converters emit (skl2onnx, onnxmltools), for the onnx-file tests. Attributes are sorted by name
 * as onnx.helper.make_node sorts them. Each builder can also give the converter's zipmap=False
 * twin: the same graph with the scores as a plain float output, what the rewrite should produce.
 */
import { encodeFullModel } from '../../src/inference/onnx-file/onnx-schema.ts';

export const FLOAT = 1;
export const INT64 = 7;
export const STRING = 8;
const ML = 'ai.onnx.ml';

type Attribute = { name: string; type: number } & Record<string, unknown>;
const utf8 = new TextEncoder();

export const attr = {
  float: (name: string, f: number): Attribute => ({ name, type: 1, f }),
  int: (name: string, i: number): Attribute => ({ name, type: 2, i }),
  string: (name: string, s: string): Attribute => ({ name, type: 3, s: utf8.encode(s) }),
  tensor: (name: string, t: object): Attribute => ({ name, type: 4, t }),
  floats: (name: string, floats: number[]): Attribute => ({ name, type: 6, floats }),
  ints: (name: string, ints: number[]): Attribute => ({ name, type: 7, ints }),
  strings: (name: string, strings: string[]): Attribute => ({ name, type: 8, strings: strings.map((s) => utf8.encode(s)) }),
};

export function tensorType(elemType: number, dims: (number | string)[]) {
  return { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } };
}

/** seq(map(key, tensor(float))): what a ZipMap outputs. */
export function zipMapType(keyType: number) {
  return { sequenceType: { elemType: { mapType: { keyType, valueType: { tensorType: { elemType: FLOAT } } } } } };
}

export function node(opType: string, input: string[], output: string[], attributes: Attribute[] = [], domain = '') {
  const attribute = [...attributes].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { opType, input, output, name: `${opType}_${output[0]}`, domain, attribute };
}

export function int64Initializer(name: string, values: number[], dims = [values.length]) {
  return { name, dataType: INT64, dims, int64Data: values };
}

export interface GraphSpec {
  inputs: { name: string; type: object }[];
  outputs: { name: string; type: object }[];
  nodes: ReturnType<typeof node>[];
  initializers?: object[];
  /** Default: ai.onnx 17 and ai.onnx.ml 3, as skl2onnx stamps a recent export. */
  opsets?: { domain: string; version: number }[];
}

export function model(spec: GraphSpec): Uint8Array {
  return encodeFullModel({
    irVersion: 8,
    producerName: 'predictql-tests',
    opsetImport: spec.opsets ?? [
      { domain: '', version: 17 },
      { domain: ML, version: 3 },
    ],
    graph: {
      name: 'test',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
    },
  });
}

export const WEIGHTS = [0.8, -1.5, 0.25];
export const BIAS = 0.1;

/**
 * skl2onnx's binary LogisticRegression: LinearClassifier (coefficients [-w, w], LOGISTIC) →
 * Normalizer L1 → ZipMap, the label through Identity (string labels) or Cast (int labels).
 */
export function logisticRegression(labels: string[] | number[], options: { zipmap?: boolean; mlOnly?: boolean } = {}): Uint8Array {
  const strings = typeof labels[0] === 'string';
  const classifier = node(
    'LinearClassifier',
    ['features'],
    ['label', 'probability_tensor'],
    [
      strings ? attr.strings('classlabels_strings', labels as string[]) : attr.ints('classlabels_ints', labels as number[]),
      attr.floats('coefficients', [...WEIGHTS.map((w) => -w), ...WEIGHTS]),
      attr.floats('intercepts', [-BIAS, BIAS]),
      attr.int('multi_class', 0),
      attr.string('post_transform', 'LOGISTIC'),
    ],
    ML,
  );
  const zipmap = options.zipmap ?? true;
  const probabilities = zipmap ? 'probabilities' : 'output_probability';
  const labelType = strings ? STRING : INT64;
  const nodes = [
    classifier,
    strings || options.mlOnly
      ? node('Identity', ['label'], ['output_label'])
      : node('Cast', ['label'], ['output_label'], [attr.int('to', INT64)]),
    node('Normalizer', ['probability_tensor'], [probabilities], [attr.string('norm', 'L1')], ML),
  ];
  if (zipmap) {
    const zipLabels = strings
      ? attr.strings('classlabels_strings', labels as string[])
      : attr.ints('classlabels_int64s', labels as number[]);
    nodes.push(node('ZipMap', ['probabilities'], ['output_probability'], [zipLabels], ML));
  }
  if (options.mlOnly) nodes.splice(1, 1); // no default-domain node at all: the label is the classifier's own output
  return model({
    inputs: [{ name: 'features', type: tensorType(FLOAT, ['N', 3]) }],
    outputs: [
      { name: options.mlOnly ? 'label' : 'output_label', type: tensorType(labelType, ['N']) },
      { name: 'output_probability', type: zipmap ? zipMapType(labelType) : tensorType(FLOAT, ['N', 2]) },
    ],
    nodes,
    opsets: options.mlOnly ? [{ domain: ML, version: 3 }] : undefined,
  });
}

/**
 * onnxmltools' LightGBM/XGBoost classifier: TreeEnsembleClassifier with int64 labels, the label
 * cast to int64, the scores into a ZipMap. `trees` complete trees of `depth` over 4 features,
 * deterministic thresholds and weights; 250 trees of depth 9 make a ~10 MB file, 12 of depth 10 ~1 MB.
 */
export function treeClassifier(options: { trees: number; depth: number; labels: number[]; zipmap?: boolean }): Uint8Array {
  const { trees, depth, labels } = options;
  const a = { treeids: [] as number[], nodeids: [] as number[], featureids: [] as number[], values: [] as number[], modes: [] as string[] };
  const links = { truenodeids: [] as number[], falsenodeids: [] as number[] };
  const votes = { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] };
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed / 2147483648) * 2 - 1;
  };
  const size = 2 ** (depth + 1) - 1;
  for (let tree = 0; tree < trees; tree++) {
    for (let id = 0; id < size; id++) {
      const leaf = id >= 2 ** depth - 1;
      a.treeids.push(tree);
      a.nodeids.push(id);
      a.featureids.push(leaf ? 0 : id % 4);
      a.values.push(leaf ? 0 : next());
      a.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      links.truenodeids.push(leaf ? 0 : 2 * id + 1);
      links.falsenodeids.push(leaf ? 0 : 2 * id + 2);
      if (!leaf) continue;
      for (let c = 0; c < labels.length; c++) {
        votes.treeids.push(tree);
        votes.nodeids.push(id);
        votes.ids.push(c);
        votes.weights.push(next() / trees);
      }
    }
  }
  const classifier = node(
    'TreeEnsembleClassifier',
    ['features'],
    ['label', 'probability_tensor'],
    [
      attr.ints('classlabels_int64s', labels),
      attr.ints('nodes_treeids', a.treeids),
      attr.ints('nodes_nodeids', a.nodeids),
      attr.ints('nodes_featureids', a.featureids),
      attr.floats('nodes_values', a.values),
      attr.strings('nodes_modes', a.modes),
      attr.ints('nodes_truenodeids', links.truenodeids),
      attr.ints('nodes_falsenodeids', links.falsenodeids),
      attr.ints('class_treeids', votes.treeids),
      attr.ints('class_nodeids', votes.nodeids),
      attr.ints('class_ids', votes.ids),
      attr.floats('class_weights', votes.weights),
      attr.string('post_transform', 'SOFTMAX'),
    ],
    ML,
  );
  const zipmap = options.zipmap ?? true;
  const nodes = [classifier, node('Cast', ['label'], ['output_label'], [attr.int('to', INT64)])];
  if (zipmap) nodes.push(node('ZipMap', ['probability_tensor'], ['output_probability'], [attr.ints('classlabels_int64s', labels)], ML));
  else nodes.push(node('Identity', ['probability_tensor'], ['output_probability']));
  return model({
    inputs: [{ name: 'features', type: tensorType(FLOAT, ['N', 4]) }],
    outputs: [
      { name: 'output_label', type: tensorType(INT64, ['N']) },
      { name: 'output_probability', type: zipmap ? zipMapType(INT64) : tensorType(FLOAT, ['N', labels.length]) },
    ],
    nodes,
  });
}

/**
 * skl2onnx's ColumnTransformer front: a string column one-hot encoded (sklearn's default
 * handle_unknown='error' → zeros=0), a two-column string input whose second column is encoded
 * through Gather (zeros=1, handle_unknown='ignore'), then Reshape and Concat with a float column.
 */
export function oneHotPipeline(): Uint8Array {
  return model({
    inputs: [
      { name: 'country', type: tensorType(STRING, ['N', 1]) },
      { name: 'pair', type: tensorType(STRING, ['N', 2]) },
      { name: 'tenure', type: tensorType(FLOAT, ['N', 1]) },
    ],
    outputs: [{ name: 'features', type: tensorType(FLOAT, ['N', 6]) }],
    initializers: [int64Initializer('column_1', [1]), int64Initializer('shape_3', [-1, 3]), int64Initializer('shape_2', [-1, 2])],
    nodes: [
      node('OneHotEncoder', ['country'], ['country_onehot'], [attr.strings('cats_strings', ['de', 'fr', 'us']), attr.int('zeros', 0)], ML),
      node('Reshape', ['country_onehot', 'shape_3'], ['country_flat']),
      node('Gather', ['pair', 'column_1'], ['pair_1'], [attr.int('axis', 1)]),
      node('OneHotEncoder', ['pair_1'], ['pair_onehot'], [attr.strings('cats_strings', ['a', 'b']), attr.int('zeros', 1)], ML),
      node('Reshape', ['pair_onehot', 'shape_2'], ['pair_flat']),
      node('Concat', ['country_flat', 'pair_flat', 'tenure'], ['features'], [attr.int('axis', 1)]),
    ],
  });
}

/** Two LabelEncoders: string keys → int64 codes (default -1), int64 keys → strings (default 'other'). */
export function labelEncoders(): Uint8Array {
  return model({
    inputs: [
      { name: 'plan', type: tensorType(STRING, ['N']) },
      { name: 'region', type: tensorType(INT64, ['N']) },
    ],
    outputs: [
      { name: 'plan_code', type: tensorType(INT64, ['N']) },
      { name: 'region_name', type: tensorType(STRING, ['N']) },
    ],
    nodes: [
      node(
        'LabelEncoder',
        ['plan'],
        ['plan_code'],
        [attr.strings('keys_strings', ['basic', 'pro']), attr.ints('values_int64s', [0, 1])],
        ML,
      ),
      node(
        'LabelEncoder',
        ['region'],
        ['region_name'],
        [attr.ints('keys_int64s', [10, 20]), attr.strings('values_strings', ['north', 'south']), attr.string('default_string', 'other')],
        ML,
      ),
    ],
    opsets: [
      { domain: '', version: 17 },
      { domain: ML, version: 2 },
    ],
  });
}

/** A sequence output no ZipMap makes (SequenceConstruct), beside a tensor output. */
export function sequenceOutput(): Uint8Array {
  return model({
    inputs: [{ name: 'x', type: tensorType(FLOAT, ['N', 2]) }],
    outputs: [
      { name: 'pair', type: { sequenceType: { elemType: tensorType(FLOAT, ['N', 2]) } } },
      { name: 'y', type: tensorType(FLOAT, ['N', 2]) },
    ],
    nodes: [node('SequenceConstruct', ['x', 'x'], ['pair']), node('Identity', ['x'], ['y'])],
  });
}

/** skl2onnx's MLPClassifier ending: Softmax → ZipMap, the labels on the ZipMap only. */
export function softmaxZipMap(): Uint8Array {
  return model({
    inputs: [{ name: 'logits', type: tensorType(FLOAT, ['batch', 3]) }],
    outputs: [{ name: 'output_probability', type: zipMapType(STRING) }],
    nodes: [
      node('Softmax', ['logits'], ['probabilities'], [attr.int('axis', 1)]),
      node('ZipMap', ['probabilities'], ['output_probability'], [attr.strings('classlabels_strings', ['cat', 'dog', 'eel'])], ML),
    ],
  });
}
