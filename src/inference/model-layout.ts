/**
 * Where every feature goes in the model's input tensors and where every prediction field comes
 * from in its output tensors, completed from the ONNX file (as Triton completes a model's config)
 * and checked against it: names, dtypes, ranks, widths, and that every input column is fed by
 * exactly one feature. A mismatch refuses the model, naming both sides and what to change.
 */
import type { Dtype, FeatureSpec, ModelManifest, OutputSpec, TensorSpec } from './manifest.ts';
import { ManifestError } from './manifest.ts';

/** What onnxruntime says of one input or output (InferenceSession's inputMetadata / outputMetadata). */
export interface OnnxValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

export interface LayoutTensor {
  name: string;
  dtype: Dtype;
  /** Values per row: the second axis, or 1 for a [batch] tensor. */
  width: number;
  rank: 1 | 2;
}

export interface FeatureSlot {
  spec: FeatureSpec;
  /** Index into `inputs`. */
  tensor: number;
  column: number;
  /** Columns taken: 1, a vector's length, or a one-hot category's number of values. */
  width: number;
}

export interface OutputSlot {
  spec: OutputSpec;
  /** Index into `outputs` (the fetched tensors). */
  tensor: number;
  column: number;
  width: number;
}

export interface ModelLayout {
  inputs: LayoutTensor[];
  /** The output tensors some prediction field reads: what a run fetches. */
  outputs: LayoutTensor[];
  features: FeatureSlot[];
  fields: OutputSlot[];
}

const DTYPES: readonly Dtype[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'];
const NUMERIC: readonly Dtype[] = ['float32', 'float64', 'int32', 'int64'];
const FLOAT: readonly Dtype[] = ['float32', 'float64'];

/** The model's layout; throws ManifestError (on `manifestFile`) naming both sides of any mismatch. */
export function resolveLayout(
  manifestFile: string,
  manifest: ModelManifest,
  onnx: { inputs: readonly OnnxValueInfo[]; outputs: readonly OnnxValueInfo[] },
): ModelLayout {
  const fail = (problem: string): never => {
    throw new ManifestError(manifestFile, `does not fit model.onnx: ${problem}`);
  };
  const onnxInputs = onnx.inputs.map((info) => {
    const tensor = fromOnnx(info, 'input');
    return typeof tensor === 'string' ? fail(tensor) : tensor;
  });
  // An output no field reads may be anything (a ZipMap, a rank-3 tensor): it is never fetched.
  const unusable = new Map<string, string>();
  const onnxOutputs: LayoutTensor[] = [];
  for (const info of onnx.outputs) {
    const tensor = fromOnnx(info, 'output');
    if (typeof tensor === 'string') unusable.set(info.name, tensor);
    else onnxOutputs.push(tensor);
  }
  for (const name of [...(manifest.tensors.outputs ?? []).map((t) => t.name), ...manifest.outputs.map((o) => o.tensor)]) {
    const problem = name === undefined ? undefined : unusable.get(name);
    if (problem) fail(problem);
  }
  matchDeclared('input', manifest.tensors.inputs, onnxInputs, fail);
  matchDeclared('output', manifest.tensors.outputs, onnxOutputs, fail);
  const features = placeFeatures(manifest.features, onnxInputs, fail);
  const { outputs, fields } = placeOutputs(manifest.outputs, manifest.tensors.outputs, onnxOutputs, fail);
  return { inputs: onnxInputs, outputs, features, fields };
}

/** The tensors as the manifest would declare them (what `model:add` writes). */
export function tensorSpecs(tensors: readonly LayoutTensor[]): TensorSpec[] {
  return tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.rank === 1 ? ['batch'] : ['batch', t.width] }));
}

// Private: the tensor, or what makes it unusable.
function fromOnnx(info: OnnxValueInfo, side: 'input' | 'output'): LayoutTensor | string {
  const shape = info.shape ?? [];
  const described = `${side} "${info.name}" (${info.type ?? '?'} [${shape.join(', ')}])`;
  if (!info.isTensor) return `${described} is not a tensor (a sequence or map output, e.g. a ZipMap): export the model with plain tensors`;
  if (!DTYPES.includes(info.type as Dtype)) return `${described} has element type ${info.type}; predictql reads ${DTYPES.join(', ')}`;
  const batchAxis = shape[0];
  if (
    (shape.length !== 1 && shape.length !== 2) ||
    (typeof batchAxis === 'number' && batchAxis > 0) ||
    (shape.length === 2 && typeof shape[1] !== 'number')
  ) {
    return `${described} must have a dynamic batch axis first and rank 1 or 2 ([batch] or [batch, width] with a fixed width)`;
  }
  return { name: info.name, dtype: info.type as Dtype, rank: shape.length as 1 | 2, width: shape.length === 2 ? (shape[1] as number) : 1 };
}

// Private: tensors the manifest declares must be the model's own, as they are in model.onnx.
function matchDeclared(
  side: 'input' | 'output',
  declared: readonly TensorSpec[] | undefined,
  actual: readonly LayoutTensor[],
  fail: (p: string) => never,
): void {
  if (!declared) return;
  const shown = (t: LayoutTensor) => `${t.dtype} [${t.rank === 1 ? 'batch' : `batch, ${t.width}`}]`;
  for (const spec of declared) {
    const found = actual.find((t) => t.name === spec.name);
    if (!found)
      fail(`the manifest declares ${side} "${spec.name}", model.onnx has ${side}s ${actual.map((t) => `"${t.name}"`).join(', ')}`);
    const rank = spec.shape.length;
    const width = spec.shape[1] ?? 1;
    if (found.dtype !== spec.dtype || found.rank !== rank || found.width !== width) {
      fail(`the manifest says ${side} "${spec.name}" is ${spec.dtype} [${spec.shape.join(', ')}], model.onnx has ${shown(found)}`);
    }
  }
  if (side === 'input' && declared.length !== actual.length) {
    const missing = actual.filter((t) => !declared.some((d) => d.name === t.name)).map((t) => `"${t.name}"`);
    fail(`model.onnx has inputs the manifest does not declare: ${missing.join(', ')} (declare every input, or leave "tensors.inputs" out)`);
  }
}

function placeFeatures(features: readonly FeatureSpec[], inputs: readonly LayoutTensor[], fail: (p: string) => never): FeatureSlot[] {
  const next = new Map<string, number>();
  const slots = features.map((spec): FeatureSlot => {
    const tensor = pickTensor(`feature "${spec.name}"`, spec.tensor, inputs, 'input', fail);
    const t = inputs[tensor]!;
    const width = spec.type === 'vector' ? spec.length! : spec.encoding === 'onehot' ? spec.values!.length : 1;
    const column = spec.column ?? next.get(t.name) ?? 0;
    next.set(t.name, column + width);
    if (column + width > t.width)
      fail(`feature "${spec.name}" takes columns ${column}..${column + width - 1} of input "${t.name}", which has ${t.width}`);
    const problem = feedProblem(spec, t.dtype);
    if (problem) fail(`feature "${spec.name}" (${describeFeature(spec)}) cannot feed input "${t.name}" of type ${t.dtype}: ${problem}`);
    return { spec, tensor, column, width };
  });
  // Every input column must be fed by exactly one feature: a gap would be fed garbage.
  inputs.forEach((t, ti) => {
    const owner = Array.from<string | undefined>({ length: t.width });
    for (const slot of slots.filter((s) => s.tensor === ti)) {
      for (let c = slot.column; c < slot.column + slot.width; c++) {
        if (owner[c]) fail(`features "${owner[c]}" and "${slot.spec.name}" both feed column ${c} of input "${t.name}"`);
        owner[c] = slot.spec.name;
      }
    }
    const unfed = owner.flatMap((name, c) => (name ? [] : [c]));
    if (unfed.length > 0)
      fail(
        `no feature feeds column${unfed.length > 1 ? 's' : ''} ${unfed.join(', ')} of input "${t.name}" (${t.dtype}, width ${t.width}): add features for them`,
      );
  });
  return slots;
}

// Private: what a feature type and encoding can write into a tensor of `dtype`.
function feedProblem(spec: FeatureSpec, dtype: Dtype): string | undefined {
  switch (spec.type) {
    case 'float':
      return FLOAT.includes(dtype) ? undefined : 'a float feature needs a float32 or float64 tensor (use type "int" for integers)';
    case 'int':
    case 'vector':
      return NUMERIC.includes(dtype) ? undefined : `a ${spec.type} feature needs a numeric tensor`;
    case 'bool':
      return dtype === 'bool' || NUMERIC.includes(dtype) ? undefined : 'a bool feature needs a bool or numeric tensor';
    case 'string':
      return dtype === 'string' ? undefined : 'a string feature needs a string tensor';
    case 'category': {
      const codes = Object.values(spec.codes ?? {});
      if (spec.encoding === 'string') {
        if (dtype !== 'string') return 'encoding "string" needs a string tensor';
        return codes.every((c) => typeof c === 'string') ? undefined : 'its codes must be strings';
      }
      if (!NUMERIC.includes(dtype)) return `encoding "${spec.encoding}" needs a numeric tensor`;
      if (spec.encoding === 'onehot' && codes.length > 0) return 'a one-hot category takes no codes';
      if (!codes.every((c) => typeof c === 'number' && (FLOAT.includes(dtype) || Number.isInteger(c))))
        return 'its codes must be numbers (integers for an int tensor)';
      const fits =
        dtype === 'int32' ? (c: number) => c >= -(2 ** 31) && c < 2 ** 31 : (c: number) => Number.isSafeInteger(c) || FLOAT.includes(dtype);
      const outside = (codes as number[]).filter((c) => !fits(c));
      return outside.length === 0 ? undefined : `its codes ${outside.join(', ')} do not fit ${dtype} exactly`;
    }
  }
}

function describeFeature(spec: FeatureSpec): string {
  if (spec.type === 'category') return `category, ${spec.encoding}`;
  if (spec.type === 'vector') return `vector of ${spec.length}`;
  return spec.type;
}

function placeOutputs(
  specs: readonly OutputSpec[],
  declared: readonly TensorSpec[] | undefined,
  onnxOutputs: readonly LayoutTensor[],
  fail: (p: string) => never,
): { outputs: LayoutTensor[]; fields: OutputSlot[] } {
  // Fields may name any output of the model; without a name, the one the manifest declares (or the only one).
  const candidates = declared ? onnxOutputs.filter((t) => declared.some((d) => d.name === t.name)) : onnxOutputs;
  const outputs: LayoutTensor[] = [];
  const next = new Map<string, number>();
  const fields = specs.map((spec): OutputSlot => {
    const index = pickTensor(`output "${spec.name}"`, spec.tensor, spec.tensor ? onnxOutputs : candidates, 'output', fail);
    const t = (spec.tensor ? onnxOutputs : candidates)[index]!;
    const column = spec.column ?? next.get(t.name) ?? 0;
    const width = spec.kind === 'class' ? spec.labels!.length : spec.kind === 'vector' ? (spec.length ?? t.width - column) : 1;
    next.set(t.name, column + width);
    if (width < 1 || column + width > t.width) {
      fail(`output "${spec.name}" reads columns ${column}..${column + width - 1} of output "${t.name}", which has ${t.width}`);
    }
    if (spec.kind === 'class' && !FLOAT.includes(t.dtype))
      fail(`class output "${spec.name}" reads "${t.name}" of type ${t.dtype}: it needs float probabilities or logits`);
    if (spec.kind !== 'class' && !NUMERIC.includes(t.dtype))
      fail(`output "${spec.name}" reads "${t.name}" of type ${t.dtype}: it needs a numeric tensor`);
    let fetched = outputs.findIndex((o) => o.name === t.name);
    if (fetched === -1) fetched = outputs.push(t) - 1;
    return { spec, tensor: fetched, column, width };
  });
  return { outputs, fields };
}

function pickTensor(
  what: string,
  name: string | undefined,
  tensors: readonly LayoutTensor[],
  side: string,
  fail: (p: string) => never,
): number {
  if (name === undefined) {
    if (tensors.length !== 1) fail(`${what} must name its tensor: the model has ${side}s ${tensors.map((t) => `"${t.name}"`).join(', ')}`);
    return 0;
  }
  const index = tensors.findIndex((t) => t.name === name);
  if (index === -1) fail(`${what} names ${side} "${name}", model.onnx has ${side}s ${tensors.map((t) => `"${t.name}"`).join(', ')}`);
  return index;
}
