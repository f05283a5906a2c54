/**
 * `npm run model:add -- <path/to/model.onnx | path/to/folder> [--name N] [--task T] [--models-dir D]`:
 * brings an ONNX model into the model repository as the converters export it (a text model as
 * optimum exports it: a folder with model.onnx, tokenizer.json and config.json, all copied). Reads its graph (class labels,
 * the categories its encoders know, what computes each output) and onnxruntime's view of its
 * inputs and outputs after the rewrite the server makes at load (a ZipMap's seq(map) becomes the
 * tensor it reads), and writes a manifest skeleton from them: one feature per input column (a
 * category where the graph states the values, a nested tensor for rank-3 and up), a class output
 * with the model's own labels where the graph has a classifier (or a one-column sigmoid), values,
 * vectors and tensors elsewhere. Before writing anything it loads the model with that skeleton
 * exactly as the server will (layout, warm-up run included); then it copies model.onnx to
 * <models dir>/<name>/ and prints what to fill in. No code changes; the server serves it at its
 * next start.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession } from 'onnxruntime-node';
import { defaultModelsDir } from '../src/config.ts';
import { plural } from '../src/graphql/tasks.ts';
import {
  type FeatureSpec,
  ModelRegistry,
  type OnnxGraph,
  type OnnxValueInfo,
  type OutputSpec,
  rewriteForServing,
  TOKENIZER_FILES,
} from '../src/inference/index.ts';
import { isMain } from './write-or-check.ts';

/** An output this wide becomes one vector field rather than a field per column. */
const VECTOR_FROM_WIDTH = 9;

export interface AddedModel {
  folder: string;
  manifest: Record<string, unknown>;
  /** What the user should fill in, one line each. */
  todo: string[];
}

/** Files of an export's folder that travel with model.onnx: the tokenizer's, transformers' config, sentence-transformers' pooling. */
const COMPANION_FILES = [...TOKENIZER_FILES, 'config.json', join('1_Pooling', 'config.json')];

export async function addModel(source: string, options: { name?: string; task?: string; modelsDir?: string } = {}): Promise<AddedModel> {
  const onnxFile = await modelFileOf(source);
  const name = options.name ?? defaultName(onnxFile);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name))
    throw new Error(`--name must be a model name (lowercase letters, digits, ".", "_", "-"), but got: ${JSON.stringify(name)}`);
  const task = options.task ?? pascal(name);
  if (!/^[A-Z][_0-9A-Za-z]*$/.test(task))
    throw new Error(`--task must be a GraphQL type name stem (PascalCase), but got: ${JSON.stringify(task)}`);
  const folder = join(options.modelsDir ?? defaultModelsDir, name);
  if (await exists(folder)) throw new Error(`${folder} exists already: choose another --name, or remove it first`);

  const served = rewriteForServing(await readFile(onnxFile));
  const session = await InferenceSession.create(served.bytes);
  const onnx = { inputs: session.inputMetadata as readonly OnnxValueInfo[], outputs: session.outputMetadata as readonly OnnxValueInfo[] };
  await session.release();
  const companions = await companionsOf(dirname(onnxFile));
  const { features, outputs, todo } = skeleton(onnx, served.graph, await textHints(dirname(onnxFile), companions));
  for (const change of served.changes)
    todo.unshift(`nothing to do: the server rewrites this at load (model.onnx stays as it is): ${change.description}`);
  const manifest: Record<string, unknown> = {
    name,
    version: '0.1.0',
    task,
    description: `TODO: what ${name} predicts.`,
    framework: 'unknown',
    kind: 'unknown',
    tensors: {},
    features,
    outputs,
  };
  manifest.tensors = (await loadAsTheServerWill(onnxFile, companions, manifest)).tensors;
  await copyModel(onnxFile, companions, folder);
  await writeFile(join(folder, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of companions) todo.push(`nothing to do: copied ${file} beside model.onnx`);
  return { folder, manifest, todo };
}

// Private: model.onnx itself, or the one in a folder (optimum writes model.onnx, sometimes under onnx/).
async function modelFileOf(source: string): Promise<string> {
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new Error(`${source} does not exist`);
  if (!info.isDirectory()) return source;
  for (const candidate of [join(source, 'model.onnx'), join(source, 'onnx', 'model.onnx')]) if (await exists(candidate)) return candidate;
  throw new Error(`${source} holds no model.onnx (nor onnx/model.onnx)`);
}

async function companionsOf(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of COMPANION_FILES) if (await exists(join(folder, file))) found.push(file);
  return found;
}

async function copyModel(onnxFile: string, companions: readonly string[], folder: string): Promise<void> {
  await mkdir(join(folder, '1_Pooling'), { recursive: true });
  await copyFile(onnxFile, join(folder, 'model.onnx'));
  for (const file of companions) await copyFile(join(dirname(onnxFile), file), join(folder, file));
  if (!companions.includes(join('1_Pooling', 'config.json'))) await rm(join(folder, '1_Pooling'), { recursive: true });
}

/** What a text model's files say: transformers' labels (id2label), its longest input, sentence-transformers' pooling. */
interface TextHints {
  tokenizer: boolean;
  /** tokenizer_config.json's model_max_length, when usable. */
  modelMaxLength?: number;
  labels?: string[];
  maxPositions?: number;
  pooling?: 'mean' | 'cls' | 'max';
}

async function textHints(folder: string, companions: readonly string[]): Promise<TextHints> {
  const json = async (file: string) =>
    companions.includes(file) ? (JSON.parse(await readFile(join(folder, file), 'utf8')) as Record<string, unknown>) : undefined;
  const config = await json('config.json');
  const pooling = await json(join('1_Pooling', 'config.json'));
  const tokenizerConfig = await json('tokenizer_config.json');
  const maxLength = Number(tokenizerConfig?.model_max_length);
  const id2label = config?.id2label as Record<string, string> | undefined;
  const labels = id2label
    ? Object.keys(id2label)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => id2label[k]!)
    : undefined;
  const maxPositions = typeof config?.max_position_embeddings === 'number' ? config.max_position_embeddings : undefined;
  const mode = pooling?.pooling_mode_cls_token ? 'cls' : pooling?.pooling_mode_max_tokens ? 'max' : pooling ? 'mean' : undefined;
  return {
    tokenizer: companions.includes('tokenizer.json'),
    ...(Number.isInteger(maxLength) && maxLength > 0 && maxLength < 1_000_000 ? { modelMaxLength: maxLength } : {}),
    ...(labels ? { labels } : {}),
    ...(maxPositions ? { maxPositions } : {}),
    ...(mode ? { pooling: mode } : {}),
  };
}

// Private: the skeleton goes through the server's own loader in a scratch models folder: the
// manifest's checks, the layout against model.onnx, the warm-up run. What it refuses, the server
// would refuse; its messages name the user's file, not the scratch copy.
async function loadAsTheServerWill(
  onnxFile: string,
  companions: readonly string[],
  manifest: Record<string, unknown>,
): Promise<{ tensors: unknown }> {
  const scratch = await mkdtemp(join(tmpdir(), 'predictql-model-add-'));
  const folder = join(scratch, manifest.name as string);
  try {
    await copyModel(onnxFile, companions, folder);
    await writeFile(join(folder, 'manifest.json'), JSON.stringify(manifest));
    const registry = await ModelRegistry.load(scratch);
    const [model] = registry.list();
    await model?.release?.();
    return { tensors: model!.manifest.tensors };
  } catch (error) {
    const message = (error as Error).message
      .replaceAll(join(folder, 'manifest.json'), 'the manifest model:add would write')
      .replaceAll(join(folder, 'model.onnx'), onnxFile);
    throw new Error(`the model cannot be served as exported: ${message}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// Private: the manifest's features and outputs from onnxruntime's metadata and the graph's facts.
function skeleton(onnx: { inputs: readonly OnnxValueInfo[]; outputs: readonly OnnxValueInfo[] }, graph: OnnxGraph, text: TextHints) {
  const todo: string[] = [];
  const names = new UniqueNames();
  const features: Partial<FeatureSpec>[] = [];
  const sequences = onnx.inputs.filter(hasSequenceAxis);
  if (sequences.length > 0) features.push(textFeature(sequences, text, todo));
  for (const input of onnx.inputs) if (!hasSequenceAxis(input)) features.push(...featuresOf(input, graph, names, todo));
  const outputs: Partial<OutputSpec>[] = [];
  const outputNames = new UniqueNames(['model']);
  const read = new Set<string>();
  const available = new Set(onnx.outputs.filter((o) => o.isTensor).map((o) => o.name));
  const classifiers = graph.classes.filter((c) => [c.labelOutput, c.probabilityOutput].some((o) => o !== undefined && available.has(o)));
  for (const classifier of classifiers) {
    const spec = classOutput(classifier, available, classifiers.length, outputNames);
    outputs.push(spec);
    for (const o of [spec.tensor, spec.labelTensor]) if (o) read.add(o);
    todo.push(
      `output "${spec.name}": a class of ${spec.labels!.length} labels read from the model's ${classifier.opType} (${(spec.modelLabels ?? spec.labels)!.join(', ')})${spec.modelLabels ? '; rename the enum values in "labels" if you like (keep "modelLabels")' : ''}`,
    );
  }
  for (const output of onnx.outputs) {
    if (read.has(output.name)) continue;
    outputs.push(...outputsOf(output, graph, text, outputNames, todo));
  }
  if (outputs.length === 0) throw new Error('the model has no numeric output tensor for predictql to read');
  return { features, outputs, todo };
}

function featuresOf(input: OnnxValueInfo, graph: OnnxGraph, names: UniqueNames, todo: string[]): Partial<FeatureSpec>[] {
  const dims = rowDims(input);
  const dtype = input.type ?? '';
  if (dims.length >= 2) {
    todo.push(
      `input "${input.name}" (${dtype}, rows of ${dims.join(' × ')}): one tensor feature; give its unit and range (min, max of every value)`,
    );
    return [{ name: names.take(input.name), type: 'tensor', shape: dims, tensor: input.name, description: '' }];
  }
  const width = dims[0] ?? 1;
  const type = dtype === 'bool' ? 'bool' : dtype === 'string' ? 'string' : /int/.test(dtype) ? 'int' : 'float';
  const features: Partial<FeatureSpec>[] = [];
  for (let c = 0; c < width; c++) {
    const name = names.take(width === 1 ? input.name : `${input.name}${c}`);
    const known = graph.categories.find((k) => k.input === input.name && (k.column ?? 0) === c);
    if (known) {
      features.push({ name, ...categoryOf(known.categories), tensor: input.name, description: '' });
      todo.push(
        `input "${input.name}"${width > 1 ? ` column ${c}` : ''}: a category of the ${known.categories.values.length} values the model's ${known.encoder} knows` +
          (known.unknown === 'fails'
            ? ' (any other value would fail its run: predictql refuses it first, BAD_USER_INPUT)'
            : ` (the model would encode any other value as ${known.unknown === 'zeros' ? 'zeros' : `its default ${JSON.stringify(known.defaultValue)}`}: predictql refuses it instead)`),
      );
      continue;
    }
    features.push({ name, type, tensor: input.name, description: '' });
  }
  const free = features.filter((f) => f.type !== 'category').length;
  if (free > 0)
    todo.push(
      `input "${input.name}" (${dtype}, ${width} column${width > 1 ? 's' : ''}): name each feature, give its unit and its range (min, max)` +
        (type === 'int' || type === 'string' ? '; a closed set of values is better as type "category" (values, encoding)' : ''),
    );
  return features;
}

// Private: a category feature of the values an encoder lists: enum values as close to them as
// GraphQL allows, with the model's own values as codes where they differ.
function categoryOf(categories: OnnxGraph['categories'][number]['categories']): Partial<FeatureSpec> {
  const values = enumValues(categories.values, categories.dtype === 'int64' ? 'VALUE' : undefined);
  const codes = Object.fromEntries(values.flatMap((v, i) => (v === String(categories.values[i]) ? [] : [[v, categories.values[i]!]])));
  return {
    type: 'category',
    values,
    encoding: categories.dtype === 'string' ? 'string' : 'index',
    ...(categories.dtype === 'int64' || Object.keys(codes).length > 0
      ? { codes: categories.dtype === 'int64' ? Object.fromEntries(values.map((v, i) => [v, categories.values[i]!])) : codes }
      : {}),
  };
}

function classOutput(
  classifier: OnnxGraph['classes'][number],
  available: ReadonlySet<string>,
  count: number,
  names: UniqueNames,
): Partial<OutputSpec> {
  const modelLabels = classifier.labels.values;
  const labels = enumValues(modelLabels, classifier.labels.dtype === 'int64' ? 'CLASS' : undefined);
  const differs = labels.some((l, i) => l !== String(modelLabels[i]));
  const probabilities =
    classifier.probabilityOutput && available.has(classifier.probabilityOutput) ? classifier.probabilityOutput : undefined;
  const labelTensor = classifier.labelOutput && available.has(classifier.labelOutput) ? classifier.labelOutput : undefined;
  const name = names.take(count === 1 ? 'label' : `${labelTensor ?? probabilities}Label`);
  return {
    name,
    kind: 'class',
    labels,
    ...(differs ? { modelLabels: [...modelLabels] } : {}),
    ...(probabilities ? { tensor: probabilities } : { scores: 'none' as const }),
    ...(labelTensor ? { labelTensor } : {}),
    ...(count > 1 && probabilities ? { probabilitiesField: names.take(`${name}Probabilities`) } : {}),
    description: '',
  };
}

function outputsOf(output: OnnxValueInfo, graph: OnnxGraph, text: TextHints, names: UniqueNames, todo: string[]): Partial<OutputSpec>[] {
  if (!output.isTensor || output.type === 'string' || output.type === 'bool') {
    todo.push(`output "${output.name}" (${output.type ?? 'not a tensor'}) is not read: predictql reads numeric tensors`);
    return [];
  }
  if (hasSequenceAxis(output)) {
    const pooling = text.pooling ?? 'mean';
    todo.push(
      `output "${output.name}" (per-token states): one vector per text, the ${pooling === 'mean' ? 'mean over its tokens' : pooling === 'cls' ? "first token's" : 'max over its tokens'}` +
        `${text.pooling ? ' (as 1_Pooling/config.json says)' : ''}, L2-normalised; set "pooling" and "normalize" as the model was trained`,
    );
    return [
      {
        name: names.take(output.name === 'last_hidden_state' ? 'embedding' : output.name),
        kind: 'vector',
        tensor: output.name,
        pooling,
        normalize: true,
        description: '',
      },
    ];
  }
  const dims = rowDims(output);
  const op = graph.outputOps[output.name];
  if (dims.length >= 2) {
    todo.push(`output "${output.name}" (rows of ${dims.join(' × ')}): one tensor field (nested lists); give its unit`);
    return [{ name: names.take(output.name), kind: 'tensor', tensor: output.name, shape: dims, description: '' }];
  }
  const width = dims[0] ?? 1;
  if (text.labels && text.labels.length === width && width >= 2) {
    todo.push(
      `output "${output.name}": a class of the ${width} labels of config.json's id2label (${text.labels.join(', ')}), its columns logits`,
    );
    return [
      {
        name: names.take('label'),
        kind: 'class',
        tensor: output.name,
        labels: enumValues(text.labels, undefined),
        scores: 'logits',
        description: '',
      },
    ];
  }
  if (op === 'Sigmoid' && width === 1) {
    todo.push(`output "${output.name}" (one sigmoid column): a class of two labels, NEGATIVE (p < 0.5) and POSITIVE; rename them`);
    return [
      {
        name: names.take(output.name),
        kind: 'class',
        tensor: output.name,
        scores: 'sigmoid',
        labels: ['NEGATIVE', 'POSITIVE'],
        description: '',
      },
    ];
  }
  if (op === 'Softmax' && width >= 2) {
    todo.push(`output "${output.name}" (a softmax over ${width} columns): a class with labels CLASS_0 … CLASS_${width - 1}; rename them`);
    const labels = Array.from({ length: width }, (_, i) => `CLASS_${i}`);
    return [{ name: names.take(output.name), kind: 'class', tensor: output.name, labels, description: '' }];
  }
  if (width >= VECTOR_FROM_WIDTH) {
    todo.push(
      `output "${output.name}" (${width} columns) is one vector field; if its columns are class scores, make it kind "class" with labels ("scores": "logits" for logits)`,
    );
    return [{ name: names.take(output.name), kind: 'vector', tensor: output.name, description: '' }];
  }
  todo.push(
    `output "${output.name}" (${width} column${width > 1 ? 's' : ''}): name each field and give its unit, or make it kind "class" with labels`,
  );
  return Array.from({ length: width }, (_, c) => ({
    name: names.take(width === 1 ? output.name : `${output.name}${c}`),
    tensor: output.name,
    description: '',
  }));
}

// Private: a dynamic axis right after the batch: a text model's sequence.
function hasSequenceAxis(info: OnnxValueInfo): boolean {
  const axis = info.shape?.[1];
  return (info.shape?.length ?? 0) >= 2 && !(typeof axis === 'number' && axis >= 1);
}

// Private: a text model's inputs (token ids, and the attention mask and token types they imply) are one text feature.
function textFeature(sequences: readonly OnnxValueInfo[], text: TextHints, todo: string[]): Partial<FeatureSpec> {
  const names = sequences.map((s) => `"${s.name}"`).join(', ');
  if (!text.tokenizer)
    throw new Error(
      `inputs ${names} have a sequence axis (a text model): put the model's tokenizer.json beside model.onnx, and give model:add the folder`,
    );
  const ids = sequences.find((s) => s.name === 'input_ids') ?? sequences[0]!;
  const others = sequences.filter((s) => s !== ids && s.name !== 'attention_mask' && s.name !== 'token_type_ids');
  if (others.length > 0)
    throw new Error(
      `inputs ${others.map((s) => `"${s.name}"`).join(', ')} have a sequence axis but are neither "attention_mask" nor "token_type_ids": name them in the manifest's text feature (attentionMask, tokenTypeIds)`,
    );
  todo.push(
    `inputs ${names}: one text feature, tokenized with tokenizer.json; a text longer than its maxTokens is refused (set "overflow": "truncate" to cut it instead)`,
  );
  return {
    name: 'text',
    type: 'text',
    tensor: ids.name,
    // The server reads tokenizer_config.json's model_max_length itself; without one, the model's positions bound a text.
    ...(text.maxPositions && !text.modelMaxLength ? { maxTokens: text.maxPositions } : {}),
    description: '',
  };
}

// Private: the axes of one row (below the batch axis); a dynamic one is refused as the server refuses it.
function rowDims(info: OnnxValueInfo): number[] {
  const shape = info.shape ?? [];
  const dims = shape.slice(1);
  if (shape.length === 0 || dims.some((d) => typeof d !== 'number' || d < 1)) {
    const shown = shape.map((d) => (d === '' ? '?' : d)).join(', ');
    throw new Error(
      `"${info.name}" has shape [${shown}]: predictql serves tensors with a batch axis first and fixed row axes` +
        (dims.some((d) => typeof d !== 'number') ? ' (a dynamic axis besides the batch is a text or sequence model, not served yet)' : ''),
    );
  }
  return dims as number[];
}

/** GraphQL field names from tensor names, unique within their set: `input_ids:0` → `input_ids_0`, `2x` → `x2x`. */
class UniqueNames {
  readonly #used: Set<string>;
  constructor(reserved: readonly string[] = []) {
    this.#used = new Set(reserved);
  }
  take(base: string): string {
    let candidate = graphQLName(base);
    for (let i = 2; this.#used.has(candidate); i++) candidate = `${graphQLName(base)}${i}`;
    this.#used.add(candidate);
    return candidate;
  }
}

function graphQLName(name: string): string {
  const cleaned = name.replace(/[^_0-9A-Za-z]/g, '_');
  return /^[_A-Za-z]/.test(cleaned) && !cleaned.startsWith('__') ? cleaned : `x${cleaned}`;
}

// Private: GraphQL enum values for labels or categories, unique: a string as close as allowed
// ("high risk" → high_risk), an integer as `${prefix}_${n}`.
function enumValues(values: readonly (string | number)[], prefix: string | undefined): string[] {
  const used = new Set<string>();
  return values.map((value) => {
    let base = prefix ? `${prefix}_${value}` : String(value).replace(/[^_0-9A-Za-z]/g, '_');
    if (!/^[_A-Za-z]/.test(base)) base = `_${base}`;
    if (['true', 'false', 'null', ''].includes(base)) base = `${base}_`;
    let candidate = base;
    for (let i = 2; used.has(candidate); i++) candidate = `${base}_${i}`;
    used.add(candidate);
    return candidate;
  });
}

function defaultName(onnxFile: string): string {
  const file = basename(onnxFile, '.onnx');
  const raw = file === 'model' ? basename(dirname(resolve(onnxFile))) : file;
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
}

function pascal(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')
    .replace(/^[0-9]+/, '');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

if (isMain(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      task: { type: 'string' },
      'models-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log('Usage: npm run model:add -- <path/to/model.onnx | path/to/folder> [--name N] [--task T] [--models-dir D]');
    process.exit(values.help ? 0 : 1);
  }
  try {
    const { folder, manifest, todo } = await addModel(positionals[0]!, {
      name: values.name,
      task: values.task,
      modelsDir: values['models-dir'],
    });
    const task = manifest.task as string;
    console.log(`added ${join(folder, 'model.onnx')} and ${join(folder, 'manifest.json')} (task ${task}).`);
    console.log(
      `\nIt loads and warms up as the server will load it, and is served as it is at the next start: predict${task}(input: ${task}Input!), predict${plural(task)}(inputs: [...]).`,
    );
    console.log('Fill in manifest.json (docs/models.md describes every key):');
    for (const line of todo) console.log(`  - ${line}`);
    console.log("  - the model's description, framework and kind; optionally examples in <models dir>/<name>.examples.json");
  } catch (error) {
    console.error(`model:add: ${(error as Error).message}`);
    process.exit(1);
  }
}
