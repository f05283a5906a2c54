/** `SampleRequest`: a row of the bundled catalog, with its features and (batched) prediction. */
import type { SampleRequest } from '../../samples/sample-catalog.ts';
import type { Builder } from '../builder.ts';
import { predictRow, resolveModel } from '../predict.ts';
import type { defineLatencyFeatures } from './latency-features.ts';
import type { LatencyPredictionRef } from './latency-prediction.ts';

export function defineSampleRequest(
  builder: Builder,
  LatencyFeatures: ReturnType<typeof defineLatencyFeatures>['LatencyFeatures'],
  LatencyPrediction: LatencyPredictionRef,
) {
  return builder.objectRef<SampleRequest>('SampleRequest').implement({
    description: 'A request from the bundled sample catalog (models/sample-requests.json).',
    fields: (t) => ({
      id: t.exposeID('id'),
      features: t.field({ type: LatencyFeatures, resolve: (s) => s.features }),
      predictedLatency: t.field({
        type: LatencyPrediction,
        nullable: true,
        tracing: true,
        description: 'The predicted latency of this request. Null, with an error on this field only, if the model fails.',
        args: { model: t.arg.string({ description: "Model name; defaults to the server's default model." }) },
        resolve: (sample, args, context, info) => predictRow(context, resolveModel(context, args.model), sample.row, sample.rowKey, info),
      }),
    }),
  });
}
