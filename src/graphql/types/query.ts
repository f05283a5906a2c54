/** The root `Query`: the models, and each task's predict, predict-many and examples fields. */
import { badArgument } from '../../errors.ts';
import { defaultRequestLimits } from '../../request-limits.ts';
import type { Builder } from '../builder.ts';
import { predictFromFeatures, predictRow, resolveModel } from '../predict.ts';
import type { PredictionCost } from '../prediction-cost.ts';
import { primeExamplePage } from '../prime-predictions.ts';
import type { TaskApi } from '../tasks.ts';
import type { ModelRef } from './model.ts';
import type { TaskTypes } from './task-types.ts';

export function defineQuery(
  builder: Builder,
  tasks: readonly { task: TaskApi; types: TaskTypes }[],
  Model: ModelRef,
  maxPageSize = defaultRequestLimits.maxPageSize,
) {
  builder.queryType({
    fields: (t) => {
      const fields: Record<string, unknown> = {
        models: t.field({
          type: [Model],
          description: 'Every loaded model, or those of one task.',
          args: { task: t.arg.string({ description: 'Only the models of this task (see `Model.task`).' }) },
          resolve: (_root, args, context) => context.registry.list().filter((m) => !args.task || m.manifest.task === args.task),
        }),
        model: t.field({
          type: Model,
          nullable: true,
          description: 'One model by name (its default version, or `version`), or null if none has that name and version.',
          args: { name: t.arg.string({ required: true }), version: t.arg.int({ description: 'A served version (see `Model.versions`).' }) },
          resolve: (_root, args, context) => context.registry.get(args.name, args.version ?? undefined) ?? null,
        }),
      };
      for (const { task, types } of tasks) {
        const modelArg = () =>
          t.arg.string({ description: `Model of task ${task.name} (see \`models\`); defaults to "${task.defaultModel}".` });
        const versionArg = () =>
          t.arg.int({ description: "A version the model serves (see `Model.versions`); defaults to the model's default version." });
        fields[task.names.predict] = t.field({
          type: types.Prediction,
          nullable: true,
          tracing: true,
          description:
            `Predicts one input of task ${task.name}. Every ${task.names.predict} field of the operation (aliases included) shares one model run per model. ` +
            'Null, with an error on this field only, for bad input, an unknown model or a failed run.',
          args: { input: t.arg({ type: types.Input, required: true }), model: modelArg(), version: versionArg() },
          resolve: (_root, args, context, info) => predictFromFeatures(context, task, args, args.input as Record<string, unknown>, info),
        });
        fields[task.names.predictMany] = t.field({
          type: [types.Prediction],
          nullable: { list: false, items: true },
          tracing: true,
          description: `Predicts many inputs of task ${task.name} (send them as a variable). All share one model run; a bad item is null with its own error.`,
          args: { inputs: t.arg({ type: [types.Input], required: true }), model: modelArg(), version: versionArg() },
          extensions: { predictqlCost: { kind: 'inputs', argument: 'inputs' } satisfies PredictionCost },
          resolve: (_root, args, context, info) =>
            (args.inputs as Record<string, unknown>[]).map((input, i) => {
              try {
                return predictFromFeatures(context, task, args, input, info, i);
              } catch (error) {
                // A rejected item becomes an error at that item's path only; the other items resolve.
                return Promise.reject(error as Error);
              }
            }),
        });
        const examples = task.examples;
        const Example = types.defineExamples((example, choice, context, info) => {
          const model = resolveModel(context, task, choice);
          const { row, key } = example.rowFor(model);
          return predictRow(context, model, row, key, info);
        });
        if (examples && Example && task.names.examples) {
          fields[task.names.examples.list] = t.field({
            type: [Example],
            // Nullable: a bad page argument is an error on this field, not on the whole response.
            nullable: true,
            description:
              `A page of the examples of task ${task.name} (${examples.examples.length}): \`first\` at most the server's ` +
              `PREDICTQL_MAX_PAGE_SIZE (${defaultRequestLimits.maxPageSize} by default).`,
            args: { first: t.arg.int({ defaultValue: 20 }), offset: t.arg.int({ defaultValue: 0 }) },
            extensions: { predictqlCost: { kind: 'page', size: examples.examples.length } satisfies PredictionCost },
            resolve: (_root, args, context, info) => {
              const first = args.first ?? 20;
              const offset = args.offset ?? 0;
              if (first < 0 || first > maxPageSize) throw badArgument('first', `an integer within [0, ${maxPageSize}]`, first);
              if (offset < 0) throw badArgument('offset', 'a non-negative integer', offset);
              return primeExamplePage(examples.examples.slice(offset, offset + first), task, info, context);
            },
          });
        }
      }
      return fields as never;
    },
  });
}
