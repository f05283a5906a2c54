/**
 * The entity types of the bindings: for each bound entity, an extension of the owner's type with
 * its key, the feature fields as `@external`, and one prediction field per binding that
 * `@requires` them. The gateway sends all representations of a query in one `_entities` call;
 * every prediction field goes through `predictFromFeatures`, so they share the request's loader
 * and become one model run. A representation lacking a feature fails its own field only.
 */
import { ListRef } from '@pothos/core';
import type { GraphQLError, GraphQLResolveInfo } from 'graphql';
import { withContext } from '../../errors.ts';
import {
  type EntityBinding,
  type ExternalField,
  externalFieldsOf,
  type FeatureFieldType,
  type FeatureSource,
  type KeyField,
} from '../../federation/entity-bindings.ts';
import type { FeatureProblem } from '../../inference/index.ts';
import type { Builder } from '../builder.ts';
import type { PredictQLContext } from '../context.ts';
import { type Prediction, predictFromFeatures } from '../predict.ts';
import type { TaskApi } from '../tasks.ts';
import type { TaskTypes } from './task-types.ts';

/** What the gateway sends for an entity: `__typename`, the key fields and the required fields. */
export type Representation = Readonly<Record<string, unknown>>;

/** The task (and its types) a bound model serves. */
export type TaskOfModel = (model: string) => { task: TaskApi; types: TaskTypes };

export function defineEntityTypes(builder: Builder, bindings: readonly EntityBinding[], taskOf: TaskOfModel): void {
  const external = externalFieldsOf(bindings);
  // The owner's object types on nested paths, with the fields predictql reads, all @external.
  const objectRefs = new Map([...external.objects.keys()].map((type) => [type, builder.objectRef<Representation>(type)]));
  for (const [type, fields] of external.objects) {
    objectRefs.get(type)!.implement({
      description: 'An object another subgraph owns, on the path to fields predictql reads (all @external here).',
      fields: (t) =>
        Object.fromEntries(
          [...fields].map(([name, field]) => [
            name,
            t.field({ ...outputOf(field, objectRefs), directives: { external: {} }, resolve: (r) => r[name] as never }),
          ]),
        ),
    });
  }

  for (const [entity, ofEntity] of groupByEntity(bindings)) {
    const key = ofEntity[0]!.key;
    const externals = external.entities.get(entity) ?? new Map<string, ExternalField>();

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
      externalFields: (t) => Object.fromEntries([...externals].map(([name, field]) => [name, t.field(outputOf(field, objectRefs))])),
      fields: (t) => ({
        ...Object.fromEntries(key.map((k) => [k.name, t.field({ type: scalarOf(k), resolve: (r) => r[k.name] as never })])),
        ...Object.fromEntries(
          ofEntity.map((binding) => [
            binding.field,
            t.field({
              type: taskOf(binding.model).types.Prediction,
              nullable: true,
              tracing: true,
              description: binding.description ?? describe(binding),
              requires: builder.selection<Representation>(requiresSelection(binding.features) as never),
              resolve: (representation, _args, context, info) =>
                predictEntity(binding, taskOf(binding.model).task, representation, context, info),
            }),
          ]),
        ),
      }),
    });
  }
}

// Private: the GraphQL type of an external field. Pothos cannot type a type chosen at run time, hence \`never\`.
function outputOf(field: ExternalField, objectRefs: ReadonlyMap<string, unknown>): { type: never; nullable: never } {
  if ('object' in field) return { type: objectRefs.get(field.object.type) as never, nullable: field.object.nullable as never };
  if (field.scalar.startsWith('[')) {
    // [[Float!]!]: the inner lists as list refs, the outermost as the field's own list.
    const depth = field.scalar.indexOf('F');
    let items: unknown = 'Float';
    for (let level = 1; level < depth; level++) items = new ListRef(items as never, false);
    return { type: [items] as never, nullable: { list: !field.scalar.endsWith('!'), items: false } as never };
  }
  return { type: scalarOfField(field.scalar) as never, nullable: !field.scalar.endsWith('!') as never };
}

/** `@requires(fields:)` of a binding: "a b usage { openTickets seats }", paths grouped under their objects. */
export function requiresSelection(features: readonly FeatureSource[]): string {
  type Tree = Map<string, Tree>;
  const root: Tree = new Map();
  for (const { path } of features) {
    let node = root;
    for (const name of path) {
      let next = node.get(name);
      if (!next) {
        next = new Map();
        node.set(name, next);
      }
      node = next;
    }
  }
  const print = (tree: Tree): string =>
    [...tree].map(([name, children]) => (children.size === 0 ? name : `${name} { ${print(children)} }`)).join(' ');
  return print(root);
}

/** The prediction of one representation, through the same path as every other prediction field. */
export function predictEntity(
  binding: EntityBinding,
  task: TaskApi,
  representation: Representation,
  context: PredictQLContext,
  info: GraphQLResolveInfo,
): Prediction | Promise<Prediction> {
  const features: Record<string, unknown> = { ...binding.constants };
  for (const s of binding.features) features[s.feature] = valueAt(representation, s.path);
  try {
    return predictFromFeatures(context, task, { model: binding.model }, features, info);
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

// Private: the value at a path of the representation; undefined when an object on the way is null.
function valueAt(representation: Representation, path: readonly string[]): unknown {
  let value: unknown = representation;
  for (const name of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
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

function scalarOfField(type: FeatureFieldType): 'Float' | 'Int' | 'Boolean' | 'String' {
  return type.replace(/!$/, '') as 'Float' | 'Int' | 'Boolean' | 'String';
}

function describe(binding: EntityBinding): string {
  const mapping = [
    ...binding.features.map((s) => (s.feature === s.field ? s.field : `${s.feature} ← ${s.field}`)),
    ...Object.entries(binding.constants).map(([feature, value]) => `${feature} = ${JSON.stringify(value)}`),
  ].join(', ');
  return (
    `Predicted by model "${binding.model}" from this ${binding.entity}'s fields (${mapping}); all ` +
    `such fields of one request share one model run. ` +
    'Null, with an error on this field only, when a feature is missing or out of range.'
  );
}
