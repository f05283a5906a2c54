/**
 * Entity bindings: which entities of a supergraph get a prediction field, from which model, and
 * which entity field feeds each model feature. Read from a JSON file (schema/entity-bindings.json
 * unless PREDICTQL_ENTITY_BINDINGS names another) and checked at start: a bad file stops the
 * server with a message that states the contract and echoes the bad value.
 *
 * {
 *   "bindings": [{
 *     "entity": "Endpoint",               // an entity another subgraph owns
 *     "key": "id",                        // its @key fields (ID!), or { "sku": "String!" }
 *     "model": "request-latency",
 *     "field": "predictedLatency",        // the field predictql adds to the entity
 *     "features": {                       // model feature -> entity field (@external, @requires)
 *       "payloadKb": "avgPayloadKb",                              // Float!
 *       "concurrency": { "field": "inFlightRequests", "type": "Int!" }, ...
 *     }
 *   }]
 * }
 */
import { readFile } from 'node:fs/promises';
import type { ModelManifest } from '../inference/index.ts';

export const ENTITY_BINDINGS_VARIABLE = 'PREDICTQL_ENTITY_BINDINGS';

/** The types a key field may have; the owner's key field must have the same type. */
export const KEY_TYPES = ['ID!', 'String!', 'Int!'] as const;
/** The types an entity field feeding a feature may have; nullability must match the owner's. */
export const FEATURE_FIELD_TYPES = ['Float!', 'Float', 'Int!', 'Int'] as const;

export type KeyType = (typeof KEY_TYPES)[number];
export type FeatureFieldType = (typeof FEATURE_FIELD_TYPES)[number];

export interface KeyField {
  name: string;
  type: KeyType;
}

export interface FeatureSource {
  /** The model feature (manifest name). */
  feature: string;
  /** The entity field that holds it, marked @external. */
  field: string;
  type: FeatureFieldType;
}

export interface EntityBinding {
  entity: string;
  key: readonly KeyField[];
  model: string;
  field: string;
  description: string | undefined;
  /** In the file's order; `checkBindingsAgainstModels` ensures every model feature has one. */
  features: readonly FeatureSource[];
}

/**
 * Type names predictql defines itself (or GraphQL and federation reserve): an entity may not
 * take one. A test keeps this list in step with the schema.
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
  'LatencyFeatures',
  'LatencyFeaturesInput',
  'LatencyPrediction',
  'SampleRequest',
]);

export class EntityBindingsError extends Error {
  constructor(source: string, problem: string) {
    super(`${source}: ${problem}`);
    this.name = 'EntityBindingsError';
  }
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const BINDING_KEYS = ['entity', 'key', 'model', 'field', 'features', 'description'];

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
  return bindings;
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
    for (const { feature } of binding.features) {
      if (!wanted.includes(feature)) {
        throw new EntityBindingsError(
          source,
          `${at}.features.${feature} must be a feature of model "${binding.model}" (${wanted.join(', ')}), but got: ${show(feature)}`,
        );
      }
    }
    const missing = wanted.filter((name) => !binding.features.some((s) => s.feature === name));
    if (missing.length > 0) {
      throw new EntityBindingsError(
        source,
        `${at}.features must map every feature of model "${binding.model}" to a field of ${binding.entity}, ` +
          `but lacks: ${missing.join(', ')}`,
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
  const features = Object.entries(b.features as Record<string, unknown>).map(([feature, value]) =>
    parseFeatureSource(`${at}.features.${feature}`, feature, value, entity, fail),
  );
  const names = new Map<string, string>(key.map((k) => [k.name, `${at}.key`]));
  names.set(field, `${at}.field`);
  for (const source of features) {
    const other = names.get(source.field);
    if (other)
      fail(
        `${at}.features.${source.feature} must name a field of ${entity} no other part of the binding ` +
          `uses, but ${other} already uses: ${show(source.field)}`,
      );
    names.set(source.field, `${at}.features.${source.feature}`);
  }
  return { entity, key, model: b.model as string, field, description: b.description as string | undefined, features };
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

function parseFeatureSource(at: string, feature: string, value: unknown, entity: string, fail: (problem: string) => never): FeatureSource {
  const contract =
    `must name a field of ${entity} (a GraphQL name, or { "field": name, "type": ${FEATURE_FIELD_TYPES.map((t) => `"${t}"`).join(' | ')} ` +
    `})`;
  if (!GRAPHQL_NAME.test(feature)) fail(`${at} must be keyed by a model feature name, but got: ${show(feature)}`);
  if (typeof value === 'string' && GRAPHQL_NAME.test(value)) return { feature, field: value, type: 'Float!' };
  if (isObject(value) && Object.keys(value).every((k) => k === 'field' || k === 'type')) {
    const { field, type = 'Float!' } = value;
    if (typeof field === 'string' && GRAPHQL_NAME.test(field) && (FEATURE_FIELD_TYPES as readonly unknown[]).includes(type)) {
      return { feature, field, type: type as FeatureFieldType };
    }
  }
  return fail(`${at} ${contract}, but got: ${show(value)}`);
}

// Private: bindings of one entity share its key, its field types, and never add one field twice.
function checkAcrossBindings(bindings: readonly EntityBinding[], fail: (problem: string) => never): void {
  const firstOf = new Map<string, { at: string; binding: EntityBinding }>();
  const fieldUse = new Map<string, { at: string; kind: 'added' | FeatureFieldType }>();
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
