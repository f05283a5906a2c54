/**
 * The entity types of the bindings: for each bound entity, an extension of the owner's type with
 * its key, the feature fields as `@external`, and one prediction field per binding that
 * `@requires` them. The gateway sends all representations of a query in one `_entities` call;
 * every prediction field goes through `predictFromFeatures`, so they share the request's loader
 * and become one model run. A representation lacking a feature fails its own field only.
 */
import type { GraphQLError, GraphQLResolveInfo } from 'graphql';
import { withContext } from '../../errors.ts';
import type { EntityBinding, FeatureFieldType, FeatureSource, KeyField } from '../../federation/entity-bindings.ts';
import type { FeatureProblem } from '../../inference/index.ts';
import type { Builder } from '../builder.ts';
import type { PredictQLContext } from '../context.ts';
import { type Prediction, predictFromFeatures } from '../predict.ts';
import type { LatencyPredictionRef } from './latency-prediction.ts';

/** What the gateway sends for an entity: `__typename`, the key fields and the required fields. */
export type Representation = Readonly<Record<string, unknown>>;

export function defineEntityTypes(builder: Builder, bindings: readonly EntityBinding[], LatencyPrediction: LatencyPredictionRef): void {
  for (const [entity, ofEntity] of groupByEntity(bindings)) {
    const key = ofEntity[0]!.key;
    const externals = new Map<string, FeatureFieldType>();
    for (const binding of ofEntity) for (const source of binding.features) externals.set(source.field, source.type);

    const ref = builder.externalRef(
      entity,
      builder.selection<Representation>(key.map((k) => k.name).join(' ') as never),
      // Nothing to load: the representation carries every field the prediction needs.
      (representation: Representation) => representation,
    );
    ref.implement({
      description:
        `An entity another subgraph owns; predictql adds ${ofEntity.map((b) => b.field).join(', ')} ` +
        `from the @external fields it requires.`,
      externalFields: (t) =>
        Object.fromEntries(
          [...externals].map(([name, type]) => [
            name,
            t.field({ type: type.startsWith('Int') ? 'Int' : 'Float', nullable: !type.endsWith('!') }),
          ]),
        ),
      fields: (t) => ({
        ...Object.fromEntries(key.map((k) => [k.name, t.field({ type: scalarOf(k), resolve: (r) => r[k.name] as never })])),
        ...Object.fromEntries(
          ofEntity.map((binding) => [
            binding.field,
            t.field({
              type: LatencyPrediction,
              nullable: true,
              tracing: true,
              description: binding.description ?? describe(binding),
              requires: builder.selection<Representation>(binding.features.map((s) => s.field).join(' ') as never),
              resolve: (representation, _args, context, info) => predictEntity(binding, representation, context, info),
            }),
          ]),
        ),
      }),
    });
  }
}

/** The prediction of one representation, through the same path as every other prediction field. */
export function predictEntity(
  binding: EntityBinding,
  representation: Representation,
  context: PredictQLContext,
  info: GraphQLResolveInfo,
): Prediction | Promise<Prediction> {
  const features = Object.fromEntries(binding.features.map((s) => [s.feature, representation[s.field]]));
  try {
    return predictFromFeatures(context, binding.model, features, info);
  } catch (error) {
    throw withEntityFields(error as GraphQLError, binding, representation);
  }
}

// Private: a bad-input error names the entity and the entity fields behind the bad features, which
// is what the owner of the representation can fix. Code and problems stay those of the catalog.
function withEntityFields(error: GraphQLError, binding: EntityBinding, representation: Representation): GraphQLError {
  const problems = error.extensions?.problems as FeatureProblem[] | undefined;
  if (!problems) return error;
  const fieldOf = new Map<string, FeatureSource>(binding.features.map((s) => [s.feature, s]));
  const entityFields = problems.map((p) => `${binding.entity}.${fieldOf.get(p.feature)?.field ?? p.feature}`);
  const keyText = binding.key.map((k) => `${k.name}: ${JSON.stringify(representation[k.name] ?? null)}`).join(', ');
  return withContext(error, `${binding.entity} { ${keyText} } cannot be predicted from ${entityFields.join(', ')}.`, {
    entity: binding.entity,
    entityFields,
  });
}

function groupByEntity(bindings: readonly EntityBinding[]): Map<string, EntityBinding[]> {
  const groups = new Map<string, EntityBinding[]>();
  for (const binding of bindings) {
    const group = groups.get(binding.entity);
    if (group) group.push(binding);
    else groups.set(binding.entity, [binding]);
  }
  return groups;
}

function scalarOf(key: KeyField): 'ID' | 'String' | 'Int' {
  return key.type === 'ID!' ? 'ID' : key.type === 'String!' ? 'String' : 'Int';
}

function describe(binding: EntityBinding): string {
  const mapping = binding.features.map((s) => (s.feature === s.field ? s.field : `${s.feature} ← ${s.field}`)).join(', ');
  return (
    `Predicted by model "${binding.model}" from this ${binding.entity}'s fields (${mapping}); all ` +
    `such fields of one request share one model run. ` +
    'Null, with an error on this field only, when a feature is missing or out of range.'
  );
}
