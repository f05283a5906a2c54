/**
 * The GraphQL side of each output kind (the inference side is src/inference/kinds/), one entry
 * per kind: the prediction fields it adds and how GraphiQL's default query selects them. A field
 * reads its output row with the reader of the model that answered (its codec), so models of one
 * task may lay their tensors out differently.
 */
import type { OutputKindName } from '../../inference/index.ts';
import type { Prediction } from '../predict.ts';
import { classFields } from './class-fields.ts';
import { describeOutput, type OutputFields, readerOf } from './output-field.ts';

export const outputFields: Readonly<Record<OutputKindName, OutputFields>> = {
  value: {
    add: (fields, t, spec) => {
      fields[spec.name] = t.float({
        description: describeOutput(spec),
        resolve: (p: Prediction) => readerOf<'value'>(p, spec).read(p.output),
      });
    },
    selection: (spec) => spec.name,
  },
  vector: {
    add: (fields, t, spec) => {
      fields[spec.name] = t.floatList({
        description: describeOutput(spec),
        resolve: (p: Prediction) => readerOf<'vector'>(p, spec).read(p.output),
      });
    },
    selection: (spec) => spec.name,
  },
  tensor: {
    add: (fields, t, spec) => {
      // [Float!]! nested once per row axis.
      const rank = spec.shape!.length;
      let type: unknown = 'Float';
      for (let axis = 1; axis < rank; axis++) type = t.listRef(type, { nullable: false });
      fields[spec.name] = t.field({
        type: [type],
        description: describeOutput(spec),
        resolve: (p: Prediction) => readerOf<'tensor'>(p, spec).read(p.output),
      });
    },
    selection: (spec) => spec.name,
  },
  class: classFields,
};
