/**
 * The tasks the schema serves, one typed API each, generated from the models' manifests: the
 * models of a task share it (and are chosen with `model:`), models of different tasks get
 * different types. A task's names come from its manifests (`graphql`) or are generated from its
 * stem: "Price" → predictPrice, predictPrices (plural: Category → predictCategories), PriceInput, PricePrediction,
 * enums PriceRegion (a category feature region), PriceBand (a class output band, with PriceBandProbability),
 * examples priceExamples of PriceExample / PriceFeatures.
 * Everything is checked before the schema is built: a clash refuses start, naming both sides.
 */
import type { ExampleSet } from '../examples/example-set.ts';
import {
  type FeatureSpec,
  featureKinds,
  type GraphQLNames,
  type ModelManifest,
  type ModelView,
  type OutputSpec,
  outputKinds,
} from '../inference/index.ts';

export interface ExampleFieldNames {
  list: string;
  type: string;
  features: string;
  prediction: string;
}

export interface TaskNames {
  predict: string;
  predictMany: string;
  input: string;
  prediction: string;
  /** The enum of each category feature and class output, by its name. */
  enums: ReadonlyMap<string, string>;
  /** The `{ label probability }` type and the per-class field of each class output. */
  probabilities: ReadonlyMap<string, { type: string; field: string }>;
  examples?: ExampleFieldNames;
}

export interface TaskApi {
  name: string;
  /** Its models, by name, sorted. */
  models: readonly string[];
  defaultModel: string;
  /** The API surface (from the default model's manifest: descriptions, units and ranges included). */
  features: readonly FeatureSpec[];
  outputs: readonly OutputSpec[];
  names: TaskNames;
  examples?: ExampleSet | undefined;
}

/** Type and field names predictql defines whatever the tasks (federation adds `_service`, `_entities`, `_Any`). */
export const FIXED_TYPE_NAMES = ['Query', 'Model', 'ModelFeature', 'ModelOutput', 'ModelTensor', 'String', 'Float', 'Int', 'Boolean', 'ID'];
export const FIXED_QUERY_FIELDS = ['models', 'model', '_service', '_entities'];

export class TaskError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'TaskError';
  }
}

/**
 * The tasks of `manifests`, with their examples. `defaultModels` (PREDICTQL_DEFAULT_MODEL) names
 * the default of some tasks; otherwise the model whose manifest says `"default": true`, else the
 * first of the task by name.
 */
export function buildTasks(
  manifests: readonly ModelManifest[],
  exampleSets: readonly ExampleSet[] = [],
  defaultModels: readonly string[] = [],
): TaskApi[] {
  const byTask = new Map<string, ModelManifest[]>();
  for (const m of [...manifests].sort((a, b) => a.name.localeCompare(b.name))) byTask.set(m.task, [...(byTask.get(m.task) ?? []), m]);
  for (const name of defaultModels) {
    if (!manifests.some((m) => m.name === name)) {
      throw new TaskError(
        `PREDICTQL_DEFAULT_MODEL names a model that is not loaded (loaded: ${manifests.map((m) => m.name).join(', ')}), but got: "${name}"`,
      );
    }
  }
  for (const set of exampleSets) {
    if (!byTask.has(set.task))
      throw new TaskError(`${set.file}: its task "${set.task}" has no model (tasks: ${[...byTask.keys()].join(', ')})`);
  }
  const tasks = [...byTask]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, models]) => {
      const chosen = models.filter((m) => defaultModels.includes(m.name));
      if (chosen.length > 1)
        throw new TaskError(`PREDICTQL_DEFAULT_MODEL names two models of task ${name}: ${chosen.map((m) => m.name).join(', ')}`);
      const marked = models.filter((m) => m.default);
      if (marked.length > 1)
        throw new TaskError(`Models ${marked.map((m) => `"${m.name}"`).join(' and ')} both say "default": true for task ${name}; mark one`);
      const lead = chosen[0] ?? marked[0] ?? models[0]!;
      for (const other of models) assertSameApi(lead, other);
      const examples = exampleSets.filter((s) => s.task === name);
      if (examples.length > 1) throw new TaskError(`Task ${name} has two examples files: ${examples.map((s) => s.file).join(', ')}`);
      return {
        name,
        models: models.map((m) => m.name),
        defaultModel: lead.name,
        features: lead.features,
        outputs: lead.outputs,
        names: namesOf(name, models, lead, examples[0]),
        examples: examples[0],
      } satisfies TaskApi;
    });
  assertNamesApart(tasks);
  return tasks;
}

// Private: the GraphQL-facing part of a manifest: what a client sends and reads, as each kind says it.
function apiOf(m: ModelManifest): string[] {
  return [
    ...m.features.map((f) => `feature ${f.name}: ${featureKinds[f.type].signature(f)}`),
    ...m.outputs.map((o) => `output ${o.name}: ${outputKinds[o.kind].signature(o)}`),
  ];
}

/**
 * How `other`'s GraphQL API differs from `lead`'s (empty when they are the same): features and
 * outputs with their names, types, values, lengths and defaults. Models of one task, and versions
 * of one model, must have the same (a reload refuses a version that differs: src/model-control/).
 */
export function apiDifferences(lead: ModelManifest, other: ModelManifest, labels = [lead.name, other.name]): string[] {
  const a = apiOf(lead);
  const b = apiOf(other);
  return [
    ...a.filter((x) => !b.includes(x)).map((x) => `${labels[0]} has ${x}`),
    ...b.filter((x) => !a.includes(x)).map((x) => `${labels[1]} has ${x}`),
  ];
}

/**
 * Versions of one model serve one GraphQL API (the schema is built from the default version's
 * manifest): a version of another task or API is refused, at start and on a reload alike.
 */
export function assertSameVersionApi(
  served: Pick<ModelView, 'manifest' | 'version'>,
  version: Pick<ModelView, 'manifest' | 'version'>,
): void {
  const name = served.manifest.name;
  const labels = [`${name}@${served.version}`, `${name}@${version.version}`];
  if (version.manifest.task !== served.manifest.task)
    throw new TaskError(
      `${labels[1]} serves task ${version.manifest.task} but ${labels[0]} serves ${served.manifest.task}: versions of a model serve one task`,
    );
  const differs = apiDifferences(served.manifest, version.manifest, labels);
  if (differs.length > 0)
    throw new TaskError(
      `${labels[1]} differs from ${labels[0]} in its GraphQL API: ${differs.join('; ')}. Versions of a model serve one API; a new API is a new model (another name).`,
    );
}

function assertSameApi(lead: ModelManifest, other: ModelManifest): void {
  const differs = apiDifferences(lead, other);
  if (differs.length > 0) {
    throw new TaskError(
      `Models "${lead.name}" and "${other.name}" both serve task ${lead.task} but differ in its GraphQL API (feature and output names, types, values, lengths, defaults): ${differs.join('; ')}. ` +
        'Give them the same API, or different tasks.',
    );
  }
  for (const key of ['predict', 'predictMany', 'input', 'prediction'] as const) {
    const x = lead.graphql[key];
    const y = other.graphql[key];
    if (x !== undefined && y !== undefined && x !== y)
      throw new TaskError(
        `Models "${lead.name}" and "${other.name}" of task ${lead.task} name graphql.${key} differently: "${x}" and "${y}"`,
      );
  }
}

function namesOf(task: string, models: readonly ModelManifest[], lead: ModelManifest, examples: ExampleSet | undefined): TaskNames {
  // Every model that names a graphql.* must name it alike, not only each against the lead.
  const given = (key: keyof GraphQLNames): string | undefined => {
    const named = models.filter((m) => m.graphql[key] !== undefined);
    const other = named.find((m) => m.graphql[key] !== named[0]!.graphql[key]);
    if (other)
      throw new TaskError(
        `Models "${named[0]!.name}" and "${other.name}" of task ${task} name graphql.${key} differently: "${named[0]!.graphql[key]}" and "${other.graphql[key]}"`,
      );
    return named[0]?.graphql[key];
  };
  const enums = new Map<string, string>();
  // One enum type per name: fields sharing a name (by "enum") must share its values too.
  const valuesOf = new Map<string, { field: string; values: readonly string[] }>();
  const claimEnum = (field: string, enumName: string, values: readonly string[]) => {
    const seen = valuesOf.get(enumName);
    if (seen && seen.values.join('\u0000') !== values.join('\u0000'))
      throw new TaskError(
        `Task ${task}: ${seen.field} and ${field} both use enum ${enumName} but with different values ` +
          `(${seen.values.join(', ')} vs ${values.join(', ')}): give one of them another "enum" name`,
      );
    valuesOf.set(enumName, { field, values });
    enums.set(field, enumName);
  };
  for (const f of lead.features) if (f.type === 'category') claimEnum(f.name, f.enum ?? `${task}${pascal(f.name)}`, f.values!);
  const probabilities = new Map<string, { type: string; field: string }>();
  const classOutputs = lead.outputs.filter((o) => o.kind === 'class');
  const scored = classOutputs.filter((o) => o.scores !== 'none');
  for (const o of classOutputs) {
    const enumName = o.enum ?? `${task}${pascal(o.name)}`;
    claimEnum(o.name, enumName, o.labels!);
    if (o.scores === 'none') continue;
    if (scored.length > 1 && !o.probabilitiesField) {
      throw new TaskError(
        `Model "${lead.name}" has ${scored.length} class outputs with probabilities: each must name its "probabilitiesField"`,
      );
    }
    probabilities.set(o.name, { type: `${enumName}Probability`, field: o.probabilitiesField ?? 'probabilities' });
  }
  const names: TaskNames = {
    predict: given('predict') ?? `predict${task}`,
    predictMany: given('predictMany') ?? `predict${plural(task)}`,
    input: given('input') ?? `${task}Input`,
    prediction: given('prediction') ?? `${task}Prediction`,
    enums,
    probabilities,
  };
  if (examples) {
    names.examples = {
      list: examples.names.list ?? `${camel(task)}Examples`,
      type: examples.names.type ?? `${task}Example`,
      features: examples.names.features ?? `${task}Features`,
      prediction: examples.names.prediction ?? 'prediction',
    };
  }
  return names;
}

/** Every type name a task defines. */
export function taskTypeNames(task: TaskApi): string[] {
  const n = task.names;
  const names = [n.input, n.prediction, ...n.enums.values(), ...[...n.probabilities.values()].map((p) => p.type)];
  if (n.examples) names.push(n.examples.type, n.examples.features);
  return [...new Set(names)];
}

// Private: two tasks (or a task and predictql itself) must not define the same type or Query field.
function assertNamesApart(tasks: readonly TaskApi[]): void {
  const types = new Map<string, string>(FIXED_TYPE_NAMES.map((n) => [n, 'predictql']));
  const fields = new Map<string, string>(FIXED_QUERY_FIELDS.map((n) => [n, 'predictql']));
  const claim = (map: Map<string, string>, kind: string, name: string, owner: string) => {
    const other = map.get(name);
    if (other !== undefined && other !== owner)
      throw new TaskError(
        `The ${kind} name "${name}" of task ${owner} is already used by ${other === 'predictql' ? 'predictql itself' : `task ${other}`}: rename it in a manifest's "graphql" (or the examples file's)`,
      );
    if (other === owner) throw new TaskError(`Task ${owner} uses the ${kind} name "${name}" twice`);
    map.set(name, owner);
  };
  for (const task of tasks) {
    const n = task.names;
    for (const name of [n.input, n.prediction, ...new Set(n.enums.values()), ...[...n.probabilities.values()].map((p) => p.type)])
      claim(types, 'type', name, task.name);
    for (const name of [n.predict, n.predictMany]) claim(fields, 'Query field', name, task.name);
    if (n.examples) {
      claim(types, 'type', n.examples.type, task.name);
      claim(types, 'type', n.examples.features, task.name);
      claim(fields, 'Query field', n.examples.list, task.name);
    }
  }
}

/**
 * The plural of a PascalCase stem, as a field name wants it: Category → Categories, Price → Prices,
 * Box → Boxes; a stem that already ends in "s" (TwoInputs) gets "List" instead (TwoInputsList).
 */
export function plural(stem: string): string {
  if (/[^aeiou]y$/.test(stem)) return `${stem.slice(0, -1)}ies`;
  if (/(x|z|ch|sh)$/.test(stem)) return `${stem}es`;
  if (/s$/.test(stem)) return `${stem}List`;
  return `${stem}s`;
}

export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
