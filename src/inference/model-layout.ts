/**
 * Where every feature goes in the model's input tensors and where every prediction field comes
 * from in its output tensors, completed from the ONNX file (as Triton completes a model's config)
 * and checked against it: names, dtypes, shapes, widths, and that every input column is fed by
 * exactly one feature. What each kind can feed or read is its module's (kinds/). A mismatch
 * refuses the model, naming both sides and what to change.
 */
import { featureKinds, type OutputSlot, outputKinds } from './kinds/index.ts';
import { ManifestError } from './manifest.ts';
import type { Dtype, FeatureSpec, ModelManifest, OutputSpec, TensorSpec } from './manifest-spec.ts';
import type { LayoutTensor, TextPadding } from './tensors.ts';
import { TextTokenizer, type TokenizerFiles } from './text/text-tokenizer.ts';

/** What onnxruntime says of one input or output (InferenceSession's inputMetadata / outputMetadata). */
export interface OnnxValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

export interface FeatureSlot {
  spec: FeatureSpec;
  /** Index into `inputs`. */
  tensor: number;
  column: number;
  /** Columns taken: 1, a vector's length, a one-hot category's number of values, a tensor's whole row. */
  width: number;
}

export interface ModelLayout {
  /** A text model's tokenizer files, for the codec of every thread to compile. */
  tokenizer?: TokenizerFiles;
  inputs: LayoutTensor[];
  /** The output tensors some prediction field reads: what a run fetches. */
  outputs: LayoutTensor[];
  features: FeatureSlot[];
  fields: OutputSlot[];
  /**
   * The most rows the model takes in one run, when model.onnx fixes its batch axis (to 1: the
   * torch.onnx.export default without dynamic_axes); undefined when the batch axis is dynamic.
   */
  maxBatchRows?: number;
}

const DTYPES: readonly Dtype[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'];

/** The model's layout; throws ManifestError (on `manifestFile`) naming both sides of any mismatch. */
export function resolveLayout(
  manifestFile: string,
  manifest: ModelManifest,
  onnx: { inputs: readonly OnnxValueInfo[]; outputs: readonly OnnxValueInfo[] },
  /** The model folder's tokenizer files, for a text feature. */
  tokenizer?: TokenizerFiles,
  textPadding: TextPadding = 'longest',
): ModelLayout {
  const fail = (problem: string): never => {
    throw new ManifestError(manifestFile, `does not fit model.onnx: ${problem}`);
  };
  const inputs = onnx.inputs.map((info) => {
    const tensor = fromOnnx(info, 'input');
    return typeof tensor === 'string' ? fail(tensor) : tensor;
  });
  // An output no field reads may be anything (a ZipMap, a dynamic shape): it is never fetched.
  const unusable = new Map<string, string>();
  const onnxOutputs: ServedTensor[] = [];
  for (const info of onnx.outputs) {
    const tensor = fromOnnx(info, 'output');
    if (typeof tensor === 'string') unusable.set(info.name, tensor);
    else onnxOutputs.push(tensor);
  }
  const named = [...(manifest.tensors.outputs ?? []).map((t) => t.name), ...manifest.outputs.flatMap((o) => [o.tensor, o.labelTensor])];
  for (const name of named) {
    const problem = name === undefined ? undefined : unusable.get(name);
    if (problem) fail(problem);
  }
  matchDeclared('input', manifest.tensors.inputs, inputs, fail);
  matchDeclared('output', manifest.tensors.outputs, onnxOutputs, fail);
  const maxBatchRows = batchLimit(inputs, fail);
  const features = placeFeatures(manifest.features, inputs, fail);
  placeText(manifest.features, inputs, tokenizer, textPadding, fail);
  const { outputs, fields } = placeOutputs(manifest.outputs, manifest.tensors.outputs, onnxOutputs, fail);
  return {
    ...(tokenizer && manifest.features.some((f) => f.type === 'text') ? { tokenizer } : {}),
    inputs: inputs.map(served),
    outputs,
    features,
    fields,
    ...(maxBatchRows ? { maxBatchRows } : {}),
  };
}

/** The tensors as the manifest would declare them (what `model:add` writes); a pooled output as model.onnx has it. */
export function tensorSpecs(tensors: readonly LayoutTensor[], maxBatchRows?: number): TensorSpec[] {
  return tensors.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: [maxBatchRows === 1 ? 1 : 'batch', ...(t.sequence ? ['sequence' as const] : []), ...t.dims] as TensorSpec['shape'],
  }));
}

// Private: a tensor of the file, with its batch axis (a fixed length, or undefined when dynamic).
interface ServedTensor extends LayoutTensor {
  batch: number | undefined;
}

function served({ batch: _batch, ...tensor }: ServedTensor): LayoutTensor {
  return tensor;
}

// Private: the tensor, or what makes it unusable, saying which axis and why.
function fromOnnx(info: OnnxValueInfo, side: 'input' | 'output'): ServedTensor | string {
  const shape = info.shape ?? [];
  const described = `${side} "${info.name}" (${info.type ?? '?'} [${shape.map((d) => (d === '' ? '?' : d)).join(', ')}])`;
  if (!info.isTensor) return `${described} is not a tensor (a sequence or map output, e.g. a ZipMap): export the model with plain tensors`;
  if (!DTYPES.includes(info.type as Dtype)) return `${described} has element type ${info.type}; predictql reads ${DTYPES.join(', ')}`;
  if (shape.length === 0) return `${described} has no batch axis: predictql serves tensors whose first axis is the batch`;
  const batchAxis = shape[0];
  const batch = typeof batchAxis === 'number' && batchAxis > 0 ? batchAxis : undefined;
  if (batch !== undefined && batch !== 1) {
    return `${described} fixes its batch axis (axis 0) to ${batch}: export it with a dynamic batch axis (torch.onnx.export's dynamic_axes={"${info.name}": {0: "batch"}}), or with 1`;
  }
  // Axis 1 may be dynamic: a sequence (a text model's tokens), padded per run (sequence.ts). Any other is refused.
  const sequence = shape.length >= 2 && !isFixed(shape[1]);
  const dims: number[] = [];
  for (let axis = sequence ? 2 : 1; axis < shape.length; axis++) {
    const d = shape[axis];
    if (!isFixed(d)) {
      return `${described} has a dynamic axis ${axis} (${d === '' || d === undefined ? 'unnamed' : `"${d}"`}): only the batch axis and a sequence axis right after it may be dynamic`;
    }
    dims.push(d as number);
  }
  return {
    name: info.name,
    dtype: info.type as Dtype,
    dims,
    width: dims.reduce((a, b) => a * b, 1),
    batch,
    ...(sequence ? { sequence: {} } : {}),
  };
}

function isFixed(d: number | string | undefined): boolean {
  return typeof d === 'number' && d >= 1;
}

// Private: the sequence inputs of a text model: the text feature's token ids (padded with the
// tokenizer's pad id), and the attention mask and token types it implies; no other may be dynamic.
function placeText(
  features: readonly FeatureSpec[],
  inputs: LayoutTensor[],
  files: TokenizerFiles | undefined,
  padding: TextPadding,
  fail: (p: string) => never,
): void {
  const texts = features.filter((f) => f.type === 'text');
  const sequences = inputs.filter((t) => t.sequence);
  if (texts.length === 0) {
    const [first] = sequences;
    if (first)
      fail(
        `input "${first.name}" has a dynamic axis 1 (a sequence): it is a text model's input, fed by a feature of type "text" (token ids from the folder's tokenizer.json)`,
      );
    return;
  }
  if (texts.length > 1)
    fail(`features ${texts.map((f) => `"${f.name}"`).join(', ')} are all text: a model takes one text feature (one sequence axis)`);
  const [text] = texts as [FeatureSpec];
  if (!files) fail(`feature "${text.name}" is text: the model folder needs its tokenizer.json`);
  const tokenizer = new TextTokenizer(files!);
  if (text.maxTokens === undefined && tokenizer.modelMaxLength === undefined)
    fail(`feature "${text.name}" needs "maxTokens": the tokenizer states no model_max_length`);
  const ids = inputs.find((t) => t.name === (text.tensor ?? 'input_ids')) ?? (sequences.length === 1 ? sequences[0] : undefined);
  if (!ids)
    fail(
      `feature "${text.name}" must name its token-id input ("tensor"): the model has inputs ${inputs.map((t) => `"${t.name}"`).join(', ')}`,
    );
  ids!.sequence = {
    fill: 'ids',
    pad: tokenizer.padId,
    ...(padding === 'max' ? { padTo: text.maxTokens ?? tokenizer.modelMaxLength! } : {}),
  };
  const derived = (name: string | undefined, fallback: string, fill: 'mask' | 'zeros'): void => {
    const t = inputs.find((i) => i.name === (name ?? fallback));
    if (!t) {
      if (name !== undefined)
        fail(`feature "${text.name}" names input "${name}", model.onnx has inputs ${inputs.map((i) => `"${i.name}"`).join(', ')}`);
      return;
    }
    if (!t.sequence || t.dims.length > 0 || (t.dtype !== 'int64' && t.dtype !== 'int32'))
      fail(
        `input "${t.name}" is the text's ${fill === 'mask' ? 'attention mask' : 'token types'}: it must be int64 or int32 [batch, sequence]`,
      );
    t.sequence = { fill };
  };
  derived(text.attentionMask, 'attention_mask', 'mask');
  derived(text.tokenTypeIds, 'token_type_ids', 'zeros');
  const unfed = inputs.filter((t) => t.sequence && t.sequence.fill === undefined);
  if (unfed.length > 0)
    fail(
      `input${unfed.length > 1 ? 's' : ''} ${unfed.map((t) => `"${t.name}"`).join(', ')} ha${unfed.length > 1 ? 've' : 's'} a sequence axis but ${unfed.length > 1 ? 'are' : 'is'} neither the text's token ids, attention mask nor token types`,
    );
}

// Private: a batch axis fixed to 1 on every input means runs of one row; a mix cannot be served.
function batchLimit(inputs: readonly ServedTensor[], fail: (p: string) => never): number | undefined {
  const fixed = inputs.filter((t) => t.batch !== undefined);
  if (fixed.length === 0) return undefined;
  const dynamic = inputs.filter((t) => t.batch === undefined);
  const names = (tensors: readonly ServedTensor[]) => tensors.map((t) => `"${t.name}"`).join(', ');
  if (dynamic.length > 0)
    fail(
      `input${fixed.length > 1 ? 's' : ''} ${names(fixed)} fix${fixed.length > 1 ? '' : 'es'} the batch axis to 1 but ${names(dynamic)} leave${dynamic.length > 1 ? '' : 's'} it dynamic: export the model with one or the other`,
    );
  return 1;
}

// Private: tensors the manifest declares must be the model's own, as they are in model.onnx.
function matchDeclared(
  side: 'input' | 'output',
  declared: readonly TensorSpec[] | undefined,
  actual: readonly ServedTensor[],
  fail: (p: string) => never,
): void {
  if (!declared) return;
  const shown = (t: ServedTensor) => `${t.dtype} [${[t.batch ?? 'batch', ...(t.sequence ? ['sequence'] : []), ...t.dims].join(', ')}]`;
  for (const spec of declared) {
    const found = actual.find((t) => t.name === spec.name);
    if (!found)
      fail(`the manifest declares ${side} "${spec.name}", model.onnx has ${side}s ${actual.map((t) => `"${t.name}"`).join(', ')}`);
    const [batch, ...axes] = spec.shape;
    const sequence = typeof axes[0] === 'string';
    const dims = sequence ? axes.slice(1) : axes;
    if (
      found.dtype !== spec.dtype ||
      dims.join(',') !== found.dims.join(',') ||
      (batch === 1) !== (found.batch === 1) ||
      sequence !== (found.sequence !== undefined)
    ) {
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
    const kind = featureKinds[spec.type];
    const tensor = pickTensor(`feature "${spec.name}"`, spec.tensor, inputs, 'input', fail);
    const t = inputs[tensor]!;
    const problem =
      t.sequence && spec.type !== 'text'
        ? `input "${t.name}" has a dynamic axis 1 (a sequence): only a feature of type "text" feeds it (token ids from the folder's tokenizer.json)`
        : spec.type !== 'tensor' && t.dims.length > 1
          ? `input "${t.name}" has rows of ${t.dims.join(' × ')}: feed it whole with one feature of type "tensor" (shape [${t.dims.join(', ')}])`
          : kind.feedProblem(spec, t);
    if (problem) fail(`feature "${spec.name}" (${kind.describe(spec)}) cannot feed input "${t.name}" of type ${t.dtype}: ${problem}`);
    const width = kind.width(spec, t);
    const column = spec.column ?? next.get(t.name) ?? 0;
    next.set(t.name, column + width);
    if (column + width > t.width)
      fail(`feature "${spec.name}" takes columns ${column}..${column + width - 1} of input "${t.name}", which has ${t.width}`);
    return { spec, tensor, column, width };
  });
  // Every input column must be fed by exactly one feature: a gap would be fed garbage. A sequence
  // input is the text feature's (placeText).
  inputs.forEach((t, ti) => {
    if (t.sequence) return;
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

function placeOutputs(
  specs: readonly OutputSpec[],
  declared: readonly TensorSpec[] | undefined,
  onnxOutputs: readonly LayoutTensor[],
  fail: (p: string) => never,
): { outputs: LayoutTensor[]; fields: OutputSlot[] } {
  // Fields may name any output of the model; without a name, the one the manifest declares (or the only one).
  const candidates = declared ? onnxOutputs.filter((t) => declared.some((d) => d.name === t.name)) : onnxOutputs;
  const outputs: LayoutTensor[] = [];
  const fetch = (t: LayoutTensor): number => {
    const at = outputs.findIndex((o) => o.name === t.name);
    return at === -1 ? outputs.push(served(t as ServedTensor)) - 1 : at;
  };
  const next = new Map<string, number>();
  const fields = specs.map((spec): OutputSlot => {
    const kind = outputKinds[spec.kind];
    const labelsOnly = spec.kind === 'class' && spec.scores === 'none';
    const name = labelsOnly ? (spec.tensor ?? spec.labelTensor) : spec.tensor;
    const index = pickTensor(`output "${spec.name}"`, name, name ? onnxOutputs : candidates, 'output', fail);
    const t = (name ? onnxOutputs : candidates)[index]!;
    const problem = kind.tensorProblem(spec, t);
    if (problem) fail(`output "${spec.name}" (kind ${spec.kind}) cannot read "${t.name}": ${problem}`);
    const column = spec.column ?? next.get(t.name) ?? 0;
    const width = kind.width(spec, t, column);
    next.set(t.name, column + width);
    if ((width < 1 && !labelsOnly) || column + width > t.width) {
      fail(`output "${spec.name}" reads columns ${column}..${column + width - 1} of output "${t.name}", which has ${t.width}`);
    }
    const slot: OutputSlot = { spec, tensor: fetch(t), column, width, dims: t.dims };
    if (spec.pooling) outputs[slot.tensor]!.sequence = { pool: { mode: spec.pooling, normalize: spec.normalize ?? false } };
    if (spec.labelTensor !== undefined) slot.labelTensor = placeLabels(spec, onnxOutputs, outputs, fetch, fail);
    return slot;
  });
  return { outputs, fields };
}

// Private: a class output's label tensor: [batch] or [batch, 1] of strings or integers, fetched
// with its classes so that the run's labels become class indices.
function placeLabels(
  spec: OutputSpec,
  onnxOutputs: readonly LayoutTensor[],
  outputs: LayoutTensor[],
  fetch: (t: LayoutTensor) => number,
  fail: (p: string) => never,
): number {
  const t = onnxOutputs[pickTensor(`output "${spec.name}"`, spec.labelTensor, onnxOutputs, 'output', fail)]!;
  if (t.width !== 1 || !['string', 'int64', 'int32'].includes(t.dtype))
    fail(
      `output "${spec.name}" reads its labels from "${t.name}", which must be one string or integer per row, and it is ${t.dtype} [batch, ${t.dims.join(', ')}]`,
    );
  const classes = spec.modelLabels ?? spec.labels!;
  if (t.dtype !== 'string' && !classes.every((c) => Number.isInteger(c)))
    fail(`output "${spec.name}" reads integer labels from "${t.name}": give them as "modelLabels" (integers, in label order)`);
  const index = fetch(t);
  const fetched = outputs[index]!;
  if (fetched.classes && fetched.classes.join('\u0000') !== classes.join('\u0000'))
    fail(`outputs read labels from "${t.name}" with different classes`);
  fetched.classes = [...classes];
  return index;
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
