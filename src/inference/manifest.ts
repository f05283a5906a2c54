/**
 * A model folder's `manifest.json`: what the model expects and returns, in the order the tensor
 * holds them. The registry trusts nothing here until it has been checked against the session.
 */
import { readFile } from 'node:fs/promises';

export interface FeatureSpec {
  name: string;
  unit: string;
  min: number;
  max: number;
  description: string;
}

export interface OutputSpec {
  name: string;
  unit: string;
  description: string;
}

export interface ModelManifest {
  name: string;
  version: string;
  description: string;
  framework: string;
  kind: string;
  input: { name: string; dtype: 'float32' };
  features: FeatureSpec[];
  output: { name: string; dtype: 'float32' };
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

export function parseManifest(file: string, raw: unknown): ModelManifest {
  const fail = (problem: string): never => {
    throw new ManifestError(file, problem);
  };
  const m = isObject(raw) ? raw : fail('must be a JSON object');
  const text = (key: string, value: unknown): string =>
    typeof value === 'string' && value.length > 0 ? value : fail(`"${key}" must be a non-empty string, but got: ${JSON.stringify(value)}`);

  const input = isObject(m.input) ? m.input : fail('"input" must be an object { name, dtype }');
  const output = isObject(m.output) ? m.output : fail('"output" must be an object { name, dtype }');
  for (const [key, io] of [
    ['input', input],
    ['output', output],
  ] as const) {
    text(`${key}.name`, io.name);
    if (io.dtype !== 'float32') fail(`"${key}.dtype" must be "float32", but got: ${JSON.stringify(io.dtype)}`);
  }

  const features = Array.isArray(m.features) && m.features.length > 0 ? m.features : fail('"features" must be a non-empty array');
  const parsedFeatures = features.map((f, i): FeatureSpec => {
    const spec = isObject(f) ? f : fail(`features[${i}] must be an object`);
    const min = spec.min;
    const max = spec.max;
    if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max) || min > max) {
      fail(`features[${i}] must have finite numbers min <= max, but got: min=${String(min)}, max=${String(max)}`);
    }
    return {
      name: graphQLName(file, `features[${i}].name`, spec.name),
      unit: text(`features[${i}].unit`, spec.unit),
      min: min as number,
      max: max as number,
      description: typeof spec.description === 'string' ? spec.description : '',
    };
  });
  const outputs = Array.isArray(m.outputs) && m.outputs.length > 0 ? m.outputs : fail('"outputs" must be a non-empty array');
  const parsedOutputs = outputs.map((o, i): OutputSpec => {
    const spec = isObject(o) ? o : fail(`outputs[${i}] must be an object`);
    return {
      name: graphQLName(file, `outputs[${i}].name`, spec.name),
      unit: text(`outputs[${i}].unit`, spec.unit),
      description: typeof spec.description === 'string' ? spec.description : '',
    };
  });
  assertUnique(file, 'features', parsedFeatures);
  assertUnique(file, 'outputs', parsedOutputs);

  return {
    name: text('name', m.name),
    version: text('version', m.version),
    description: text('description', m.description),
    framework: typeof m.framework === 'string' ? m.framework : 'unknown',
    kind: typeof m.kind === 'string' ? m.kind : 'unknown',
    input: { name: input.name as string, dtype: 'float32' },
    features: parsedFeatures,
    output: { name: output.name as string, dtype: 'float32' },
    outputs: parsedOutputs,
    metrics: isObject(m.metrics) ? m.metrics : {},
    provenance: isObject(m.provenance) ? m.provenance : {},
  };
}

// Private: feature and output names become GraphQL field names, so they must be valid ones.
function graphQLName(file: string, key: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) {
    throw new ManifestError(file, `"${key}" must be a GraphQL name (/^[_A-Za-z][_0-9A-Za-z]*$/), but got: ${JSON.stringify(value)}`);
  }
  return value;
}

function assertUnique(file: string, key: string, specs: readonly { name: string }[]): void {
  const seen = new Set<string>();
  for (const { name } of specs) {
    if (seen.has(name)) throw new ManifestError(file, `"${key}" names "${name}" twice`);
    seen.add(name);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
