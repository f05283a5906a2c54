/**
 * Entity bindings: which entities of a supergraph get a prediction field, from which model, and
 * which entity field feeds each model feature. Read from a JSON file (schema/entity-bindings.json
 * unless PREDICTQL_ENTITY_BINDINGS names another) and checked at start: a bad file stops the
 * server with a message that states the contract and echoes the bad value.
 *
 * {
 *   "bindings": [{
 *     "entity": "Account",                // an entity another subgraph owns
 *     "key": "id",                        // its @key fields (ID!), or { "sku": "String!" }
 *     "model": "account-risk",
 *     "field": "riskOfLeaving",           // the field predictql adds to the entity
 *     "features": {                       // model feature -> entity field (@external, @requires)
 *       "monthlySpend": "spendUsd",                               // Float!
 *       "seats": { "field": "seats", "type": "Int!" },
 *       "plan": { "field": "planName", "type": "String!" },       // a category, by name
 *       "region": { "const": "EU" },                              // the same for every entity
 *       "tickets": { "field": "usage.openTickets", "type": "Int!" } // @requires(fields: "usage { openTickets }")
 *       ...                                // a feature with a default may be left out
 *     },
 *     "objects": { "usage": "AccountUsage!" } // the owner's type of each object on a nested path
 *   }]
 * }
 */
import { readFile } from 'node:fs/promises';
import type { FeatureSpec, FeatureType, ModelManifest, RowCodec } from '../inference/index.ts';

export const ENTITY_BINDINGS_VARIABLE = 'PREDICTQL_ENTITY_BINDINGS';

/** The types a key field may have; the owner's key field must have the same type. */
export const KEY_TYPES = ['ID!', 'String!', 'Int!'] as const;
/** The types an entity field feeding a feature may have; nullability must match the owner's. */
export const FEATURE_FIELD_TYPES = [
  'Float!',
  'Float',
  'Int!',
  'Int',
  'Boolean!',
  'Boolean',
  'String!',
  'String',
  '[Float!]!',
  '[Float!]',
  '[[Float!]!]!',
  '[[Float!]!]',
  '[[[Float!]!]!]!',
  '[[[Float!]!]!]',
  '[[[[Float!]!]!]!]!',
  '[[[[Float!]!]!]!]',
] as const;

/** Which entity field types can feed a feature of each manifest type (a null fails its own field). */
const FIELD_TYPES_OF: Readonly<Record<Exclude<FeatureType, 'tensor'>, readonly string[]>> = {
  float: ['Float', 'Int'],
  int: ['Int'],
  bool: ['Boolean'],
  category: ['String'],
  string: ['String'],
  vector: ['[Float!]'],
  text: ['String'],
};

// Private: a tensor feature of shape [24, 3] takes nested lists, one level per axis: [[Float!]!].
function fieldTypesOf(spec: FeatureSpec): readonly string[] {
  if (spec.type !== 'tensor') return FIELD_TYPES_OF[spec.type];
  const rank = spec.shape!.length;
  return [`${'['.repeat(rank)}Float${'!]'.repeat(rank - 1)}!]`];
}

export type KeyType = (typeof KEY_TYPES)[number];
export type FeatureFieldType = (typeof FEATURE_FIELD_TYPES)[number];

export interface KeyField {
  name: string;
  type: KeyType;
}

export interface FeatureSource {
  /** The model feature (manifest name). */
  feature: string;
  /** The entity field that holds it, marked @external: a name, or a dotted path into nested objects. */
  field: string;
  /** `field` split at its dots. */
  path: readonly string[];
  type: FeatureFieldType;
}

/** An object type on a nested path (`"objects": { "usage": "AccountUsage!" }`), as the owner defines it. */
export interface NestedObject {
  type: string;
  nullable: boolean;
}

/** A field predictql declares @external: a feature's scalar, or an object on the way to one. */
export type ExternalField = { scalar: FeatureFieldType } | { object: NestedObject };

export interface EntityBinding {
  entity: string;
  key: readonly KeyField[];
  model: string;
  field: string;
  description: string | undefined;
  /** In the file's order; `checkBindingsAgainstModels` ensures every feature without a default has one. */
  features: readonly FeatureSource[];
  /** Features given one value for every entity (`{ "const": value }`), checked by the model's codec at start. */
  constants: Readonly<Record<string, unknown>>;
  /** The object type of each prefix of a nested path ("usage", "usage.daily"). */
  objects: Readonly<Record<string, NestedObject>>;
}

/**
 * Type names predictql defines whatever its tasks (or GraphQL and federation reserve): an entity
 * may not take one. The tasks' own type names are checked when the schema is built.
 */
export const RESERVED_TYPE_NAMES: ReadonlySet<string> = new Set([
  'Query',
  'Mutation',
  'Subscription',
  'String',
  'Float',
  'Int',
  'Boolean',
  'ID',
  'Model',
  'ModelFeature',
  'ModelOutput',
  'ModelTensor',
]);

export class EntityBindingsError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = 'EntityBindingsError';
  }
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const BINDING_KEYS = ['entity', 'key', 'model', 'field', 'features', 'objects', 'description'];
const OBJECT_TYPE = /^([_A-Za-z][_0-9A-Za-z]*)(!?)$/;

/** Reads and checks a bindings file; a missing file that was not asked for explicitly binds nothing. */
export async function readEntityBindings(file: string, { explicit = true } = {}): Promise<EntityBinding[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!explicit && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new EntityBindingsError(
      file,
      `cannot be read as the entity bindings file (${(error as Error).message}); set ${ENTITY_BINDINGS_VARIABLE} to a readable file`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new EntityBindingsError(file, `is not valid JSON (${(error as Error).message})`);
  }
  return parseEntityBindings(file, raw);
}

/** Checks the shape of a bindings document (not the models: see `checkBindingsAgainstModels`). */
export function parseEntityBindings(source: string, raw: unknown): EntityBinding[] {
  const fail = (problem: string): never => {
    throw new EntityBindingsError(source, problem);
  };
  if (!isObject(raw) || !Array.isArray(raw.bindings)) fail(`must be a JSON object { "bindings": [...] }, but got: ${show(raw)}`);
  const root = raw as { bindings: unknown[] };
  for (const key of Object.keys(root)) {
    if (key !== 'bindings' && !key.startsWith('$'))
      fail(`has an unknown key ${show(key)}; the only key is "bindings" (keys starting with "$" are comments)`);
  }
  const bindings = root.bindings.map((entry, i) => parseBinding(`bindings[${i}]`, entry, fail));
  checkAcrossBindings(bindings, fail);
  externalFieldsOf(bindings, fail);
  return bindings;
}

/**
 * What predictql declares @external, merged over all bindings: per entity its top-level fields,
 * per nested object type its fields (a type reached by several paths gets the union). Bindings
 * that disagree on a field's type are refused by `parseEntityBindings`, which calls this.
 */
export function externalFieldsOf(
  bindings: readonly EntityBinding[],
  fail: (problem: string) => never = (problem) => {
    throw new EntityBindingsError('bindings', problem);
  },
): { entities: Map<string, Map<string, ExternalField>>; objects: Map<string, Map<string, ExternalField>> } {
  const entities = new Map<string, Map<string, ExternalField>>();
  const objects = new Map<string, Map<string, ExternalField>>();
  const fieldsOf = (table: Map<string, Map<string, ExternalField>>, type: string) => {
    let fields = table.get(type);
    if (!fields) {
      fields = new Map();
      table.set(type, fields);
    }
    return fields;
  };
  const entityNames = new Set(bindings.map((b) => b.entity));
  bindings.forEach((binding, i) => {
    for (const [prefix, object] of Object.entries(binding.objects)) {
      if (entityNames.has(object.type))
        fail(`bindings[${i}].objects.${prefix} must not name a bound entity, but got: ${show(object.type)}`);
    }
    for (const source of binding.features) {
      let owner = binding.entity;
      let fields = fieldsOf(entities, owner);
      source.path.forEach((name, depth) => {
        const leaf = depth === source.path.length - 1;
        const prefix = source.path.slice(0, depth + 1).join('.');
        const wanted: ExternalField = leaf ? { scalar: source.type } : { object: binding.objects[prefix]! };
        const seen = fields.get(name);
        if (seen && externalText(seen) !== externalText(wanted)) {
          fail(
            `bindings[${i}].features.${source.feature} reads ${owner}.${name} as ${externalText(wanted)}, ` +
              `but another part of the bindings reads it as ${externalText(seen)}`,
          );
        }
        fields.set(name, wanted);
        if (!leaf) {
          owner = binding.objects[prefix]!.type;
          fields = fieldsOf(objects, owner);
        }
      });
    }
  });
  return { entities, objects };
}

function externalText(field: ExternalField): string {
  return 'scalar' in field ? field.scalar : `${field.object.type}${field.object.nullable ? '' : '!'}`;
}

/** Checks that each binding's model is loaded and that its features map every model feature, no more. */
export function checkBindingsAgainstModels(
  source: string,
  bindings: readonly EntityBinding[],
  manifestOf: (model: string) => ModelManifest | undefined,
  modelNames: readonly string[],
): void {
  bindings.forEach((binding, i) => {
    const at = `bindings[${i}]`;
    const manifest = manifestOf(binding.model);
    if (!manifest) {
      throw new EntityBindingsError(
        source,
        `${at}.model must name a loaded model (${modelNames.join(', ')}), but got: ${show(binding.model)}`,
      );
    }
    const wanted = manifest.features.map((f) => f.name);
    const given = [...binding.features.map((s) => s.feature), ...Object.keys(binding.constants)];
    for (const feature of given) {
      if (!wanted.includes(feature)) {
        throw new EntityBindingsError(
          source,
          `${at}.features.${feature} must be a feature of model "${binding.model}" (${wanted.join(', ')}), but got: ${show(feature)}`,
        );
      }
    }
    for (const { feature, field, type } of binding.features) {
      const spec = manifest.features.find((f) => f.name === feature)!;
      const fits = fieldTypesOf(spec);
      if (!fits.includes(type.replace(/!$/, ''))) {
        throw new EntityBindingsError(
          source,
          `${at}.features.${feature} feeds a ${spec.type} feature of model "${binding.model}", so ${binding.entity}.${field} must be of ` +
            `type ${fits.map((t) => `${t}! or ${t}`).join(', ')}, but got: ${type}`,
        );
      }
    }
    const missing = manifest.features.filter((f) => f.default === undefined && !given.includes(f.name)).map((f) => f.name);
    if (missing.length > 0) {
      throw new EntityBindingsError(
        source,
        `${at}.features must map every feature of model "${binding.model}" without a default to a field of ${binding.entity} ` +
          `or a { "const": value }, but lacks: ${missing.join(', ')}`,
      );
    }
  });
}

/** Checks each `{ "const": value }` with the model's own codec, as a request's value would be checked. */
export function checkBindingConstants(source: string, bindings: readonly EntityBinding[], codecOf: (model: string) => RowCodec): void {
  bindings.forEach((binding, i) => {
    const names = Object.keys(binding.constants);
    if (names.length === 0) return;
    const codec = codecOf(binding.model);
    const encoded = codec.encode({ ...codec.sampleValues(0, 1), ...binding.constants });
    const problem = encoded.ok ? undefined : encoded.problems.find((p) => names.includes(p.feature));
    if (problem) {
      throw new EntityBindingsError(
        source,
        `bindings[${i}].features.${problem.feature}.const ${problem.reason} (model "${binding.model}"), but got: ${show(problem.value)}`,
      );
    }
  });
}

// Private: one binding's shape. Names must be GraphQL names; nothing is defaulted silently but types.
function parseBinding(at: string, entry: unknown, fail: (problem: string) => never): EntityBinding {
  if (!isObject(entry)) fail(`${at} must be an object { entity, key, model, field, features }, but got: ${show(entry)}`);
  const b = entry as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!BINDING_KEYS.includes(key) && !key.startsWith('$'))
      fail(`${at} has an unknown key ${show(key)}; the keys are: ${BINDING_KEYS.join(', ')}`);
  }
  const entity = graphQLName(`${at}.entity`, b.entity, 'a GraphQL type name', fail);
  if (RESERVED_TYPE_NAMES.has(entity) || entity.startsWith('_')) {
    fail(
      `${at}.entity must not be a type predictql defines or a reserved name (${[...RESERVED_TYPE_NAMES].join(', ')}, ` +
        `or starting with "_"), but got: ${show(entity)}`,
    );
  }
  const key = parseKey(`${at}.key`, b.key, fail);
  if (typeof b.model !== 'string' || b.model === '') fail(`${at}.model must be a model name, but got: ${show(b.model)}`);
  const field = graphQLName(`${at}.field`, b.field, `the name of the field to add to ${entity}`, fail);
  if (field.startsWith('__')) fail(`${at}.field must not start with "__" (reserved by GraphQL), but got: ${show(field)}`);
  if (b.description !== undefined && typeof b.description !== 'string')
    fail(`${at}.description must be a string, but got: ${show(b.description)}`);
  if (!isObject(b.features) || Object.keys(b.features).length === 0) {
    fail(`${at}.features must be an object mapping each model feature to a field of ${entity}, but got: ${show(b.features)}`);
  }
  const features: FeatureSource[] = [];
  const constants: Record<string, unknown> = {};
  for (const [feature, value] of Object.entries(b.features as Record<string, unknown>)) {
    const parsed = parseFeatureSource(`${at}.features.${feature}`, feature, value, entity, fail);
    if ('field' in parsed) features.push(parsed);
    else constants[feature] = parsed.const;
  }
  const objects = parseObjects(`${at}.objects`, b.objects, entity, fail);
  checkPaths(at, features, objects, fail);
  const names = new Map<string, string>(key.map((k) => [k.name, `${at}.key`]));
  names.set(field, `${at}.field`);
  for (const source of features) {
    // Paths are unique; a nested path's first field is shared with its sibling paths, not with the key or the added field.
    const top = names.get(source.path[0]!);
    const other = names.get(source.field) ?? (top && !top.includes('.features.') ? top : undefined);
    if (other)
      fail(
        `${at}.features.${source.feature} must name a field of ${entity} no other part of the binding ` +
          `uses, but ${other} already uses: ${show(source.path.length > 1 && !names.has(source.field) ? source.path[0] : source.field)}`,
      );
    names.set(source.field, `${at}.features.${source.feature}`);
  }
  return {
    entity,
    key,
    model: b.model as string,
    field,
    description: b.description as string | undefined,
    features,
    constants,
    objects,
  };
}

function parseKey(at: string, value: unknown, fail: (problem: string) => never): KeyField[] {
  const types = KEY_TYPES.join(', ');
  const contract = `a space-separated list of key fields ("id", "region id") of type ID!, or an object of field to type (${types})`;
  let fields: KeyField[] = [];
  if (typeof value === 'string') {
    fields = value
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((name) => ({ name, type: 'ID!' }));
  } else if (isObject(value)) {
    fields = Object.entries(value).map(([name, type]) => {
      if (!(KEY_TYPES as readonly unknown[]).includes(type))
        fail(`${at}.${name} must be one of ${KEY_TYPES.join(', ')}, but got: ${show(type)}`);
      return { name, type: type as KeyType };
    });
  }
  if (fields.length === 0 || fields.some((f) => !GRAPHQL_NAME.test(f.name))) fail(`${at} must be ${contract}, but got: ${show(value)}`);
  if (new Set(fields.map((f) => f.name)).size !== fields.length) fail(`${at} must name each key field once, but got: ${show(value)}`);
  return fields;
}

function parseFeatureSource(
  at: string,
  feature: string,
  value: unknown,
  entity: string,
  fail: (problem: string) => never,
): FeatureSource | { const: unknown } {
  const contract =
    `must name a field of ${entity} (a GraphQL name or a dotted path, or { "field": name or path, "type": ${FEATURE_FIELD_TYPES.map((t) => `"${t}"`).join(' | ')} ` +
    '}), or give one value for every entity ({ "const": value })';
  if (!GRAPHQL_NAME.test(feature)) fail(`${at} must be keyed by a model feature name, but got: ${show(feature)}`);
  if (typeof value === 'string' && isPath(value)) return { feature, field: value, path: value.split('.'), type: 'Float!' };
  if (isObject(value) && Object.keys(value).length === 1 && 'const' in value && value.const !== null) return { const: value.const };
  if (isObject(value) && Object.keys(value).every((k) => k === 'field' || k === 'type')) {
    const { field, type = 'Float!' } = value;
    if (typeof field === 'string' && isPath(field) && (FEATURE_FIELD_TYPES as readonly unknown[]).includes(type)) {
      return { feature, field, path: field.split('.'), type: type as FeatureFieldType };
    }
  }
  return fail(`${at} ${contract}, but got: ${show(value)}`);
}

function isPath(value: string): boolean {
  return value.split('.').every((name) => GRAPHQL_NAME.test(name));
}

function parseObjects(at: string, value: unknown, entity: string, fail: (problem: string) => never): Record<string, NestedObject> {
  if (value === undefined) return {};
  if (!isObject(value))
    fail(`${at} must map each object on a nested path to the owner's type ({ "usage": "AccountUsage!" }), but got: ${show(value)}`);
  const objects: Record<string, NestedObject> = {};
  for (const [prefix, type] of Object.entries(value as Record<string, unknown>)) {
    const match = typeof type === 'string' ? OBJECT_TYPE.exec(type) : null;
    if (!isPath(prefix) || !match)
      fail(
        `${at}.${prefix} must map a field path of ${entity} to an object type name ("AccountUsage!" or "AccountUsage"), but got: ${show(type)}`,
      );
    const name = match![1]!;
    if (RESERVED_TYPE_NAMES.has(name) || name.startsWith('_') || name === entity)
      fail(`${at}.${prefix} must not name ${entity}, a type predictql defines or a reserved name, but got: ${show(name)}`);
    objects[prefix] = { type: name, nullable: match![2] !== '!' };
  }
  return objects;
}

// Private: every object on a nested path has a declared type, every declared object is on a path,
// and no path reads an object as a scalar.
function checkPaths(
  at: string,
  features: readonly FeatureSource[],
  objects: Readonly<Record<string, NestedObject>>,
  fail: (problem: string) => never,
): void {
  const used = new Set<string>();
  for (const source of features) {
    if (objects[source.field])
      fail(`${at}.features.${source.feature} reads ${source.field}, which ${at}.objects declares an object, as a scalar`);
    for (let depth = 1; depth < source.path.length; depth++) {
      const prefix = source.path.slice(0, depth).join('.');
      if (!objects[prefix])
        fail(
          `${at}.features.${source.feature} reads ${source.field}, so ${at}.objects must give the owner's type of ${prefix} ` +
            `(e.g. "objects": { "${prefix}": "TypeName!" })`,
        );
      used.add(prefix);
    }
  }
  const unused = Object.keys(objects).filter((prefix) => !used.has(prefix));
  if (unused.length > 0) fail(`${at}.objects declares ${unused.join(', ')}, which no feature path reads`);
}

// Private: bindings of one entity share its key, its field types, and never add one field twice.
function checkAcrossBindings(bindings: readonly EntityBinding[], fail: (problem: string) => never): void {
  const firstOf = new Map<string, { at: string; binding: EntityBinding }>();
  const fieldUse = new Map<string, { at: string; kind: 'added' | FeatureFieldType }>();
  const added = new Map(bindings.map((b, i) => [`${b.entity}.${b.field}`, `bindings[${i}].field`]));
  bindings.forEach((binding, i) => {
    const at = `bindings[${i}]`;
    const first = firstOf.get(binding.entity);
    if (!first) firstOf.set(binding.entity, { at, binding });
    else if (keyText(first.binding.key) !== keyText(binding.key)) {
      fail(
        `${at}.key must equal ${first.at}.key (both bind ${binding.entity}): ${keyText(first.binding.key)}, ` +
          `but got: ${keyText(binding.key)}`,
      );
    }
    const uses: [string, string, 'added' | FeatureFieldType][] = [
      [`${at}.field`, binding.field, 'added'],
      ...binding.features.map((s): [string, string, FeatureFieldType] => [`${at}.features.${s.feature}`, s.field, s.type]),
    ];
    for (const source of binding.features) {
      const top = `${binding.entity}.${source.path[0]}`;
      const adder = source.path.length > 1 ? added.get(top) : undefined;
      if (adder) fail(`${at}.features.${source.feature} must not read into ${top}, which ${adder} adds`);
    }
    for (const [where, field, kind] of uses) {
      const coordinate = `${binding.entity}.${field}`;
      const seen = fieldUse.get(coordinate);
      if (seen && (kind === 'added' || seen.kind === 'added'))
        fail(`${where} must not add or read ${coordinate}, which ${seen.at} already ${seen.kind === 'added' ? 'adds' : 'reads'}`);
      if (seen && seen.kind !== kind) fail(`${where} must give ${coordinate} the type ${seen.kind} as ${seen.at} does, but got: ${kind}`);
      if (!seen) fieldUse.set(coordinate, { at: where, kind });
    }
  });
}

function keyText(key: readonly KeyField[]): string {
  return key.map((k) => `${k.name}: ${k.type}`).join(', ');
}

function graphQLName(at: string, value: unknown, what: string, fail: (problem: string) => never): string {
  if (typeof value !== 'string' || !GRAPHQL_NAME.test(value))
    fail(`${at} must be ${what} (/^[_A-Za-z][_0-9A-Za-z]*$/), but got: ${show(value)}`);
  return value as string;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
