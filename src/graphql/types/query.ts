/** The root `Query`: models, predictions and the sample catalog. */
import { badArgument } from '../../errors.ts';
import { defaultRequestLimits } from '../../request-limits.ts';
import type { Builder } from '../builder.ts';
import { predictFromFeatures } from '../predict.ts';
import { primePagePredictions } from '../prime-predictions.ts';
import type { PredictionTask } from '../task.ts';
import type { defineLatencyFeatures } from './latency-features.ts';
import type { LatencyPredictionRef } from './latency-prediction.ts';
import type { ModelRef } from './model.ts';
import type { defineSampleRequest } from './sample-request.ts';

export function defineQuery(
  builder: Builder,
  task: PredictionTask,
  refs: {
    Model: ModelRef;
    LatencyFeaturesInput: ReturnType<typeof defineLatencyFeatures>['LatencyFeaturesInput'];
    LatencyPrediction: LatencyPredictionRef;
    SampleRequest: ReturnType<typeof defineSampleRequest>;
  },
  maxPageSize = defaultRequestLimits.maxPageSize,
) {
  const { Model, LatencyFeaturesInput, LatencyPrediction, SampleRequest } = refs;
  const modelArgDescription = `Model name (see \`models\`); defaults to "${task.defaultModel}".`;

  builder.queryType({
    fields: (t) => ({
      models: t.field({
        type: [Model],
        description: 'Every loaded model.',
        resolve: (_root, _args, context) => context.registry.list(),
      }),
      model: t.field({
        type: Model,
        nullable: true,
        description: 'One model by name, or null if none has that name.',
        args: { name: t.arg.string({ required: true }) },
        resolve: (_root, args, context) => context.registry.get(args.name) ?? null,
      }),
      predictLatency: t.field({
        type: LatencyPrediction,
        nullable: true,
        tracing: true,
        description:
          'Predicts the latency of one request. Every predictLatency field of the operation (aliases ' +
          'included) shares one model run per model. Null, with an error on this field only, for bad ' +
          'input, an unknown model or a failed run.',
        args: {
          input: t.arg({ type: LatencyFeaturesInput, required: true }),
          model: t.arg.string({ description: modelArgDescription }),
        },
        resolve: (_root, args, context, info) => predictFromFeatures(context, args.model, args.input, info),
      }),
      predictLatencies: t.field({
        type: [LatencyPrediction],
        nullable: { list: false, items: true },
        tracing: true,
        description:
          'Predicts many requests (send them as a variable). Each item goes through the same per-request ' +
          'loader as predictLatency, so all share one run; a bad item is null with its own error.',
        args: {
          inputs: t.arg({ type: [LatencyFeaturesInput], required: true }),
          model: t.arg.string({ description: modelArgDescription }),
        },
        resolve: (_root, args, context, info) =>
          args.inputs.map((input, i) => {
            try {
              return predictFromFeatures(context, args.model, input, info, i);
            } catch (error) {
              // A rejected item becomes an error at that item's path only; the other items resolve.
              return Promise.reject(error as Error);
            }
          }),
      }),
      sampleRequests: t.field({
        type: [SampleRequest],
        // The printed schema must not depend on configuration: the limit is named, not stated.
        description:
          `A page of the bundled sample catalog: \`first\` at most the server's PREDICTQL_MAX_PAGE_SIZE ` +
          `(${defaultRequestLimits.maxPageSize} by default).`,
        args: {
          first: t.arg.int({ defaultValue: 20 }),
          offset: t.arg.int({ defaultValue: 0 }),
        },
        resolve: (_root, args, context, info) => {
          const first = args.first ?? 20;
          const offset = args.offset ?? 0;
          if (first < 0 || first > maxPageSize) throw badArgument('first', `an integer within [0, ${maxPageSize}]`, first);
          if (offset < 0) throw badArgument('offset', 'a non-negative integer', offset);
          return primePagePredictions(context.catalog.page(offset, first), info, context);
        },
      }),
    }),
  });
}
