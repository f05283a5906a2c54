/** A fake ModelRunner for unit tests of loaders: doubles each feature sum, counts runs, can fail. */

import type { ModelRunner } from '../../src/inference/execution/model-session.ts';
import type { ModelManifest } from '../../src/inference/manifest.ts';

export function fakeManifest(name: string, featureCount = 2): ModelManifest {
  return {
    name,
    version: '0.0.1',
    description: 'fake',
    framework: 'none',
    kind: 'fake',
    input: { name: 'features', dtype: 'float32' },
    features: Array.from({ length: featureCount }, (_, i) => ({ name: `f${i}`, unit: 'u', min: 0, max: 100, description: '' })),
    output: { name: 'out', dtype: 'float32' },
    outputs: [
      { name: 'sum', unit: 'u', description: '' },
      { name: 'double', unit: 'u', description: '' },
    ],
    metrics: {},
    provenance: {},
  };
}

export class FakeModel implements ModelRunner {
  readonly manifest: ModelManifest;
  readonly executionProvider = 'cpu' as const;
  readonly warmedUp = true;
  readonly batches: number[][] = [];
  failNext = false;

  constructor(name: string, featureCount = 2) {
    this.manifest = fakeManifest(name, featureCount);
  }

  async run(packed: Float32Array, rows: number): Promise<Float32Array> {
    const width = this.manifest.features.length;
    this.batches.push(Array.from({ length: rows }, (_, r) => packed[r * width]!));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('secret internal failure text');
    }
    const out = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < width; c++) sum += packed[r * width + c]!;
      out[r * 2] = sum;
      out[r * 2 + 1] = sum * 2;
    }
    return out;
  }
}
