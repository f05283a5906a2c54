/**
 * The query GraphiQL opens with: for every task, a page of its examples with their predictions
 * and two aliased single predictions (the second on another model of the task when it has one).
 * Each model used is one batched run; the inference report shows them. An input too large to
 * read as a literal (an image tensor) is left to the examples and the docs.
 */
import { type FeatureSpec, featureKinds, type LayoutTensor } from '../inference/index.ts';
import { featureFields } from './kinds/feature-fields.ts';
import { outputFields } from './kinds/output-fields.ts';
import { camel, type TaskApi } from './tasks.ts';

/** Values past which an input literal would bury the query: a task with a larger one gets no literal. */
const MAX_LITERAL_VALUES = 64;

export function defaultQuery(tasks: readonly TaskApi[]): string {
  const blocks = tasks.map((task) => {
    const lines: string[] = [];
    const selection = `{ ${task.outputs.map((o) => outputFields[o.kind].selection(o, task)).join(' ')} }`;
    const names = task.names;
    if (names.examples && task.examples) lines.push(`  ${names.examples.list}(first: 5) { id ${names.examples.prediction} ${selection} }`);
    const large = task.features.find((f) => valuesOf(f) > MAX_LITERAL_VALUES);
    if (large) {
      lines.push(`  # ${names.predict}(input: ${names.input}!): its ${large.name} holds ${valuesOf(large)} values; send it as a variable`);
      return lines.join('\n');
    }
    const inputs = [0, 1].map((k) => inputLiteral(task, k));
    const other = task.models.find((m) => m !== task.defaultModel);
    lines.push(`  ${camel(task.name)}A: ${names.predict}(input: ${inputs[0]}) ${selection}`);
    lines.push(
      `  ${camel(task.name)}B: ${names.predict}(${other ? `model: ${JSON.stringify(other)}, ` : ''}input: ${inputs[1]}) ${selection.replace(/ }$/, ' model { name } }')}`,
    );
    return lines.join('\n');
  });
  return `# Every prediction field of a model is answered by ONE batched run of that model.
# The x-predictql-trace header (see Headers) adds extensions.inference to the response.
{
${blocks.join('\n')}
}
`;
}

function valuesOf(f: FeatureSpec): number {
  return f.type === 'tensor' ? f.shape!.reduce((a, b) => a * b, 1) : f.type === 'vector' ? f.length! : 1;
}

// Private: the k-th example's features when the task has examples, else values inside every range.
function inputLiteral(task: TaskApi, k: number): string {
  const examples = task.examples?.examples;
  const given = examples?.[Math.min(k, examples.length - 1)]?.features;
  const fields = task.features.map((f) => `${f.name}: ${featureFields[f.type].literal(given?.[f.name] ?? f.default ?? sample(f, k))}`);
  return `{ ${fields.join(', ')} }`;
}

// Private: a value inside the feature's range, as the kind samples it (a float32 tensor's view of it).
function sample(f: FeatureSpec, k: number): unknown {
  if (f.type === 'text') return k === 0 ? 'Write a text here.' : 'Another text, in another run row.';
  const tensor: LayoutTensor = {
    name: f.tensor ?? '',
    dtype: f.type === 'int' ? 'int64' : 'float32',
    dims: f.shape ?? [],
    width: valuesOf(f),
  };
  const value = featureKinds[f.type].sample(f, k === 0 ? 0.1 : 0.7, k, tensor, {});
  return round(value);
}

function round(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(round);
  return typeof value === 'number' ? Math.round(value * 100) / 100 : value;
}
