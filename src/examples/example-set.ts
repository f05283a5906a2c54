/**
 * Examples of a task (`models/<name>.examples.json`, optional): inputs people can list and predict
 * without writing any (GraphiQL's default query shows them), as a list field with each example's prediction.
 * Checked at start against schema/examples.schema.json and against every model of the task: an
 * example no model could take stops the server, naming the file, the example and the problem.
 * Each example's encoded row is made once per model, on first use.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import examplesSchema from '../../schema/examples.schema.json' with { type: 'json' };
import type { EncodedRow, ModelView } from '../inference/index.ts';

export interface ExampleNames {
  list?: string;
  type?: string;
  features?: string;
  prediction?: string;
}

export class Example {
  readonly id: string;
  readonly features: Readonly<Record<string, unknown>>;
  readonly note: string | undefined;
  /**
   * By model load, not by name: two versions of a model may lay their tensors out differently, and
   * a retired load's rows go with it.
   */
  readonly #rows = new WeakMap<ModelView, { row: EncodedRow; key: string }>();

  constructor(id: string, features: Readonly<Record<string, unknown>>, note?: string) {
    this.id = id;
    this.features = features;
    this.note = note;
  }

  /** The example as `model` reads it (checked at start for every model of the task). */
  rowFor(model: ModelView): { row: EncodedRow; key: string } {
    let encoded = this.#rows.get(model);
    if (!encoded) {
      const result = model.codec.encode(this.features);
      if (!result.ok) throw new Error(`example ${this.id} does not fit model "${model.manifest.name}"`);
      encoded = { row: result.row, key: result.key };
      this.#rows.set(model, encoded);
    }
    return encoded;
  }
}

export interface ExampleSet {
  file: string;
  task: string;
  description: string;
  names: ExampleNames;
  examples: readonly Example[];
}

export class ExamplesError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ExamplesError';
  }
}

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(examplesSchema);

/** Every `*.examples.json` of the models folder, checked against the schema (not yet the models). */
export async function readExampleSets(modelsDir: string): Promise<ExampleSet[]> {
  const files = (await readdir(modelsDir)).filter((name) => name.endsWith('.examples.json')).sort();
  return Promise.all(files.map((name) => readExampleSet(join(modelsDir, name))));
}

export async function readExampleSet(file: string): Promise<ExampleSet> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ExamplesError(file, `cannot be read as an examples file (${(error as Error).message})`);
  }
  if (!validate(raw)) {
    const first = validate.errors![0]!;
    throw new ExamplesError(file, `does not match schema/examples.schema.json: ${first.instancePath || '/'} ${first.message}`);
  }
  const doc = raw as {
    task: string;
    description?: string;
    graphql?: ExampleNames;
    examples: { id: string; features: Record<string, unknown>; note?: string }[];
  };
  const ids = new Set<string>();
  for (const e of doc.examples) {
    if (ids.has(e.id)) throw new ExamplesError(file, `the id "${e.id}" is used twice`);
    ids.add(e.id);
  }
  return {
    file,
    task: doc.task,
    description: doc.description ?? '',
    names: doc.graphql ?? {},
    examples: doc.examples.map((e) => new Example(e.id, e.features, e.note)),
  };
}

/** Throws unless every example fits every model of its task. */
export function checkExamples(set: ExampleSet, models: readonly ModelView[]): void {
  for (const model of models) {
    const names = new Set(model.manifest.features.map((f) => f.name));
    set.examples.forEach((example, i) => {
      // The codec reads only the features it knows: a misspelt key would be dropped silently.
      const unknown = Object.keys(example.features).filter((key) => !names.has(key));
      if (unknown.length > 0)
        throw new ExamplesError(
          set.file,
          `examples[${i}] (${example.id}) has features ${unknown.join(', ')}, which model "${model.manifest.name}" does not take ` +
            `(it takes ${[...names].join(', ')})`,
        );
      const result = model.codec.encode(example.features);
      if (!result.ok) {
        const problem = result.problems.map((p) => `${p.feature} ${p.reason}, but got: ${JSON.stringify(p.value)}`).join('; ');
        throw new ExamplesError(set.file, `examples[${i}] (${example.id}) does not fit model "${model.manifest.name}": ${problem}`);
      }
    });
  }
}
