/**
 * `npm run model:add -- <path/to/model.onnx> [--name N] [--task T] [--models-dir D]`: brings an
 * ONNX model into the model repository. Reads its inputs and outputs (names, dtypes, shapes) from
 * onnxruntime's session metadata, copies it to <models dir>/<name>/model.onnx, and writes a
 * manifest skeleton that validates as it is (one feature per input column, one value per output
 * column, or a vector for a wide output), then prints what to fill in. The server serves the new
 * task at its next start; no code changes.
 */
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession } from 'onnxruntime-node';
import { defaultModelsDir } from '../src/config.ts';
import { plural } from '../src/graphql/tasks.ts';
import type { FeatureSpec, OnnxValueInfo, OutputSpec } from '../src/inference/index.ts';
import { parseManifest, resolveLayout, tensorSpecs } from '../src/inference/index.ts';
import { isMain } from './write-or-check.ts';

/** An output this wide becomes one vector field rather than a field per column. */
const VECTOR_FROM_WIDTH = 9;

export interface AddedModel {
  folder: string;
  manifest: Record<string, unknown>;
  /** What the user should fill in, one line each. */
  todo: string[];
}

export async function addModel(onnxFile: string, options: { name?: string; task?: string; modelsDir?: string } = {}): Promise<AddedModel> {
  const name = options.name ?? defaultName(onnxFile);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name))
    throw new Error(`--name must be a model name (lowercase letters, digits, ".", "_", "-"), but got: ${JSON.stringify(name)}`);
  const task = options.task ?? pascal(name);
  if (!/^[A-Z][_0-9A-Za-z]*$/.test(task))
    throw new Error(`--task must be a GraphQL type name stem (PascalCase), but got: ${JSON.stringify(task)}`);
  const folder = join(options.modelsDir ?? defaultModelsDir, name);
  if (await exists(folder)) throw new Error(`${folder} exists already: choose another --name, or remove it first`);

  const session = await InferenceSession.create(onnxFile);
  const onnx = { inputs: session.inputMetadata as readonly OnnxValueInfo[], outputs: session.outputMetadata as readonly OnnxValueInfo[] };
  await session.release();
  const { features, outputs, todo } = skeleton(onnx);
  const manifest = {
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
  // The skeleton must be a valid manifest of this very file: parse it and lay it out as the server will.
  const parsed = parseManifest(join(folder, 'manifest.json'), manifest);
  const layout = resolveLayout(join(folder, 'manifest.json'), parsed, onnx);
  manifest.tensors = { inputs: tensorSpecs(layout.inputs), outputs: tensorSpecs(layout.outputs) };

  await mkdir(folder, { recursive: true });
  await copyFile(onnxFile, join(folder, 'model.onnx'));
  await writeFile(join(folder, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { folder, manifest, todo };
}

// Private: one feature per input column (by dtype), one value per output column (or one vector).
function skeleton(onnx: { inputs: readonly OnnxValueInfo[]; outputs: readonly OnnxValueInfo[] }) {
  const todo: string[] = [];
  const used = new Set<string>();
  const fieldName = (base: string) => {
    let candidate = graphQLName(base);
    for (let i = 2; used.has(candidate); i++) candidate = `${graphQLName(base)}${i}`;
    used.add(candidate);
    return candidate;
  };
  const features: Partial<FeatureSpec>[] = [];
  for (const input of onnx.inputs) {
    const width = widthOf(input);
    const type = input.type === 'bool' ? 'bool' : input.type === 'string' ? 'string' : /int/.test(input.type ?? '') ? 'int' : 'float';
    for (let c = 0; c < width; c++) {
      features.push({ name: fieldName(width === 1 ? input.name : `${input.name}${c}`), type, tensor: input.name, description: '' });
    }
    todo.push(
      `input "${input.name}" (${input.type}, ${width} column${width > 1 ? 's' : ''}): name each feature, give its unit and its range (min, max)` +
        (type === 'int' || type === 'string' ? '; a closed set of values is better as type "category" (values, encoding)' : ''),
    );
  }
  used.clear();
  used.add('model');
  const outputs: Partial<OutputSpec>[] = [];
  for (const output of onnx.outputs) {
    if (!output.isTensor || output.type === 'string' || output.type === 'bool') {
      todo.push(`output "${output.name}" (${output.type ?? 'not a tensor'}) is not read: predictql reads numeric tensors`);
      continue;
    }
    const shape = output.shape ?? [];
    if (shape.length < 1 || shape.length > 2 || (shape.length === 2 && typeof shape[1] !== 'number')) {
      todo.push(`output "${output.name}" (shape [${shape.join(', ')}]) is not read: predictql reads [batch] or [batch, width] tensors`);
      continue;
    }
    const width = widthOf(output);
    if (width >= VECTOR_FROM_WIDTH) {
      outputs.push({ name: fieldName(output.name), kind: 'vector', tensor: output.name, description: '' });
      todo.push(
        `output "${output.name}" (${width} columns) is one vector field; if its columns are class probabilities, make it kind "class" with labels`,
      );
    } else {
      for (let c = 0; c < width; c++)
        outputs.push({ name: fieldName(width === 1 ? output.name : `${output.name}${c}`), tensor: output.name, description: '' });
      todo.push(
        `output "${output.name}" (${width} column${width > 1 ? 's' : ''}): name each field and give its unit, or make it kind "class" with labels`,
      );
    }
  }
  if (outputs.length === 0) throw new Error('the model has no numeric output tensor for predictql to read');
  return { features, outputs, todo };
}

function widthOf(info: OnnxValueInfo): number {
  const shape = info.shape ?? [];
  if (shape.length === 2 && typeof shape[1] === 'number') return shape[1];
  if (shape.length === 1) return 1;
  throw new Error(
    `"${info.name}" has shape [${shape.join(', ')}]: predictql serves [batch] or [batch, width] tensors with a dynamic batch axis`,
  );
}

/** A GraphQL field name from a tensor name: `input_ids:0` → `input_ids_0`, `2x` → `x2x`. */
function graphQLName(name: string): string {
  const cleaned = name.replace(/[^_0-9A-Za-z]/g, '_');
  return /^[_A-Za-z]/.test(cleaned) && !cleaned.startsWith('__') ? cleaned : `x${cleaned}`;
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
    console.log('Usage: npm run model:add -- <path/to/model.onnx> [--name N] [--task T] [--models-dir D]');
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
    console.log(`\nIt is served as it is, at the next start: predict${task}(input: ${task}Input!), predict${plural(task)}(inputs: [...]).`);
    console.log('Fill in manifest.json (docs/models.md describes every key):');
    for (const line of todo) console.log(`  - ${line}`);
    console.log("  - the model's description, framework and kind; optionally examples in <models dir>/<name>.examples.json");
  } catch (error) {
    console.error(`model:add: ${(error as Error).message}`);
    process.exit(1);
  }
}
