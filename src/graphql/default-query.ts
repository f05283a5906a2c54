/**
 * The query GraphiQL opens with: for every task, a page of its examples with their predictions
 * and two aliased single predictions (the second on another model of the task when it has one).
 * Each model used is one batched run; the inference report shows them.
 */
import type { FeatureSpec, OutputSpec } from '../inference/index.ts';
import { camel, type TaskApi } from './tasks.ts';

export function defaultQuery(tasks: readonly TaskApi[]): string {
  const blocks = tasks.map((task) => {
    const lines: string[] = [];
    const selection = outputSelection(task);
    const names = task.names;
    if (names.examples && task.examples) lines.push(`  ${names.examples.list}(first: 5) { id ${names.examples.prediction} ${selection} }`);
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

function outputSelection(task: TaskApi): string {
  const fields = task.outputs.map((o: OutputSpec) =>
    o.kind === 'class' ? `${o.name} ${task.names.probabilities.get(o.name)!.field}(top: 2) { label probability }` : o.name,
  );
  return `{ ${fields.join(' ')} }`;
}

// Private: the k-th example's features when the task has examples, else values inside every range.
function inputLiteral(task: TaskApi, k: number): string {
  const examples = task.examples?.examples;
  const given = examples?.[Math.min(k, examples.length - 1)]?.features;
  const fields = task.features.map((f) => `${f.name}: ${literal(f, given?.[f.name] ?? f.default ?? inRange(f, k))}`);
  return `{ ${fields.join(', ')} }`;
}

function inRange(f: FeatureSpec, k: number): unknown {
  const lo = f.min ?? 0;
  const hi = f.max ?? lo + 1;
  const value = lo + (hi - lo) * (k === 0 ? 0.1 : 0.7);
  switch (f.type) {
    case 'int':
      return Math.round(value);
    case 'bool':
      return k === 1;
    case 'category':
      return f.values![k % f.values!.length];
    case 'string':
      return '';
    case 'vector':
      return Array.from({ length: f.length! }, () => Math.round(value * 100) / 100);
    default:
      return Math.round(value * 100) / 100;
  }
}

function literal(f: FeatureSpec, value: unknown): string {
  if (f.type === 'category') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return JSON.stringify(value);
}
