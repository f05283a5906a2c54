/**
 * A fake ModelRunner for unit tests of loaders and the service: its manifest and row codec are
 * real (a float32 [batch, n] input, a float32 [batch, 2] output); its run doubles each feature
 * sum, counts runs, and can fail.
 */
import {
  type ModelManifest,
  type ModelRunner,
  nextLoadId,
  type PackedBatch,
  type PackedOutputs,
  parseManifest,
  RowCodec,
  resolveLayout,
} from '../../src/inference/index.ts';

export function fakeManifest(name: string, featureCount = 2): ModelManifest {
  return parseManifest(`${name}/manifest.json`, {
    name,
    version: '0.0.1',
    task: 'Fake',
    description: 'fake',
    features: Array.from({ length: featureCount }, (_, i) => ({ name: `f${i}`, unit: 'u', min: 0, max: 100 })),
    outputs: [
      { name: 'sum', unit: 'u' },
      { name: 'double', unit: 'u' },
    ],
  });
}

export function fakeCodec(manifest: ModelManifest): RowCodec {
  return new RowCodec(
    resolveLayout('fake', manifest, {
      inputs: [{ name: 'features', isTensor: true, type: 'float32', shape: ['batch', manifest.features.length] }],
      outputs: [{ name: 'out', isTensor: true, type: 'float32', shape: ['batch', 2] }],
    }),
  );
}

export class FakeModel implements ModelRunner {
  readonly manifest: ModelManifest;
  readonly codec: RowCodec;
  readonly executionProvider = 'cpu' as const;
  readonly warmedUp = true;
  readonly version: number;
  /** A load of its own, as a real model's (ModelView.loadId). */
  readonly loadId = nextLoadId();
  /** The first feature of each row of each run. */
  readonly batches: number[][] = [];
  failNext = false;

  constructor(name: string, featureCount = 2, version = 1) {
    this.version = version;
    this.manifest = fakeManifest(name, featureCount);
    this.codec = fakeCodec(this.manifest);
  }

  async run(batch: PackedBatch): Promise<PackedOutputs> {
    const width = this.manifest.features.length;
    const packed = batch.inputs[0]!.data as Float32Array;
    this.batches.push(Array.from({ length: batch.rows }, (_, r) => packed[r * width]!));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('secret internal failure text');
    }
    const out = new Float32Array(batch.rows * 2);
    for (let r = 0; r < batch.rows; r++) {
      let sum = 0;
      for (let c = 0; c < width; c++) sum += packed[r * width + c]!;
      out[r * 2] = sum;
      out[r * 2 + 1] = sum * 2;
    }
    return { outputs: [{ name: 'out', data: out }] };
  }
}

/** A row of the fake model: its features f0, f1, ... as given. */
export function fakeRow(model: ModelRunner, ...values: number[]) {
  const encoded = model.codec.encode(Object.fromEntries(values.map((v, i) => [`f${i}`, v])));
  if (!encoded.ok) throw new Error(JSON.stringify(encoded.problems));
  return encoded;
}
