/**
 * The ONNX file module on models built node by node as the converters build them: what it reads
 * (inputs, outputs, class labels, input categories), what it rewrites (ZipMap outputs), what it
 * refuses to rewrite, and that whatever it does not change is written back byte for byte.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeType, OnnxFileError, readOnnxGraph, rewriteForServing } from '../../src/inference/onnx-file/index.ts';
import { attributeName, decodeModel, encodeModel } from '../../src/inference/onnx-file/onnx-schema.ts';
import { repoRoot } from '../support/node.ts';
import {
  attr,
  FLOAT,
  int64Initializer,
  labelEncoders,
  logisticRegression,
  model,
  node,
  oneHotPipeline,
  STRING,
  sequenceOutput,
  softmaxZipMap,
  tensorType,
  treeClassifier,
  zipMapType,
} from '../support/onnx-graphs.ts';

const shippedModels = readdirSync(join(repoRoot, 'models'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(repoRoot, 'models', entry.name, 'model.onnx'));

describe('readOnnxGraph: inputs and outputs', () => {
  it('gives each input and output its kind, element type and shape', () => {
    const graph = readOnnxGraph(logisticRegression(['churns', 'renews']));
    expect(graph.inputs).toEqual([{ name: 'features', type: { kind: 'tensor', elementType: 'float32', shape: ['N', 3] } }]);
    expect(graph.outputs.map((output) => [output.name, describeType(output.type)])).toEqual([
      ['output_label', 'string [N]'],
      ['output_probability', 'seq(map(string, float32))'],
    ]);
    expect(graph.outputs[1]!.type).toEqual({
      kind: 'sequence',
      element: { kind: 'map', keyType: 'string', value: { kind: 'tensor', elementType: 'float32', shape: undefined } },
    });
  });

  it('says null for an axis of no size or name, undefined for no shape, and ONNX names for other element types', () => {
    const bytes = model({
      inputs: [
        { name: 'x', type: { tensorType: { elemType: FLOAT, shape: { dim: [{}, { dimValue: 2 }] } } } },
        { name: 'half', type: { tensorType: { elemType: 10 } } },
        { name: 'weights', type: tensorType(FLOAT, [2]) },
      ],
      outputs: [
        { name: 'y', type: { tensorType: { elemType: FLOAT, shape: { dim: [{}, { dimValue: 2 }] } } } },
        { name: 'half_out', type: { tensorType: { elemType: 10 } } },
      ],
      // IR ≥ 4 lets an initializer be listed among the inputs: it is not one the caller feeds.
      initializers: [{ name: 'weights', dataType: FLOAT, dims: [2], floatData: [1, 2] }],
      nodes: [node('Mul', ['x', 'weights'], ['y']), node('Identity', ['half'], ['half_out'])],
    });
    const graph = readOnnxGraph(bytes);
    expect(graph.inputs).toEqual([
      { name: 'x', type: { kind: 'tensor', elementType: 'float32', shape: [null, 2] } },
      { name: 'half', type: { kind: 'tensor', elementType: 'float16', shape: undefined } },
    ]);
    expect(graph.inputs.map((input) => describeType(input.type))).toEqual(['float32 [?, 2]', 'float16 (any shape)']);
  });

  it('refuses bytes that are not an ONNX model, saying so', () => {
    expect(() => readOnnxGraph(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(OnnxFileError);
    expect(() => readOnnxGraph(new Uint8Array())).toThrow('is not an ONNX model: it has no graph (no nodes)');
    expect(() => readOnnxGraph(Uint8Array.from([0x0a, 0xff, 0xff, 0x01]))).toThrow(/^is not an ONNX model: its protobuf does not decode/);
  });
});

describe('readOnnxGraph: class labels', () => {
  it('a LinearClassifier with string labels: the labels, the label output through Identity, the ZipMap output through Normalizer', () => {
    expect(readOnnxGraph(logisticRegression(['churns', 'renews'])).classes).toEqual([
      {
        opType: 'LinearClassifier',
        node: 'LinearClassifier_label',
        labels: { dtype: 'string', values: ['churns', 'renews'] },
        labelOutput: 'output_label',
        probabilityOutput: 'output_probability',
        zipMap: { node: 'ZipMap_output_probability', labels: { dtype: 'string', values: ['churns', 'renews'] } },
      },
    ]);
  });

  it('a LinearClassifier with int labels (classlabels_ints), the label through Cast', () => {
    const [classes] = readOnnxGraph(logisticRegression([3, 5])).classes;
    expect(classes).toMatchObject({ labels: { dtype: 'int64', values: [3, 5] }, labelOutput: 'output_label' });
    expect(classes!.zipMap!.labels).toEqual({ dtype: 'int64', values: [3, 5] });
  });

  it('a TreeEnsembleClassifier with int64 labels (onnxmltools)', () => {
    const classes = readOnnxGraph(treeClassifier({ trees: 2, depth: 2, labels: [0, 1, 2] })).classes;
    expect(classes).toEqual([
      {
        opType: 'TreeEnsembleClassifier',
        node: 'TreeEnsembleClassifier_label',
        labels: { dtype: 'int64', values: [0, 1, 2] },
        labelOutput: 'output_label',
        probabilityOutput: 'output_probability',
        zipMap: { node: 'ZipMap_output_probability', labels: { dtype: 'int64', values: [0, 1, 2] } },
      },
    ]);
  });

  it('the zipmap=False export: the scores are a float tensor output, no ZipMap', () => {
    const [classes] = readOnnxGraph(logisticRegression(['churns', 'renews'], { zipmap: false })).classes;
    expect(classes).toEqual({
      opType: 'LinearClassifier',
      node: 'LinearClassifier_label',
      labels: { dtype: 'string', values: ['churns', 'renews'] },
      labelOutput: 'output_label',
      probabilityOutput: 'output_probability',
    });
  });

  it('a ZipMap no classifier node reaches (scores from Softmax): its own labels, no label output', () => {
    expect(readOnnxGraph(softmaxZipMap()).classes).toEqual([
      {
        opType: 'ZipMap',
        node: 'ZipMap_output_probability',
        labels: { dtype: 'string', values: ['cat', 'dog', 'eel'] },
        probabilityOutput: 'output_probability',
        zipMap: { node: 'ZipMap_output_probability', labels: { dtype: 'string', values: ['cat', 'dog', 'eel'] } },
      },
    ]);
  });

  it('a regression model states no classes', () => {
    for (const file of shippedModels.filter((path) => path.includes('request-latency'))) {
      expect(readOnnxGraph(readFileSync(file)).classes).toEqual([]);
    }
  });
});

describe('readOnnxGraph: categories of inputs', () => {
  it('a OneHotEncoder with zeros=0 fails on an unknown value; one behind Gather reads one column and encodes it as zeros', () => {
    expect(readOnnxGraph(oneHotPipeline()).categories).toEqual([
      {
        input: 'country',
        node: 'OneHotEncoder_country_onehot',
        encoder: 'OneHotEncoder',
        categories: { dtype: 'string', values: ['de', 'fr', 'us'] },
        unknown: 'fails',
      },
      {
        input: 'pair',
        column: 1,
        node: 'OneHotEncoder_pair_onehot',
        encoder: 'OneHotEncoder',
        categories: { dtype: 'string', values: ['a', 'b'] },
        unknown: 'zeros',
      },
    ]);
  });

  it('LabelEncoders map an unknown key to their default: the spec default -1, or the default_string given', () => {
    expect(readOnnxGraph(labelEncoders()).categories).toEqual([
      {
        input: 'plan',
        node: 'LabelEncoder_plan_code',
        encoder: 'LabelEncoder',
        categories: { dtype: 'string', values: ['basic', 'pro'] },
        unknown: 'default',
        defaultValue: -1,
      },
      {
        input: 'region',
        node: 'LabelEncoder_region_name',
        encoder: 'LabelEncoder',
        categories: { dtype: 'int64', values: [10, 20] },
        unknown: 'default',
        defaultValue: 'other',
      },
    ]);
  });

  it('follows Cast, Squeeze and an int64 OneHotEncoder, and stops at Concat', () => {
    const bytes = model({
      inputs: [
        { name: 'code', type: tensorType(FLOAT, ['N', 1]) },
        { name: 'other', type: tensorType(STRING, ['N', 1]) },
      ],
      outputs: [{ name: 'encoded', type: tensorType(FLOAT, ['N', 3]) }],
      initializers: [int64Initializer('axes', [1])],
      nodes: [
        node('Cast', ['code'], ['code_int'], [attr.int('to', 7)]),
        node('Squeeze', ['code_int', 'axes'], ['code_flat']),
        node('OneHotEncoder', ['code_flat'], ['encoded'], [attr.ints('cats_int64s', [1, 2, 4]), attr.int('zeros', 0)], 'ai.onnx.ml'),
        node('Concat', ['other', 'other'], ['both'], [attr.int('axis', 1)]),
        node('OneHotEncoder', ['both'], ['unused'], [attr.strings('cats_strings', ['x'])], 'ai.onnx.ml'),
      ],
    });
    expect(readOnnxGraph(bytes).categories).toEqual([
      {
        input: 'code',
        node: 'OneHotEncoder_encoded',
        encoder: 'OneHotEncoder',
        categories: { dtype: 'int64', values: [1, 2, 4] },
        unknown: 'fails',
      },
    ]);
  });

  it("the shipped GBDT's string region is label encoded", () => {
    const churn = shippedModels.find((path) => path.includes('customer-churn-gbdt'))!;
    expect(readOnnxGraph(readFileSync(churn)).categories).toEqual([
      {
        input: 'region',
        node: 'region_index',
        encoder: 'LabelEncoder',
        categories: { dtype: 'string', values: ['na', 'eu', 'apac', 'latam'] },
        unknown: 'default',
        defaultValue: -1,
      },
    ]);
  });
});

describe('rewriteForServing', () => {
  it('replaces a ZipMap output by the tensor the ZipMap reads, under the same name', () => {
    const bytes = logisticRegression(['churns', 'renews']);
    const original = Uint8Array.from(bytes);
    const served = rewriteForServing(bytes);
    expect(served.changes.map((change) => change.description)).toEqual([
      'output_probability: seq(map(string, float32)) from ZipMap → float32 [N, 2] (labels churns, renews)',
    ]);
    expect(served.changes[0]).toMatchObject({ output: 'output_probability', zipMap: 'ZipMap_output_probability' });
    expect(served.unservable).toEqual([]);
    expect(served.outputs.map((output) => [output.name, describeType(output.type)])).toEqual([
      ['output_label', 'string [N]'],
      ['output_probability', 'float32 [N, 2]'],
    ]);
    // The facts are the file's, ZipMap included; the caller's bytes are not touched.
    expect(served.graph).toEqual(readOnnxGraph(bytes));
    expect(bytes).toEqual(original);
    const graph = decodeModel(served.bytes).graph!;
    expect(graph.node.map((n) => `${n.opType}(${n.input.join(',')})→${n.output.join(',')}`)).toEqual([
      'LinearClassifier(features)→label,probability_tensor',
      'Identity(label)→output_label',
      'Normalizer(probability_tensor)→probabilities',
      'Identity(probabilities)→output_probability',
    ]);
    expect(readOnnxGraph(served.bytes).outputs).toEqual(served.outputs);
  });

  it('takes the batch axis from the first input, and int64 labels key the same way', () => {
    expect(rewriteForServing(softmaxZipMap()).changes[0]!.description).toBe(
      'output_probability: seq(map(string, float32)) from ZipMap → float32 [batch, 3] (labels cat, dog, eel)',
    );
    expect(rewriteForServing(treeClassifier({ trees: 2, depth: 2, labels: [0, 1, 2] })).changes[0]!.description).toBe(
      'output_probability: seq(map(int64, float32)) from ZipMap → float32 [N, 3] (labels 0, 1, 2)',
    );
  });

  it('gives a model with only ai.onnx.ml operators the default domain its Identity needs', () => {
    const served = rewriteForServing(logisticRegression([3, 5], { mlOnly: true }));
    const opsets = decodeModel(served.bytes).opsetImport.map((opset) => [opset.domain, Number(opset.version)]);
    expect(opsets).toEqual([
      ['ai.onnx.ml', 3],
      ['', 7],
    ]);
  });

  it('returns the same bytes when every output is already a tensor', () => {
    for (const bytes of [oneHotPipeline(), labelEncoders(), logisticRegression(['a', 'b'], { zipmap: false })]) {
      const served = rewriteForServing(bytes);
      expect(served.bytes).toBe(bytes);
      expect(served.changes).toEqual([]);
    }
  });

  it('reports a non-tensor output no ZipMap makes, and leaves the model as it is', () => {
    const bytes = sequenceOutput();
    const served = rewriteForServing(bytes);
    expect(served.bytes).toBe(bytes);
    expect(served.unservable).toEqual([
      {
        output: 'pair',
        type: { kind: 'sequence', element: { kind: 'tensor', elementType: 'float32', shape: ['N', 2] } },
        reason:
          "pair is seq(float32 [N, 2]) from SequenceConstruct 'SequenceConstruct_pair': onnxruntime-node returns tensors only, and only a ZipMap's output can be rewritten to one",
      },
    ]);
  });

  it('reports a ZipMap output another node reads too, and an output that is a graph input', () => {
    const bytes = model({
      inputs: [
        { name: 'scores', type: tensorType(FLOAT, ['N', 2]) },
        { name: 'passed', type: zipMapType(STRING) },
      ],
      outputs: [
        { name: 'maps', type: zipMapType(STRING) },
        { name: 'first', type: { mapType: { keyType: STRING, valueType: tensorType(FLOAT, []) } } },
        { name: 'passed', type: zipMapType(STRING) },
      ],
      initializers: [int64Initializer('zero', [0], [])],
      nodes: [
        node('ZipMap', ['scores'], ['maps'], [attr.strings('classlabels_strings', ['a', 'b'])], 'ai.onnx.ml'),
        node('SequenceAt', ['maps', 'zero'], ['first']),
      ],
    });
    const served = rewriteForServing(bytes);
    expect(served.changes).toEqual([]);
    expect(served.unservable.map((problem) => problem.reason)).toEqual([
      "maps is seq(map(string, float32)) from ZipMap 'ZipMap_maps', also read by SequenceAt: the ZipMap cannot be dropped",
      "first is map(string, float32 []) from SequenceAt 'SequenceAt_first': onnxruntime-node returns tensors only, and only a ZipMap's output can be rewritten to one",
      'passed is seq(map(string, float32)) and no node computes it (a graph input or an initializer): nothing to rewrite',
    ]);
  });

  it("copies the tree ensemble's attributes verbatim (they are never decoded)", () => {
    const bytes = treeClassifier({ trees: 20, depth: 6, labels: [0, 1] });
    const served = rewriteForServing(bytes);
    const before = decodeModel(bytes).graph!.node[0]!;
    const after = decodeModel(served.bytes).graph!.node[0]!;
    expect(after.opType).toBe('TreeEnsembleClassifier');
    expect(after.attribute.map(attributeName)).toEqual(before.attribute.map(attributeName));
    expect(after.attribute.every((encoded, i) => Buffer.from(encoded).equals(Buffer.from(before.attribute[i]!)))).toBe(true);
  });
});

describe('the protobuf round trip', () => {
  it('decode → encode gives back every shipped model byte for byte', () => {
    expect(shippedModels.length).toBe(7);
    for (const file of shippedModels) {
      const bytes = readFileSync(file);
      expect(Buffer.from(encodeModel(decodeModel(bytes))).equals(bytes), file).toBe(true);
    }
  });

  it('and a built model, big attributes included', () => {
    const bytes = treeClassifier({ trees: 20, depth: 6, labels: [0, 1, 2] });
    expect(Buffer.from(encodeModel(decodeModel(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });
});
