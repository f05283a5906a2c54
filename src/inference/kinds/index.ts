/**
 * The kinds, one table each: a feature's `type` and an output's `kind` find their module here.
 * A new kind is its module (features/ or outputs/) and its GraphQL builder (src/graphql/kinds/).
 */
import type { FeatureType, OutputKindName } from '../manifest-spec.ts';
import type { FeatureKind } from './feature-kind.ts';
import { boolFeature } from './features/bool.ts';
import { categoryFeature } from './features/category.ts';
import { floatFeature, intFeature } from './features/number.ts';
import { stringFeature } from './features/string.ts';
import { tensorFeature } from './features/tensor.ts';
import { textFeature } from './features/text.ts';
import { vectorFeature } from './features/vector.ts';
import type { OutputKind } from './output-kind.ts';
import { classOutput } from './outputs/class.ts';
import { tensorOutput } from './outputs/tensor.ts';
import { valueOutput } from './outputs/value.ts';
import { vectorOutput } from './outputs/vector.ts';

export const featureKinds: Readonly<Record<FeatureType, FeatureKind>> = {
  float: floatFeature,
  int: intFeature,
  bool: boolFeature,
  category: categoryFeature,
  vector: vectorFeature,
  string: stringFeature,
  tensor: tensorFeature,
  text: textFeature,
};

export const outputKinds: Readonly<Record<OutputKindName, OutputKind>> = {
  value: valueOutput,
  vector: vectorOutput,
  class: classOutput,
  tensor: tensorOutput,
};

export type { EncodeNotes, FeatureKind, FeatureWriter, KindResources } from './feature-kind.ts';
export type { FieldReader, OutputKind, OutputSlot } from './output-kind.ts';
