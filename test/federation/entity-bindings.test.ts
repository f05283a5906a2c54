/**
 * The entity bindings file: the shipped one is valid, and every way to get one wrong is refused
 * with a message that states the contract and echoes the bad value (asserted verbatim).
 */

import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifests, schemaFile } from '../../scripts/print-schema.ts';
import { loadServices } from '../../src/app.ts';
import { defaultEntityBindingsFile, defaultModelsDir, readConfig } from '../../src/config.ts';
import { readExampleSets } from '../../src/examples/example-set.ts';
import {
  checkBindingsAgainstModels,
  type EntityBinding,
  parseEntityBindings,
  RESERVED_TYPE_NAMES,
  readEntityBindings,
} from '../../src/federation/entity-bindings.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { buildTasks, taskTypeNames } from '../../src/graphql/tasks.ts';
import { type ModelManifest, readManifest } from '../../src/inference/manifest.ts';
import { exitWithin, freePort, startServerProcess } from '../support/processes.ts';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

const features = [
  'payloadKb',
  'concurrency',
  'cpuUtilization',
  'memoryUtilization',
  'cacheHitRatio',
  'dbQueries',
  'downstreamCalls',
  'hourOfDay',
];
const identity = Object.fromEntries(features.map((f) => [f, f]));

function binding(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { entity: 'Endpoint', key: 'id', model: 'request-latency', field: 'predictedLatency', features: identity, ...overrides };
}

/** The message parsing `bindings` is refused with, without the "<source>: " prefix. */
function refusal(document: unknown): string {
  try {
    parseEntityBindings('bindings.json', document);
  } catch (error) {
    return (error as Error).message.replace(/^bindings\.json: /, '');
  }
  throw new Error(`accepted: ${JSON.stringify(document)}`);
}

const refused = (...bindings: unknown[]) => refusal({ bindings });

describe('the shipped bindings', () => {
  it('bind request-latency to Endpoint @key(fields: "id") as predictedLatency, mapping every feature', async () => {
    const bindings = await readEntityBindings(defaultEntityBindingsFile);
    expect(bindings).toHaveLength(1);
    const [endpoint] = bindings as [EntityBinding];
    expect(endpoint).toMatchObject({
      entity: 'Endpoint',
      key: [{ name: 'id', type: 'ID!' }],
      model: 'request-latency',
      field: 'predictedLatency',
    });
    expect(endpoint.features.map((s) => s.feature).sort()).toEqual([...features].sort());
    expect(endpoint.features.find((s) => s.feature === 'concurrency')).toEqual({
      feature: 'concurrency',
      field: 'inFlightRequests',
      path: ['inFlightRequests'],
      type: 'Int!',
    });
    const manifest = await readManifest(join(defaultModelsDir, 'request-latency', 'manifest.json'));
    expect(() => checkBindingsAgainstModels('x', bindings, () => manifest, ['request-latency'])).not.toThrow();
  });

  it('come from PREDICTQL_ENTITY_BINDINGS when set', () => {
    expect(readConfig({}).entityBindings).toEqual({ file: defaultEntityBindingsFile, explicit: false });
    // The shipped file binds the shipped models: another models folder binds nothing unless asked.
    expect(readConfig({ PREDICTQL_MODELS_DIR: '/srv/models' }).entityBindings).toBeUndefined();
    expect(readConfig({ PREDICTQL_MODELS_DIR: '/srv/models', PREDICTQL_ENTITY_BINDINGS: '/etc/b.json' }).entityBindings).toEqual({
      file: '/etc/b.json',
      explicit: true,
    });
    expect(readConfig({ PREDICTQL_ENTITY_BINDINGS: '/etc/b.json' }).entityBindings).toEqual({ file: '/etc/b.json', explicit: true });
    expect(readConfig({}, ['--entity-bindings', '/etc/c.json']).entityBindings).toEqual({ file: '/etc/c.json', explicit: true });
  });

  it('an absent default file binds nothing; an absent named file is an error', async () => {
    expect(await readEntityBindings('/nonexistent/bindings.json', { explicit: false })).toEqual([]);
    await expect(readEntityBindings('/nonexistent/bindings.json')).rejects.toThrow(
      /^\/nonexistent\/bindings\.json: cannot be read as the entity bindings file \(.*ENOENT.*\); set PREDICTQL_ENTITY_BINDINGS to a readable file$/,
    );
  });

  it("reserved type names and the tasks' own cover every type predictql defines", async () => {
    const defined = [...readFileSync(schemaFile, 'utf8').matchAll(/^(?:type|input|enum) (\w+)/gm)].map((m) => m[1]!);
    const tasks = buildTasks(await readManifests(defaultModelsDir), await readExampleSets(defaultModelsDir));
    const ofTasks = new Set(tasks.flatMap(taskTypeNames));
    const own = defined.filter((name) => name !== 'Endpoint' && !ofTasks.has(name));
    expect(own.filter((name) => !RESERVED_TYPE_NAMES.has(name))).toEqual([]);
  });

  it('an entity named like a type of a task is refused when the schema is built, naming the task', async () => {
    const tasks = buildTasks(await readManifests(defaultModelsDir), await readExampleSets(defaultModelsDir));
    const bindings = parseEntityBindings('b.json', { bindings: [binding({ entity: 'LatencyPrediction' })] });
    expect(() => buildSchema(tasks, bindings)).toThrow(
      'An entity binding names entity LatencyPrediction, which is a type of task Latency: bind another entity',
    );
  });
});

describe('a bindings file is refused', () => {
  it('when it is not { "bindings": [...] } or has unknown keys', () => {
    expect(refusal([])).toBe('must be a JSON object { "bindings": [...] }, but got: []');
    expect(refusal({ binding: [] })).toBe('must be a JSON object { "bindings": [...] }, but got: {"binding":[]}');
    expect(refusal({ bindings: [], extra: 1 })).toBe(
      'has an unknown key "extra"; the only key is "bindings" (keys starting with "$" are comments)',
    );
    expect(refused(binding({ feature: {} }))).toBe(
      'bindings[0] has an unknown key "feature"; the keys are: entity, key, model, field, features, objects, description',
    );
    expect(refused(7)).toBe('bindings[0] must be an object { entity, key, model, field, features }, but got: 7');
  });

  it('when names are not GraphQL names or are reserved', () => {
    expect(refused(binding({ entity: 'End point' }))).toBe(
      'bindings[0].entity must be a GraphQL type name (/^[_A-Za-z][_0-9A-Za-z]*$/), but got: "End point"',
    );
    expect(refused(binding({ entity: 'Model' }))).toMatch(
      /^bindings\[0\]\.entity must not be a type predictql defines or a reserved name \(Query, .*\), but got: "Model"$/,
    );
    expect(refused(binding({ entity: '_Entity' }))).toMatch(/but got: "_Entity"$/);
    expect(refused(binding({ field: 'predicted-latency' }))).toBe(
      'bindings[0].field must be the name of the field to add to Endpoint (/^[_A-Za-z][_0-9A-Za-z]*$/), but got: "predicted-latency"',
    );
    expect(refused(binding({ field: '__typename' }))).toBe(
      'bindings[0].field must not start with "__" (reserved by GraphQL), but got: "__typename"',
    );
    expect(refused(binding({ model: '' }))).toBe('bindings[0].model must be a model name, but got: ""');
    expect(refused(binding({ description: 3 }))).toBe('bindings[0].description must be a string, but got: 3');
  });

  it('when the key is not a list of fields or has a type other than ID!, String!, Int!', () => {
    const contract =
      'a space-separated list of key fields ("id", "region id") of type ID!, or an object of field to type (ID!, String!, Int!)';
    expect(refused(binding({ key: '' }))).toBe(`bindings[0].key must be ${contract}, but got: ""`);
    expect(refused(binding({ key: 'id { x }' }))).toBe(`bindings[0].key must be ${contract}, but got: "id { x }"`);
    expect(refused(binding({ key: 'id id' }))).toBe('bindings[0].key must name each key field once, but got: "id id"');
    expect(refused(binding({ key: { sku: 'Float!' } }))).toBe('bindings[0].key.sku must be one of ID!, String!, Int!, but got: "Float!"');
  });

  it('when a feature does not name a field of the entity, or a field is used twice', () => {
    const contract =
      'must name a field of Endpoint (a GraphQL name or a dotted path, or { "field": name or path, "type": "Float!" | "Float" | "Int!" | "Int" | "Boolean!" | ' +
      '"Boolean" | "String!" | "String" | "[Float!]!" | "[Float!]" | "[[Float!]!]!" | "[[Float!]!]" | "[[[Float!]!]!]!" | "[[[Float!]!]!]" | "[[[[Float!]!]!]!]!" | "[[[[Float!]!]!]!]" }), or give one value for every entity ({ "const": value })';
    expect(refused(binding({ features: {} }))).toBe(
      'bindings[0].features must be an object mapping each model feature to a field of Endpoint, but got: {}',
    );
    expect(refused(binding({ features: { ...identity, payloadKb: 'avg payload' } }))).toBe(
      `bindings[0].features.payloadKb ${contract}, but got: "avg payload"`,
    );
    expect(refused(binding({ features: { ...identity, payloadKb: { field: 'avgPayloadKb', type: 'Text' } } }))).toBe(
      `bindings[0].features.payloadKb ${contract}, but got: {"field":"avgPayloadKb","type":"Text"}`,
    );
    expect(refused(binding({ features: { ...identity, payloadKb: { const: null } } }))).toBe(
      `bindings[0].features.payloadKb ${contract}, but got: {"const":null}`,
    );
    expect(refused(binding({ features: { ...identity, hourOfDay: 'payloadKb' } }))).toBe(
      'bindings[0].features.hourOfDay must name a field of Endpoint no other part of the binding uses, but bindings[0].features.payloadKb already uses: "payloadKb"',
    );
    expect(refused(binding({ features: { ...identity, payloadKb: 'id' } }))).toBe(
      'bindings[0].features.payloadKb must name a field of Endpoint no other part of the binding uses, but bindings[0].key already uses: "id"',
    );
  });

  it('when two bindings of one entity disagree on the key, add one field twice, or type a field differently', () => {
    expect(refused(binding(), binding({ key: 'sku', field: 'other' }))).toBe(
      'bindings[1].key must equal bindings[0].key (both bind Endpoint): id: ID!, but got: sku: ID!',
    );
    expect(refused(binding(), binding())).toBe(
      'bindings[1].field must not add or read Endpoint.predictedLatency, which bindings[0].field already adds',
    );
    expect(refused(binding(), binding({ field: 'gbdt', features: { ...identity, payloadKb: { field: 'payloadKb', type: 'Int!' } } }))).toBe(
      'bindings[1].features.payloadKb must give Endpoint.payloadKb the type Float! as bindings[0].features.payloadKb does, but got: Int!',
    );
    expect(parseEntityBindings('x', { bindings: [binding(), binding({ field: 'gbdt', model: 'request-latency-gbdt' })] })).toHaveLength(2);
  });
});

describe('nested paths', () => {
  const nested = (features: Record<string, unknown>, objects?: unknown) =>
    binding({ features: { ...identity, ...features }, ...(objects === undefined ? {} : { objects }) });

  it('read into the objects the binding declares, and are refused without them or with objects nothing reads', () => {
    const [b] = parseEntityBindings('x', { bindings: [nested({ cpuUtilization: 'stats.cpu' }, { stats: 'EndpointStats!' })] });
    expect(b!.features.find((s) => s.feature === 'cpuUtilization')).toEqual({
      feature: 'cpuUtilization',
      field: 'stats.cpu',
      path: ['stats', 'cpu'],
      type: 'Float!',
    });
    expect(b!.objects).toEqual({ stats: { type: 'EndpointStats', nullable: false } });
    expect(refused(nested({ cpuUtilization: 'stats.cpu' }))).toBe(
      "bindings[0].features.cpuUtilization reads stats.cpu, so bindings[0].objects must give the owner's type of stats " +
        '(e.g. "objects": { "stats": "TypeName!" })',
    );
    expect(refused(nested({}, { stats: 'EndpointStats' }))).toBe('bindings[0].objects declares stats, which no feature path reads');
    expect(refused(nested({ cpuUtilization: 'stats.cpu' }, { stats: 'Endpoint' }))).toBe(
      'bindings[0].objects.stats must not name Endpoint, a type predictql defines or a reserved name, but got: "Endpoint"',
    );
    expect(refused(nested({ cpuUtilization: 'stats.cpu' }, { stats: '[EndpointStats]' }))).toBe(
      'bindings[0].objects.stats must map a field path of Endpoint to an object type name ("AccountUsage!" or "AccountUsage"), but got: "[EndpointStats]"',
    );
    expect(refused(nested({ cpuUtilization: 'stats.cpu', memoryUtilization: 'stats' }, { stats: 'EndpointStats' }))).toBe(
      'bindings[0].features.memoryUtilization reads stats, which bindings[0].objects declares an object, as a scalar',
    );
  });

  it('agree on the types of what they read across bindings, and never read into an added field', () => {
    const stats = { stats: 'EndpointStats!' };
    expect(
      refused(
        nested({ cpuUtilization: 'stats.cpu' }, stats),
        binding({ field: 'other', features: { ...identity, cpuUtilization: { field: 'stats.cpu', type: 'Int!' } }, objects: stats }),
      ),
    ).toBe(
      'bindings[1].features.cpuUtilization must give Endpoint.stats.cpu the type Float! as bindings[0].features.cpuUtilization does, but got: Int!',
    );
    expect(
      refused(
        nested({ cpuUtilization: 'stats.cpu' }, stats),
        binding({ field: 'other', features: { ...identity, cpuUtilization: 'stats.cpu' }, objects: { stats: 'OtherStats!' } }),
      ),
    ).toBe(
      'bindings[1].features.cpuUtilization reads Endpoint.stats as OtherStats!, but another part of the bindings reads it as EndpointStats!',
    );
    expect(refused(nested({ cpuUtilization: 'predictedLatency.cpu' }, { predictedLatency: 'EndpointStats!' }))).toBe(
      'bindings[0].features.cpuUtilization must name a field of Endpoint no other part of the binding uses, but bindings[0].field already uses: "predictedLatency"',
    );
  });
});

describe('bindings against the loaded models', () => {
  const manifest = { name: 'request-latency', features: features.map((name) => ({ name, type: 'float' })) } as unknown as ModelManifest;
  const check = (b: Record<string, unknown>) => () =>
    checkBindingsAgainstModels(
      'bindings.json',
      parseEntityBindings('bindings.json', { bindings: [b] }),
      (n) => (n === manifest.name ? manifest : undefined),
      ['request-latency'],
    );

  it('refuses an unknown model, a feature the model lacks, and a model feature left unmapped', () => {
    expect(check(binding({ model: 'nope' }))).toThrow(
      'bindings.json: bindings[0].model must name a loaded model (request-latency), but got: "nope"',
    );
    expect(check(binding({ features: { ...identity, colour: 'colour' } }))).toThrow(
      `bindings.json: bindings[0].features.colour must be a feature of model "request-latency" (${features.join(', ')}), but got: "colour"`,
    );
    const { dbQueries: _d, hourOfDay: _h, ...partial } = identity;
    expect(check(binding({ features: partial }))).toThrow(
      'bindings.json: bindings[0].features must map every feature of model "request-latency" without a default to a field of ' +
        'Endpoint or a { "const": value }, but lacks: dbQueries, hourOfDay',
    );
  });

  it('loadServices refuses a bad bindings file, naming it, before starting any worker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'predictql-bindings-'));
    made.push(dir);
    const file = join(dir, 'bindings.json');
    await writeFile(file, JSON.stringify({ bindings: [binding({ model: 'request-latency-xl' })] }));
    await expect(loadServices({ ...readConfig({}), entityBindingsFile: file }, () => {})).rejects.toThrow(
      `${file}: bindings[0].model must name a loaded model (`,
    );
    await writeFile(file, '{ "bindings": [');
    await expect(loadServices({ ...readConfig({}), entityBindingsFile: file }, () => {})).rejects.toThrow(`${file}: is not valid JSON (`);
  });

  it('the server process exits 1 naming a bad PREDICTQL_ENTITY_BINDINGS file, never listening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'predictql-bindings-'));
    made.push(dir);
    const file = join(dir, 'bindings.json');
    await writeFile(file, JSON.stringify({ bindings: [binding({ features: { payloadKb: 'avgPayloadKb' } })] }));
    const server = startServerProcess({ PREDICTQL_ENTITY_BINDINGS: file, PORT: String(await freePort()), HOST: '127.0.0.1' });
    const exited = await exitWithin(server, 20_000);
    expect(exited.code).toBe(1);
    expect(exited.stderr).toContain(
      `predictql: cannot start: ${file}: bindings[0].features must map every feature of model "request-latency" without a default ` +
        'to a field of Endpoint or a { "const": value }, but lacks: concurrency,',
    );
    expect(exited.stdout).not.toContain('GraphiQL at');
  });
});
