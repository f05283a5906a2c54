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
import { featureKinds, outputKinds } from './kinds/index.ts';
import type { GraphQLNames, ModelManifest } from './manifest-spec.ts';

export type {
  Dtype,
  FeatureSpec,
  FeatureType,
  GraphQLNames,
  ModelManifest,
  OutputKindName,
  OutputSpec,
  TensorSpec,
} from './manifest-spec.ts';

export class ManifestError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ManifestError';
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTuples: false, strictRequired: false, allowUnionTypes: true });
const validateSchema = ajv.compile(manifestSchema);

export async function readManifest(file: string): Promise<ModelManifest> {
  return parseManifest(file, await readJsonDocument(file));
}

/**
 * A model folder's JSON file, parsed; a ManifestError naming it when it cannot be read or parsed.
 * `missing` is returned instead when the file does not exist and is optional (versions.json).
 */
export async function readJsonDocument<T = never>(file: string, missing?: { optional: T }): Promise<unknown | T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (missing && (error as NodeJS.ErrnoException).code === 'ENOENT') return missing.optional;
    throw new ManifestError(file, `cannot be read (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ManifestError(file, `is not valid JSON (${(error as Error).message})`);
  }
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
    ...(m.maxBatchTokens !== undefined ? { maxBatchTokens: m.maxBatchTokens as number } : {}),
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
  const fieldNames = m.outputs.flatMap((o) => outputKinds[o.kind].fieldNames(o));
  if (fieldNames.includes('model'))
    fail('/outputs', 'must not name a prediction field "model": predictql adds it (the model that answered)');
  if (m.features.some((f) => f.type === 'text') && fieldNames.includes('truncated'))
    fail('/outputs', 'must not name a prediction field "truncated": predictql adds it to a text model (whether a text was cut)');
  unique(fieldNames, (name) => fail('/outputs', `give the prediction field "${name}" twice`));
  m.features.forEach((f, i) => {
    const at = `/features/${i}`;
    if (f.min !== undefined && f.max !== undefined && (f.min > f.max || (f.maxExclusive && f.min === f.max))) {
      fail(at, `must have min below max, but got: min=${f.min}, max=${f.max}${f.maxExclusive ? ' (maxExclusive)' : ''}`);
    }
    for (const [key, type] of [
      ['values', 'category'],
      ['shape', 'tensor'],
      ['maxTokens', 'text'],
      ['overflow', 'text'],
      ['attentionMask', 'text'],
      ['tokenTypeIds', 'text'],
    ] as const) {
      // values and shape are required by their kind; the text keys are optional on a text feature.
      const required = key === 'values' || key === 'shape';
      if ((required && f.type === type && f[key] === undefined) || (f.type !== type && f[key] !== undefined))
        fail(at, `"${key}" belongs to a ${type} feature (and only there), type is "${f.type}"`);
    }
    const kind = featureKinds[f.type];
    // A kind's problem may start with the key it concerns ("/codes names ..."): the path then goes down to it.
    const problem = kind.specProblem(f);
    if (problem) {
      const [key, rest] = problem.startsWith('/')
        ? [problem.slice(0, problem.indexOf(' ')), problem.slice(problem.indexOf(' ') + 1)]
        : ['', problem];
      fail(`${at}${key}`, rest);
    }
    if (f.default !== undefined) {
      const bad = kind.defaultProblem(f);
      if (bad) fail(`${at}/default`, `${bad}, but got: ${JSON.stringify(f.default)}`);
    }
  });
  m.outputs.forEach((o, i) => {
    if (o.kind !== 'vector' && (o.pooling !== undefined || o.normalize !== undefined))
      fail(`/outputs/${i}`, `"pooling" and "normalize" belong to a vector output (and only there), kind is "${o.kind}"`);
    if ((o.kind === 'class') !== (o.labels !== undefined))
      fail(`/outputs/${i}`, `"labels" belongs to a class output (and only there), kind is "${o.kind}"`);
    const problem = outputKinds[o.kind].specProblem(o);
    if (problem) fail(`/outputs/${i}`, problem);
  });
}

function unique(names: readonly string[], onRepeat: (name: string) => void): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) onRepeat(name);
    seen.add(name);
  }
}

/** Ajv's error as "<JSON path> must <rule>, but got: <value>" (model-versions.ts reads versions.json the same way). */
export function describeSchemaError(error: ErrorObject, document: unknown): string {
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
