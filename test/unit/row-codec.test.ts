/**
 * The manifest → layout → codec path without onnxruntime: every feature type and encoding into
 * every kind of tensor, defaults, ranges (float32 rounding included), every problem reported at
 * once, packing and unpacking, and the prediction fields read back. Layout errors name both sides.
 */
import { describe, expect, it } from 'vitest';
import { type ModelManifest, type OnnxValueInfo, parseManifest, RowCodec, resolveLayout } from '../../src/inference/index.ts';

const tensor = (name: string, type: string, width?: number): OnnxValueInfo => ({
  name,
  isTensor: true,
  type,
  shape: width === undefined ? ['batch'] : ['batch', width],
});

const manifest = (overrides: Record<string, unknown> = {}): ModelManifest =>
  parseManifest('m/manifest.json', {
    name: 'm',
    version: '1',
    task: 'Shop',
    features: [
      { name: 'price', type: 'float', tensor: 'numeric', min: 0, max: 24, maxExclusive: true, unit: 'USD' },
      { name: 'items', type: 'int', tensor: 'numeric', min: 1, max: 100 },
      { name: 'member', type: 'bool', tensor: 'numeric' },
      { name: 'tier', type: 'category', tensor: 'numeric', values: ['LOW', 'MID', 'HIGH'], encoding: 'onehot' },
      { name: 'plan', type: 'category', tensor: 'plan', values: ['FREE', 'PRO'], encoding: 'index', codes: { FREE: 10, PRO: 20 } },
      { name: 'country', type: 'category', tensor: 'country', values: ['DE', 'FR'], encoding: 'string', codes: { DE: 'de', FR: 'fr' } },
      { name: 'history', type: 'vector', tensor: 'history', length: 3, min: -1, max: 1 },
      { name: 'note', type: 'string', tensor: 'note', maxLength: 5, default: 'none' },
      { name: 'discount', type: 'float', tensor: 'numeric', min: 0, max: 1, default: 0.25 },
    ],
    outputs: [
      { name: 'spend', tensor: 'value' },
      { name: 'segment', kind: 'class', tensor: 'scores', labels: ['A', 'B', 'C'], scores: 'logits' },
      { name: 'embedding', kind: 'vector', tensor: 'embedding' },
    ],
    ...overrides,
  });

const onnx = {
  inputs: [
    tensor('numeric', 'float32', 7),
    tensor('plan', 'int64'),
    tensor('country', 'string', 1),
    tensor('history', 'float64', 3),
    tensor('note', 'string', 1),
  ],
  outputs: [tensor('value', 'float32'), tensor('scores', 'float32', 3), tensor('embedding', 'float32', 2), tensor('unused', 'int64')],
};

const valid = { price: 9.5, items: 3, member: true, tier: 'MID', plan: 'PRO', country: 'FR', history: [0.5, -1, 1] };

describe('the row codec', () => {
  const codec = new RowCodec(resolveLayout('m/manifest.json', manifest(), onnx));

  it('encodes every type and encoding into its tensor, with defaults, and packs rows per tensor', () => {
    const result = codec.encode(valid);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [numeric, plan, country, history, note] = result.row;
    // price, items, member, tier one-hot (3 columns), discount (default 0.25)
    expect(Array.from(numeric as Float32Array)).toEqual([9.5, 3, 1, 0, 1, 0, 0.25]);
    expect(Array.from(plan as BigInt64Array)).toEqual([20n]);
    expect(country).toEqual(['fr']);
    expect(history).toBeInstanceOf(Float64Array);
    expect(Array.from(history as Float64Array)).toEqual([0.5, -1, 1]);
    expect(note).toEqual(['none']);
    const other = codec.encode({ ...valid, plan: 'FREE', note: 'hi' });
    if (!other.ok) throw new Error('invalid');
    const batch = codec.pack([result.row, other.row]);
    expect(batch.rows).toBe(2);
    expect(batch.inputs.map((t) => [t.name, t.dtype, t.dims])).toEqual([
      ['numeric', 'float32', [7]],
      ['plan', 'int64', []],
      ['country', 'string', [1]],
      ['history', 'float64', [3]],
      ['note', 'string', [1]],
    ]);
    expect(Array.from(batch.inputs[1]!.data as BigInt64Array)).toEqual([20n, 10n]);
    expect(batch.inputs[4]!.data).toEqual(['none', 'hi']);
  });

  it('gives equal inputs equal keys, and different ones different keys (strings included)', () => {
    const key = (v: Record<string, unknown>) => (codec.encode(v) as { key: string }).key;
    expect(key(valid)).toBe(key({ ...valid }));
    expect(key(valid)).not.toBe(key({ ...valid, note: 'x' }));
    expect(key(valid)).not.toBe(key({ ...valid, items: 4 }));
  });

  it('reports every problem of an input at once, never clamping or coercing', () => {
    const result = codec.encode({
      price: 24,
      items: 2.5,
      member: 'yes',
      tier: 'TOP',
      plan: null,
      country: 'de',
      history: [0, 2, 0],
      note: 'too long',
    });
    expect(result).toEqual({
      ok: false,
      problems: [
        { feature: 'price', value: 24, reason: 'must be within [0, 24) USD' },
        { feature: 'items', value: 2.5, reason: 'must be an integer' },
        { feature: 'member', value: 'yes', reason: 'must be true or false' },
        { feature: 'tier', value: 'TOP', reason: 'must be one of LOW, MID, HIGH' },
        { feature: 'plan', value: null, reason: 'is required' },
        { feature: 'country', value: 'de', reason: 'must be one of DE, FR' },
        { feature: 'history', value: [0, 2, 0], reason: 'element 1 must be within [-1, 1]' },
        { feature: 'note', value: 'too long', reason: 'must be at most 5 characters long' },
      ],
    });
  });

  it('refuses a value below an exclusive maximum that float32 would round up to it', () => {
    expect(codec.encode({ ...valid, price: 23.999998 }).ok).toBe(true);
    const result = codec.encode({ ...valid, price: 23.9999999 });
    expect(result).toMatchObject({
      ok: false,
      problems: [{ feature: 'price', reason: 'must be within [0, 24) USD (as float32, 23.9999999 is 24)' }],
    });
  });

  it('unpacks the fetched outputs per row and reads values, classes (softmax of logits) and vectors', () => {
    expect(codec.layout.outputs.map((t) => t.name)).toEqual(['value', 'scores', 'embedding']); // `unused` is not fetched
    const outputs = codec.unpack(
      {
        outputs: [
          { name: 'value', data: Float32Array.of(1.5, 2.5) },
          { name: 'scores', data: Float32Array.of(0, 0, 0, 1, 3, 2) },
          { name: 'embedding', data: Float32Array.of(1, 2, 3, 4) },
        ],
      },
      2,
    );
    const spend = codec.reader('spend')!;
    const segment = codec.reader('segment')!;
    const embedding = codec.reader('embedding')!;
    if (spend.kind !== 'value' || segment.kind !== 'class' || embedding.kind !== 'vector') throw new Error('kinds');
    expect(outputs.map((o) => spend.read(o))).toEqual([1.5, 2.5]);
    expect(segment.label(outputs[1]!)).toBe('B');
    expect(segment.probabilities!(outputs[0]!).map((p) => p.toFixed(4))).toEqual(['0.3333', '0.3333', '0.3333']);
    expect(segment.probabilities!(outputs[1]!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(embedding.read(outputs[1]!)).toEqual([3, 4]);
    expect(() => codec.unpack({ outputs: [{ name: 'value', data: Float32Array.of(1) }] }, 2)).toThrow(
      'output "value" holds 1 values, expected 2 × 1',
    );
  });

  it('makes sample inputs over every range that it accepts itself (warm-up and probes)', () => {
    for (let i = 0; i < 8; i++) expect(codec.encode(codec.sampleValues(i, 8)).ok).toBe(true);
  });
});

describe('the layout, checked against model.onnx', () => {
  const layoutOf =
    (m: ModelManifest, o: typeof onnx = onnx) =>
    () =>
      resolveLayout('m/manifest.json', m, o);

  it.each([
    [
      'an input column no feature feeds',
      {
        inputs: [...onnx.inputs.slice(0, 3), onnx.inputs[3]!, onnx.inputs[4]!].map((t) =>
          t.name === 'numeric' ? tensor('numeric', 'float32', 8) : t,
        ),
      },
      'no feature feeds column 7 of input "numeric" (float32, width 8): add features for them',
    ],
    [
      'a feature past the end of its tensor',
      { inputs: onnx.inputs.map((t) => (t.name === 'numeric' ? tensor('numeric', 'float32', 6) : t)) },
      'feature "discount" takes columns 6..6 of input "numeric", which has 6',
    ],
    [
      'a dtype the feature cannot feed',
      { inputs: onnx.inputs.map((t) => (t.name === 'plan' ? tensor('plan', 'string') : t)) },
      'feature "plan" (category, index) cannot feed input "plan" of type string: encoding "index" needs a numeric tensor',
    ],
    [
      'an input whose batch axis is fixed to 1 beside dynamic ones',
      { inputs: onnx.inputs.map((t) => (t.name === 'plan' ? { ...t, shape: [1] } : t)) },
      'input "plan" fixes the batch axis to 1 but "numeric", "country", "history", "note" leave it dynamic: export the model with one or the other',
    ],
    [
      'an input whose batch axis is fixed to more than 1',
      { inputs: onnx.inputs.map((t) => (t.name === 'plan' ? { ...t, shape: [8] } : t)) },
      'input "plan" (int64 [8]) fixes its batch axis (axis 0) to 8: export it with a dynamic batch axis (torch.onnx.export\'s dynamic_axes={"plan": {0: "batch"}}), or with 1',
    ],
    [
      'an input with a dynamic axis besides the batch',
      { inputs: onnx.inputs.map((t) => (t.name === 'numeric' ? { ...t, shape: ['batch', 'sequence'] } : t)) },
      'feature "price" (float) cannot feed input "numeric" of type float32: input "numeric" has a dynamic axis 1 (a sequence): only a feature of type "text" feeds it (token ids from the folder\'s tokenizer.json)',
    ],
    [
      'an input with no batch axis at all',
      { inputs: onnx.inputs.map((t) => (t.name === 'plan' ? { ...t, shape: [] } : t)) },
      'input "plan" (int64 []) has no batch axis: predictql serves tensors whose first axis is the batch',
    ],
    [
      'a class output on an int tensor',
      { outputs: onnx.outputs.map((t) => (t.name === 'scores' ? tensor('scores', 'int64', 3) : t)) },
      'output "segment" (kind class) cannot read "scores": it reads "scores" of type int64: it needs float probabilities or logits',
    ],
  ])('refuses %s, naming both sides', (_label, change, message) => {
    expect(layoutOf(manifest(), { ...onnx, ...change })).toThrow(`m/manifest.json: does not fit model.onnx: ${message}`);
  });

  it('refuses declared tensors that differ from the file, and features that do not name their tensor among several', () => {
    const declared = manifest({ tensors: { inputs: [{ name: 'numeric', dtype: 'float64', shape: ['batch', 7] }] } });
    expect(layoutOf(declared)).toThrow('the manifest says input "numeric" is float64 [batch, 7], model.onnx has float32 [batch, 7]');
    const unnamed = manifest();
    delete unnamed.features[0]!.tensor;
    expect(layoutOf(unnamed)).toThrow(
      'feature "price" must name its tensor: the model has inputs "numeric", "plan", "country", "history", "note"',
    );
  });

  it('ignores outputs no field reads, whatever they are; reading one that cannot be read is refused', () => {
    const zipMap: OnnxValueInfo = { name: 'zipmap', isTensor: false, type: undefined, shape: undefined } as unknown as OnnxValueInfo;
    const cube = { ...tensor('cube', 'float32'), shape: ['batch', 2, 2] };
    expect(layoutOf(manifest(), { ...onnx, outputs: [...onnx.outputs, zipMap, cube] })).not.toThrow();
    const readsCube = manifest({ outputs: [{ name: 'spend', tensor: 'cube' }] });
    expect(layoutOf(readsCube, { ...onnx, outputs: [...onnx.outputs, cube] })).toThrow(
      'm/manifest.json: does not fit model.onnx: output "spend" (kind value) cannot read "cube": output "cube" has rows of 2 × 2: read it whole with kind "tensor" (nested lists), not kind "value"',
    );
    const readsZipMap = manifest({ outputs: [{ name: 'spend', tensor: 'zipmap' }] });
    expect(layoutOf(readsZipMap, { ...onnx, outputs: [...onnx.outputs, zipMap] })).toThrow(
      'm/manifest.json: does not fit model.onnx: output "zipmap" (? []) is not a tensor (a sequence or map output, e.g. a ZipMap): export the model with plain tensors',
    );
  });

  it('refuses category codes that an int tensor cannot hold exactly', () => {
    const wide = manifest();
    wide.features[4]!.codes = { FREE: 10, PRO: 2 ** 31 };
    const int32 = { ...onnx, inputs: onnx.inputs.map((t) => (t.name === 'plan' ? tensor('plan', 'int32') : t)) };
    expect(layoutOf(wide, int32)).toThrow(
      'feature "plan" (category, index) cannot feed input "plan" of type int32: its codes 2147483648 do not fit int32 exactly',
    );
    wide.features[4]!.codes = { FREE: 10, PRO: 2 ** 53 };
    expect(layoutOf(wide)).toThrow('its codes 9007199254740992 do not fit int64 exactly');
  });
});

describe('vectors into int tensors, and ranges without a minimum', () => {
  const intVector = parseManifest('v/manifest.json', {
    name: 'v',
    version: '1',
    task: 'Ids',
    features: [
      { name: 'ids', type: 'vector', tensor: 'ids', length: 2, min: 0, max: 1000 },
      { name: 'offset', type: 'float', tensor: 'offset', max: -5 },
    ],
    outputs: [{ name: 'y', tensor: 'y' }],
  });
  const codecOf = (dtype: string) =>
    new RowCodec(
      resolveLayout('v/manifest.json', intVector, {
        inputs: [tensor('ids', dtype, 2), tensor('offset', 'float32')],
        outputs: [tensor('y', 'float32')],
      }),
    );

  it('refuses a fraction for an int tensor instead of truncating it (int32) or failing the request (int64)', () => {
    for (const dtype of ['int32', 'int64']) {
      const result = codecOf(dtype).encode({ ids: [3, 1.7], offset: -6 });
      expect(result).toEqual({
        ok: false,
        problems: [{ feature: 'ids', value: [3, 1.7], reason: `must hold integers (element 1 is 1.7; the model reads ${dtype})` }],
      });
      expect(codecOf(dtype).encode({ ids: [3, 2], offset: -6 }).ok).toBe(true);
    }
  });

  it('makes sample inputs it accepts: whole numbers for int vectors, below a negative maximum', () => {
    for (const dtype of ['int32', 'int64', 'float32']) {
      const codec = codecOf(dtype);
      for (let i = 0; i < 5; i++) expect(codec.encode(codec.sampleValues(i, 5))).toMatchObject({ ok: true });
    }
  });
});

describe('the kinds added for models as they are exported', () => {
  const series = { name: 'series', isTensor: true, type: 'float32', shape: ['batch', 4, 2] } as OnnxValueInfo;
  const exported = parseManifest('e/manifest.json', {
    name: 'e',
    version: '1',
    task: 'Exported',
    features: [{ name: 'window', type: 'tensor', tensor: 'series', shape: [4, 2], min: -10, max: 10 }],
    outputs: [
      {
        name: 'label',
        kind: 'class',
        tensor: 'probabilities',
        labelTensor: 'label',
        labels: ['cats', 'dogs', 'CLASS_2'],
        modelLabels: ['cats', 'dogs', 'other animals'],
      },
      {
        name: 'alarm',
        kind: 'class',
        tensor: 'sigmoid',
        scores: 'sigmoid',
        labels: ['CALM', 'ALARM'],
        probabilitiesField: 'alarmProbabilities',
      },
      { name: 'quantiles', kind: 'tensor', tensor: 'quantiles', shape: [2, 2] },
    ],
  });
  const codec = new RowCodec(
    resolveLayout('e/manifest.json', exported, {
      inputs: [series],
      outputs: [
        tensor('label', 'string'),
        tensor('probabilities', 'float32', 3),
        tensor('sigmoid', 'float32', 1),
        { name: 'quantiles', isTensor: true, type: 'float32', shape: ['batch', 2, 2] },
      ],
    }),
  );
  const window = [
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
  ];

  it('encodes a tensor feature row-major, checking every axis and every value', () => {
    const ok = codec.encode({ window });
    expect(ok.ok && Array.from(ok.row[0] as Float32Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const problem = (value: unknown) => {
      const result = codec.encode({ window: value });
      return result.ok ? undefined : result.problems[0]!.reason;
    };
    expect(problem(window.slice(0, 3))).toBe('must be nested lists of shape 4 × 2 (axis 0 has 3 values, not 4)');
    expect(problem([...window.slice(0, 3), [7]])).toBe('must be nested lists of shape 4 × 2 (axis 1 has 1 values, not 2 (at [3]))');
    expect(problem([...window.slice(0, 3), [7, 'x']])).toBe('must be nested lists of shape 4 × 2 ([3][1] is not a number)');
    expect(problem([...window.slice(0, 3), [7, 80]])).toBe('element [3][1] must be within [-10, 10]');
    expect(problem(7)).toBe('must be nested lists of shape 4 × 2 (a number at [] where axis 0 should have 4 values)');
    for (let i = 0; i < 5; i++) expect(codec.encode(codec.sampleValues(i, 5)).ok).toBe(true);
  });

  it("reads the model's own labels (decoded on fetch), a sigmoid as two classes, and a tensor output as nested lists", () => {
    const outputs = codec.unpack(
      {
        outputs: [
          { name: 'probabilities', data: Float32Array.of(0.7, 0.2, 0.1, 0.1, 0.3, 0.6) },
          { name: 'label', data: ['dogs', 'other animals'] },
          { name: 'sigmoid', data: Float32Array.of(0.25, 0.5) },
          { name: 'quantiles', data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
        ],
      },
      2,
    );
    const label = codec.reader('label')!;
    const alarm = codec.reader('alarm')!;
    const quantiles = codec.reader('quantiles')!;
    if (label.kind !== 'class' || alarm.kind !== 'class' || quantiles.kind !== 'tensor') throw new Error('kinds');
    // The model's label, not the most probable column (row 0 says dogs though cats has 0.7).
    expect(outputs.map((o) => label.label(o))).toEqual(['dogs', 'CLASS_2']);
    expect(alarm.probabilities!(outputs[0]!)).toEqual([0.75, 0.25]);
    expect(outputs.map((o) => alarm.label(o))).toEqual(['CALM', 'CALM']);
    expect(quantiles.read(outputs[1]!)).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(() =>
      codec.unpack(
        {
          outputs: [
            { name: 'probabilities', data: Float32Array.of(1, 0, 0) },
            { name: 'label', data: ['wolves'] },
            { name: 'sigmoid', data: Float32Array.of(0) },
            { name: 'quantiles', data: Float32Array.of(1, 2, 3, 4) },
          ],
        },
        1,
      ),
    ).toThrow('output "label" gave the label "wolves", which is not one of cats, dogs, other animals');
  });

  it('refuses a sigmoid class without two labels, modelLabels of another length, and a tensor output of another shape', () => {
    const parse = (output: Record<string, unknown>) => () =>
      parseManifest('e/manifest.json', { name: 'e', version: '1', task: 'E', features: [{ name: 'x' }], outputs: [output] });
    expect(parse({ name: 'y', kind: 'class', scores: 'sigmoid', labels: ['A', 'B', 'C'] })).toThrow(
      '/outputs/0 reads one sigmoid column, so it has two labels (the first for p < 0.5), but got: 3',
    );
    expect(parse({ name: 'y', kind: 'class', labels: ['A', 'B'], labelTensor: 'l', modelLabels: [0, 1, 2] })).toThrow(
      '/outputs/0 needs one of "modelLabels" per label (2), but got: 3',
    );
    const wrong = parseManifest('e/manifest.json', {
      ...exported,
      outputs: [{ name: 'quantiles', kind: 'tensor', tensor: 'quantiles', shape: [4] }],
    });
    expect(() =>
      resolveLayout('e/manifest.json', wrong, {
        inputs: [series],
        outputs: [{ name: 'quantiles', isTensor: true, type: 'float32', shape: ['batch', 2, 2] }],
      }),
    ).toThrow('output "quantiles" (kind tensor) cannot read "quantiles": its shape is 4, and the rows of "quantiles" are 2 × 2');
  });
});
