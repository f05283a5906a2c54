/**
 * The GraphQL fields of a class output: the label (an enum: the model's own label, or the most
 * probable class) and, unless the model gives labels only, every class with its probability, in
 * class order, or the `top` most probable.
 */
import { badArgument } from '../../errors.ts';
import type { OutputSpec } from '../../inference/index.ts';
import type { Prediction } from '../predict.ts';
import type { TaskApi } from '../tasks.ts';
import { type AnyBuilder, describeOutput, type OutputFieldContext, type OutputFields, readerOf } from './output-field.ts';

export interface ClassProbability {
  label: string;
  probability: number;
}

export const classFields: OutputFields = {
  add(fields: Record<string, unknown>, t: AnyBuilder, spec: OutputSpec, context: OutputFieldContext): void {
    const description = describeOutput(spec);
    const labelsOnly = spec.scores === 'none';
    fields[spec.name] = t.field({
      type: context.labelEnum(spec),
      description: `${description} ${labelsOnly || spec.labelTensor ? "The model's own label." : 'The most probable class.'}`.trim(),
      resolve: (p: Prediction) => readerOf<'class'>(p, spec).label(p.output),
    });
    if (labelsOnly) return;
    fields[context.task.names.probabilities.get(spec.name)!.field] = t.field({
      type: [context.probabilityType(spec)],
      description: `Every class of ${spec.name} with its probability, in class order; with \`top\`, the \`top\` most probable, most probable first.`,
      args: { top: t.arg.int({ description: 'Only the most probable classes, at most this many (≥ 1).' }) },
      resolve: (p: Prediction, args: { top?: number | null }) => {
        const reader = readerOf<'class'>(p, spec);
        const all: ClassProbability[] = reader.probabilities!(p.output).map((probability, i) => ({
          label: reader.labels[i]!,
          probability,
        }));
        if (args.top === null || args.top === undefined) return all;
        if (args.top < 1) throw badArgument('top', 'a positive integer', args.top);
        return all.sort((a, b) => b.probability - a.probability).slice(0, args.top);
      },
    });
  },
  selection: (spec: OutputSpec, task: TaskApi) =>
    spec.scores === 'none' ? spec.name : `${spec.name} ${task.names.probabilities.get(spec.name)!.field}(top: 2) { label probability }`,
};
