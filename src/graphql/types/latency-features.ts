/** `LatencyFeaturesInput` and `LatencyFeatures`: one field per manifest feature, same names. */
import type { InputFieldRef } from '@pothos/core';
import type { FeatureSpec } from '../../inference/index.ts';
import type { Builder, BuilderTypes } from '../builder.ts';
import type { PredictionTask } from '../task.ts';

export function defineLatencyFeatures(builder: Builder, task: PredictionTask) {
  const LatencyFeaturesInput = builder.inputType('LatencyFeaturesInput', {
    description:
      'The features of one request to predict, in the units the model was trained on. Values out of range are rejected, never clamped.',
    fields: (t) => {
      const fields: Record<string, InputFieldRef<PothosSchemaTypes.ExtendDefaultTypes<BuilderTypes>, number>> = {};
      for (const f of task.features) fields[f.name] = t.float({ required: true, description: describe(f) });
      return fields;
    },
  });

  const LatencyFeatures = builder.objectRef<Readonly<Record<string, number>>>('LatencyFeatures').implement({
    description: 'The features of a request, as the model reads them.',
    fields: (t) => Object.fromEntries(task.features.map((f) => [f.name, t.exposeFloat(f.name, { description: describe(f) })])),
  });

  return { LatencyFeaturesInput, LatencyFeatures };
}

function describe(f: FeatureSpec): string {
  return `${f.description} Unit: ${f.unit}. Range: [${f.min}, ${f.max}].`.trim();
}
