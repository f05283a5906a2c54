/** `LatencyPrediction`: one output row of a model, one field per manifest output. */
import type { Builder } from '../builder.ts';
import type { Prediction } from '../predict.ts';
import type { PredictionTask } from '../task.ts';
import type { ModelRef } from './model.ts';

export function defineLatencyPrediction(builder: Builder, task: PredictionTask, Model: ModelRef) {
  return builder.objectRef<Prediction>('LatencyPrediction').implement({
    description: 'A predicted latency. Every prediction field of a request is computed in one batched model run per model.',
    fields: (t) => ({
      ...Object.fromEntries(
        task.outputs.map((o, i) => [
          o.name,
          t.float({ description: `${o.description} Unit: ${o.unit}.`.trim(), resolve: (p) => p.values[i]! }),
        ]),
      ),
      model: t.field({ type: Model, description: 'The model that made this prediction.', resolve: (p) => p.model }),
    }),
  });
}

export type LatencyPredictionRef = ReturnType<typeof defineLatencyPrediction>;
