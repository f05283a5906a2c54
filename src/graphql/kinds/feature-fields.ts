/**
 * The GraphQL side of each feature kind (the inference side is src/inference/kinds/), one entry
 * per kind: its input field, its field in an example's features, and a GraphQL literal of one of
 * its values (GraphiQL's default query).
 */
import type { FeatureSpec, FeatureType } from '../../inference/index.ts';

// Pothos' field builders are typed by the schema; a type chosen at run time has no static type.
// biome-ignore lint/suspicious/noExplicitAny: the builders are only called with the options they take.
type AnyBuilder = any;

export interface FeatureField {
  /** The input field, from the input builder `t`, with `options` (required, description, defaultValue). */
  input(t: AnyBuilder, options: object, spec: FeatureSpec, enumType: () => unknown): unknown;
  /** Its field in an example's features, from the object builder `t`. */
  output(t: AnyBuilder, options: object, spec: FeatureSpec, enumType: () => unknown): unknown;
  /** A GraphQL literal of one value. */
  literal(value: unknown): string;
}

const json = (value: unknown) => JSON.stringify(value);
const nested = (value: unknown): string => (Array.isArray(value) ? `[${value.map(nested).join(', ')}]` : json(value));

// Private: the items of a tensor's outermost list: [Float!] nested once per inner axis ([24, 3] → [Float!]).
function innerLists(t: AnyBuilder, spec: FeatureSpec, input: boolean): unknown {
  let type: unknown = 'Float';
  for (let axis = 1; axis < spec.shape!.length; axis++)
    type = input ? t.listRef(type, { required: true }) : t.listRef(type, { nullable: false });
  return type;
}

export const featureFields: Readonly<Record<FeatureType, FeatureField>> = {
  float: { input: (t, o) => t.float(o), output: (t, o) => t.float(o), literal: json },
  int: { input: (t, o) => t.int(o), output: (t, o) => t.int(o), literal: json },
  bool: { input: (t, o) => t.boolean(o), output: (t, o) => t.boolean(o), literal: json },
  string: { input: (t, o) => t.string(o), output: (t, o) => t.string(o), literal: json },
  text: { input: (t, o) => t.string(o), output: (t, o) => t.string(o), literal: json },
  vector: { input: (t, o) => t.floatList(o), output: (t, o) => t.floatList(o), literal: nested },
  category: {
    input: (t, o, _spec, enumType) => t.field({ type: enumType(), ...o }),
    output: (t, o, _spec, enumType) => t.field({ type: enumType(), ...o }),
    literal: String,
  },
  tensor: {
    input: (t, o, spec) => t.field({ type: [innerLists(t, spec, true)], ...o }),
    output: (t, o, spec) => t.field({ type: [innerLists(t, spec, false)], ...o }),
    literal: nested,
  },
};
