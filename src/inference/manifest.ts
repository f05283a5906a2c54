/**
 * A model folder's `manifest.json`: the task the model serves, the GraphQL input fields
 * (features) and prediction fields (outputs), and where each sits in the ONNX tensors. Read and
 * checked against schema/manifest.schema.json (JSON Schema, by Ajv) and against the rules a schema
 * cannot state; the tensors are checked against the ONNX file itself when the model loads
 * (model-layout.ts). Errors name the file, the JSON path, what was expected and what was given.
 */
import { readFile } from 'node:fs/promises';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import manifestSchema from '../../schema/manifest.schema.json' with { type: 'json' };

export type Dtype = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';
export type FeatureType = 'float' | 'int' | 'bool' | 'category' | 'vector' | 'string';
export type OutputKind = 'value' | 'class' | 'vector';

export interface TensorSpec {
  name: string;
  dtype: Dtype;
  /** [batch] or [batch, width]: the first axis is the dynamic batch axis. */
  shape: [string] | [string, number];
}

export interface FeatureSpec {
  name: string;
  description: string;
  type: FeatureType;
  tensor?: string;
  column?: number;
  unit: string;
  min?: number;
  max?: number;
  maxExclusive?: boolean;
  default?: number | boolean | string | number[];
  values?: string[];
  valueDescriptions?: Record<string, string>;
  encoding?: 'index' | 'onehot' | 'string';
  codes?: Record<string, number | string>;
  enum?: string;
  length?: number;
  maxLength?: number;
}

export interface OutputSpec {
  name: string;
  description: string;
  kind: OutputKind;
  tensor?: string;
  column?: number;
  unit: string;
  labels?: string[];
  labelDescriptions?: Record<string, string>;
  scores?: 'probabilities' | 'logits';
  enum?: string;
  probabilitiesField?: string;
  length?: number;
}

/** Overrides of the generated GraphQL names of a task (see the schema). */
export interface GraphQLNames {
  predict?: string;
  predictMany?: string;
  input?: string;
  prediction?: string;
}

export interface ModelManifest {
  name: string;
  version: string;
  task: string;
  default: boolean;
  description: string;
  framework: string;
  kind: string;
  graphql: GraphQLNames;
  tensors: { inputs?: TensorSpec[]; outputs?: TensorSpec[] };
  features: FeatureSpec[];
  outputs: OutputSpec[];
  metrics: Record<string, unknown>;
  provenance: Record<string, unknown>;
}

export class ManifestError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ManifestError';
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTuples: false, strictRequired: false, allowUnionTypes: true });
const validateSchema = ajv.compile(manifestSchema);

export async function readManifest(file: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ManifestError(file, `cannot be read (${(error as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(file, `is not valid JSON (${(error as Error).message})`);
  }
  return parseManifest(file, raw);
}

/** Checks a manifest document against the JSON Schema and the rules it cannot state. */
export function parseManifest(file: string, raw: unknown): ModelManifest {
  if (!validateSchema(raw)) {
    const problems = (validateSchema.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => describeSchemaError(e, raw));
    throw new ManifestError(file, `does not match schema/manifest.schema.json:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  const m = raw as Record<string, unknown> & Pick<ModelManifest, 'name' | 'version' | 'task' | 'features' | 'outputs'>;
  const manifest: ModelManifest = {
    name: m.name,
    version: m.version,
    task: m.task,
    default: (m.default as boolean | undefined) ?? false,
    description: (m.description as string | undefined) ?? '',
    framework: (m.framework as string | undefined) ?? 'unknown',
    kind: (m.kind as string | undefined) ?? 'unknown',
    graphql: (m.graphql as GraphQLNames | undefined) ?? {},
    tensors: (m.tensors as ModelManifest['tensors'] | undefined) ?? {},
    features: m.features.map((f) => ({ ...f, type: f.type ?? 'float', description: f.description ?? '', unit: f.unit ?? '' })),
    outputs: m.outputs.map((o) => ({ ...o, kind: o.kind ?? 'value', description: o.description ?? '', unit: o.unit ?? '' })),
    metrics: (m.metrics as Record<string, unknown> | undefined) ?? {},
    provenance: (m.provenance as Record<string, unknown> | undefined) ?? {},
  };
  checkRules(file, manifest);
  return manifest;
}

// Private: what JSON Schema cannot say. Each message names the JSON path and echoes the value.
function checkRules(file: string, m: ModelManifest): void {
  const fail = (path: string, problem: string): never => {
    throw new ManifestError(file, `${path} ${problem}`);
  };
  unique(
    m.features.map((f) => f.name),
    (name) => fail('/features', `names "${name}" twice`),
  );
  const fieldNames = m.outputs.flatMap((o) => (o.kind === 'class' ? [o.name, o.probabilitiesField ?? 'probabilities'] : [o.name]));
  if (fieldNames.includes('model'))
    fail('/outputs', 'must not name a prediction field "model": predictql adds it (the model that answered)');
  unique(fieldNames, (name) => fail('/outputs', `give the prediction field "${name}" twice`));
  m.features.forEach((f, i) => {
    const at = `/features/${i}`;
    if (f.min !== undefined && f.max !== undefined && (f.min > f.max || (f.maxExclusive && f.min === f.max))) {
      fail(at, `must have min below max, but got: min=${f.min}, max=${f.max}${f.maxExclusive ? ' (maxExclusive)' : ''}`);
    }
    if ((f.type === 'category') !== (f.values !== undefined))
      fail(at, `"values" belongs to a category feature (and only there), type is "${f.type}"`);
    if (f.type === 'vector' && f.length === undefined) fail(at, 'must give "length" for a vector feature');
    if (f.type === 'int' && [f.min, f.max].some((v) => v !== undefined && !Number.isInteger(v))) {
      fail(at, `of type int must have integer min and max, but got: min=${f.min}, max=${f.max}`);
    }
    if (f.codes) {
      for (const key of Object.keys(f.codes))
        if (!f.values?.includes(key)) fail(`${at}/codes`, `names "${key}", which is not one of values [${f.values?.join(', ')}]`);
    }
    if (f.default !== undefined) {
      const problem = defaultProblem(f);
      if (problem) fail(`${at}/default`, `${problem}, but got: ${JSON.stringify(f.default)}`);
    }
  });
  m.outputs.forEach((o, i) => {
    if ((o.kind === 'class') !== (o.labels !== undefined))
      fail(`/outputs/${i}`, `"labels" belongs to a class output (and only there), kind is "${o.kind}"`);
  });
}

// Private: a default must be a value the feature itself accepts.
function defaultProblem(f: FeatureSpec): string | undefined {
  const d = f.default;
  const inRange = (v: number) => (f.min === undefined || v >= f.min) && (f.max === undefined || (f.maxExclusive ? v < f.max : v <= f.max));
  switch (f.type) {
    case 'float':
      return typeof d === 'number' && inRange(d) ? undefined : "must be a number within the feature's range";
    case 'int':
      return typeof d === 'number' && Number.isInteger(d) && inRange(d) ? undefined : "must be an integer within the feature's range";
    case 'bool':
      return typeof d === 'boolean' ? undefined : 'must be true or false';
    case 'category':
      return typeof d === 'string' && f.values!.includes(d) ? undefined : `must be one of values [${f.values!.join(', ')}]`;
    case 'string':
      return typeof d === 'string' && (f.maxLength === undefined || d.length <= f.maxLength)
        ? undefined
        : 'must be a string within maxLength';
    case 'vector':
      return Array.isArray(d) && d.length === f.length && d.every((v) => typeof v === 'number' && inRange(v))
        ? undefined
        : `must be ${f.length} numbers within the feature's range`;
  }
}

function unique(names: readonly string[], onRepeat: (name: string) => void): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) onRepeat(name);
    seen.add(name);
  }
}

// Private: Ajv's error as "<JSON path> must <rule>, but got: <value>".
function describeSchemaError(error: ErrorObject, document: unknown): string {
  const path = error.instancePath || '/';
  let value: unknown = document;
  for (const key of error.instancePath.split('/').slice(1))
    value = (value as Record<string, unknown> | undefined)?.[decodeURIComponent(key)];
  const extra = error.keyword === 'additionalProperties' ? ` "${(error.params as { additionalProperty: string }).additionalProperty}"` : '';
  const allowed =
    error.keyword === 'enum'
      ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})`
      : '';
  const got = error.keyword === 'required' || error.keyword === 'additionalProperties' ? '' : `, but got: ${JSON.stringify(value)}`;
  return `${path} ${error.message}${extra}${allowed}${got}`;
}
