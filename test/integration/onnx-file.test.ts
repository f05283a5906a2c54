/**
 * The ONNX file module against the real onnxruntime-node: rewritten models load, the scores come
 * back under the ZipMap output's own name and equal what the model computes (the converter's
 * zipmap=False twin, and the arithmetic), and what the module says of inputs, outputs,
 * categories and unservable outputs is what onnxruntime then does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxGraph, rewriteForServing, type ValueType } from '../../src/inference/onnx-file/index.ts';
import { repoRoot } from '../support/node.ts';
import {
  BIAS,
  labelEncoders,
  logisticRegression,
  oneHotPipeline,
  sequenceOutput,
  softmaxZipMap,
  treeClassifier,
  WEIGHTS,
} from '../support/onnx-graphs.ts';

const ROWS = [
  [0.5, 1, -2],
  [1, 0, 0],
  [-1, 2, 3],
  [0, 0, 0],
];

function features(rows: number[][]): Tensor {
  return new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]);
}

async function run(bytes: Uint8Array, feeds: Record<string, Tensor>, fetches?: string[]) {
  const session = await InferenceSession.create(bytes);
  try {
    return fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('a rewritten ZipMap model in onnxruntime-node', () => {
  it('string labels: the probabilities under output_probability equal the zipmap=False export and the logistic', async () => {
    const bytes = logisticRegression(['churns', 'renews']);
    const served = rewriteForServing(bytes);
    const got = await run(served.bytes, { features: features(ROWS) });
    const probabilities = got.output_probability!;
    expect(probabilities.type).toBe('float32');
    expect(probabilities.dims).toEqual([ROWS.length, 2]);
    const twin = await run(logisticRegression(['churns', 'renews'], { zipmap: false }), { features: features(ROWS) });
    expect(Array.from(probabilities.data as Float32Array)).toEqual(Array.from(twin.output_probability!.data as Float32Array));
    ROWS.forEach((row, i) => {
      const z = row.reduce((sum, x, j) => sum + Math.fround(WEIGHTS[j]!) * x, Math.fround(BIAS));
      const renews = 1 / (1 + Math.exp(-z));
      expect((probabilities.data as Float32Array)[2 * i]).toBeCloseTo(1 - renews, 6);
      expect((probabilities.data as Float32Array)[2 * i + 1]).toBeCloseTo(renews, 6);
    });
    // The original model computes the same labels (it can only be asked for its tensor output).
    const original = await run(bytes, { features: features(ROWS) }, ['output_label']);
    expect(got.output_label!.data).toEqual(original.output_label!.data);
    expect(new Set(got.output_label!.data as string[])).toEqual(new Set(['churns', 'renews']));
  });

  it('the original model cannot be fetched whole: this is what the rewrite is for', async () => {
    await expect(run(logisticRegression(['churns', 'renews']), { features: features(ROWS) })).rejects.toThrow(
      'Non tensor type is temporarily not supported',
    );
  });

  it('int64 labels (a TreeEnsembleClassifier, onnxmltools): equal the zipmap=False export', async () => {
    const labels = [0, 1, 2];
    const served = rewriteForServing(treeClassifier({ trees: 10, depth: 4, labels }));
    const rows = [
      [0.1, -0.5, 0.9, 0],
      [-0.7, 0.3, 0.2, 0.5],
      [0.9, 0.9, -0.9, -0.3],
    ];
    const feeds = { features: features(rows) };
    const got = await run(served.bytes, feeds);
    const twin = await run(treeClassifier({ trees: 10, depth: 4, labels, zipmap: false }), feeds);
    expect(got.output_probability!.dims).toEqual([3, 3]);
    expect(Array.from(got.output_probability!.data as Float32Array)).toEqual(Array.from(twin.output_probability!.data as Float32Array));
    expect(Array.from(got.output_label!.data as BigInt64Array)).toEqual(Array.from(twin.output_label!.data as BigInt64Array));
    for (const label of got.output_label!.data as BigInt64Array) expect(labels).toContain(Number(label));
  });

  it('a model with only ai.onnx.ml operators loads with the default domain the rewrite added', async () => {
    const got = await run(rewriteForServing(logisticRegression([3, 5], { mlOnly: true })).bytes, { features: features(ROWS) });
    expect(got.output_probability!.dims).toEqual([ROWS.length, 2]);
    expect(Array.from(got.label!.data as BigInt64Array).every((label) => label === 3n || label === 5n)).toBe(true);
  });

  it('a ZipMap after Softmax: the softmax of the logits, in the ZipMap label order', async () => {
    const logits = [
      [1, 2, 3],
      [0, 0, 0],
    ];
    const got = await run(rewriteForServing(softmaxZipMap()).bytes, { logits: features(logits) });
    const values = Array.from(got.output_probability!.data as Float32Array);
    logits.forEach((row, i) => {
      const total = row.reduce((sum, x) => sum + Math.exp(x), 0);
      row.forEach((x, j) => {
        expect(values[3 * i + j]).toBeCloseTo(Math.exp(x) / total, 6);
      });
    });
  });

  it('a ~10 MB tree ensemble: rewritten without touching its trees, equal to the zipmap=False export', async () => {
    const labels = [0, 1];
    const bytes = treeClassifier({ trees: 250, depth: 9, labels });
    expect(bytes.byteLength).toBeGreaterThan(9_000_000);
    const served = rewriteForServing(bytes);
    expect(served.bytes.byteLength).toBeLessThan(bytes.byteLength);
    const rows = Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(i), Math.sin(2 * i), Math.cos(3 * i)]);
    const got = await run(served.bytes, { features: features(rows) });
    const twin = await run(treeClassifier({ trees: 250, depth: 9, labels, zipmap: false }), { features: features(rows) });
    expect(Array.from(got.output_probability!.data as Float32Array)).toEqual(Array.from(twin.output_probability!.data as Float32Array));
  });
});

describe('what the module reads is what onnxruntime does', () => {
  it("every shipped model's inputs and outputs match onnxruntime's metadata", async () => {
    const folders = readdirSync(join(repoRoot, 'models'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(folders.length).toBe(7);
    for (const file of folders.map((folder) => join(repoRoot, 'models', folder.name, 'model.onnx'))) {
      const bytes = readFileSync(file);
      const graph = readOnnxGraph(bytes);
      const session = await InferenceSession.create(bytes);
      expect(
        graph.inputs.map((input) => ({ name: input.name, ...asOrt(input.type) })),
        file,
      ).toEqual(session.inputMetadata);
      expect(
        graph.outputs.map((output) => ({ name: output.name, ...asOrt(output.type) })),
        file,
      ).toEqual(session.outputMetadata);
      await session.release();
    }
  });

  it("a OneHotEncoder that 'fails' fails the run on an unknown value ('' included); 'zeros' encodes zeros", async () => {
    const [country, pair] = readOnnxGraph(oneHotPipeline()).categories;
    expect([country!.unknown, pair!.unknown]).toEqual(['fails', 'zeros']);
    const feeds = (countryValue: string, second: string) => ({
      country: new Tensor('string', [countryValue], [1, 1]),
      pair: new Tensor('string', ['a', second], [1, 2]),
      tenure: new Tensor('float32', [2], [1, 1]),
    });
    expect(Array.from((await run(oneHotPipeline(), feeds('fr', 'b'))).features!.data as Float32Array)).toEqual([0, 1, 0, 0, 1, 2]);
    expect(Array.from((await run(oneHotPipeline(), feeds('fr', 'zz'))).features!.data as Float32Array)).toEqual([0, 1, 0, 0, 0, 2]);
    for (const unknown of ['xx', '']) {
      await expect(run(oneHotPipeline(), feeds(unknown, 'b'))).rejects.toThrow('Unknown Category and zeros = 0');
    }
  });

  it('a LabelEncoder gives its stated default for an unknown key', async () => {
    const [plan, region] = readOnnxGraph(labelEncoders()).categories;
    const got = await run(labelEncoders(), {
      plan: new Tensor('string', ['pro', 'enterprise'], [2]),
      region: new Tensor('int64', BigInt64Array.from([20n, 99n]), [2]),
    });
    expect(Array.from(got.plan_code!.data as BigInt64Array)).toEqual([1n, BigInt(plan!.defaultValue as number)]);
    expect(got.region_name!.data).toEqual(['south', region!.defaultValue]);
  });

  it('an output reported unservable is one onnxruntime-node cannot fetch', async () => {
    const served = rewriteForServing(sequenceOutput());
    expect(served.unservable.map((problem) => problem.output)).toEqual(['pair']);
    const x = { x: new Tensor('float32', [1, 2], [1, 2]) };
    await expect(run(served.bytes, x)).rejects.toThrow('Non tensor type is temporarily not supported');
    expect((await run(served.bytes, x, ['y'])).y!.dims).toEqual([1, 2]);
  });
});

// onnxruntime-node's metadata: an axis of no size or name is '', a tensor of no shape has [].
function asOrt(type: ValueType) {
  if (type.kind !== 'tensor') return { isTensor: false };
  return { isTensor: true, type: type.elementType, shape: (type.shape ?? []).map((dim) => dim ?? '') };
}
