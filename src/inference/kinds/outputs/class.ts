/**
 * class outputs: a label (a GraphQL enum) and, when the model gives them, a probability per class.
 * The scores are a tensor's columns: probabilities as they are, logits through a softmax, or one
 * sigmoid column for two classes (p is the second's, 1 − p the first's). The label is the
 * model's own when it outputs one (`labelTensor`: string or integer labels, mapped to the enum
 * through `modelLabels`), else the most probable class. With `scores: "none"` the model gives
 * labels only.
 */
import type { OutputRow } from '../../tensors.ts';
import { FLOAT } from '../feature-kind.ts';
import { columns, flatRowProblem, type OutputKind } from '../output-kind.ts';

export const classOutput: OutputKind = {
  width: (spec) => (spec.scores === 'none' ? 0 : spec.scores === 'sigmoid' ? 1 : spec.labels!.length),
  tensorProblem: (spec, t) => {
    const flat = flatRowProblem(spec, t);
    if (flat) return flat;
    if (spec.scores === 'none') return undefined;
    return FLOAT.includes(t.dtype) ? undefined : `it reads "${t.name}" of type ${t.dtype}: it needs float probabilities or logits`;
  },
  specProblem: (spec) => {
    if (spec.scores === 'sigmoid' && spec.labels!.length !== 2)
      return `reads one sigmoid column, so it has two labels (the first for p < 0.5), but got: ${spec.labels!.length}`;
    if (spec.scores === 'none' && spec.labelTensor === undefined) return 'gives no scores ("scores": "none"), so it needs a "labelTensor"';
    if (spec.modelLabels && spec.modelLabels.length !== spec.labels!.length)
      return `needs one of "modelLabels" per label (${spec.labels!.length}), but got: ${spec.modelLabels.length}`;
    if (spec.modelLabels && !spec.labelTensor) return '"modelLabels" name the model\'s labels in its "labelTensor", which is missing';
    return undefined;
  },
  fieldNames: (spec) => (spec.scores === 'none' ? [spec.name] : [spec.name, spec.probabilitiesField ?? 'probabilities']),
  reader: ({ spec, tensor, column, width, labelTensor }) => {
    const labels = spec.labels!;
    const probabilities = probabilitiesOf(spec.scores ?? 'probabilities', tensor, column, width);
    const label =
      labelTensor !== undefined
        ? (row: OutputRow) => labels[Number(row[labelTensor]![0])]!
        : (row: OutputRow) => labels[argmax(probabilities!(row))]!;
    return { kind: 'class', labels, probabilities, label, numbers: probabilities ?? (() => []) };
  },
  signature: (spec) =>
    `class [${spec.labels!.join(', ')}]${spec.scores === 'none' ? ' labels only' : ''}${spec.probabilitiesField ? ` as ${spec.probabilitiesField}` : ''}${spec.enum ? ` enum ${spec.enum}` : ''}`,
};

function probabilitiesOf(scores: string, tensor: number, column: number, width: number): ((row: OutputRow) => number[]) | undefined {
  switch (scores) {
    case 'none':
      return undefined;
    case 'sigmoid':
      return (row) => {
        const p = Number(row[tensor]![column]);
        return [1 - p, p];
      };
    case 'logits':
      return (row) => softmax(columns(row, tensor, column, width));
    default:
      return (row) => columns(row, tensor, column, width);
  }
}

function softmax(scores: number[]): number[] {
  const top = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
