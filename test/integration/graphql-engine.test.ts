/**
 * The compiled engine (graphql-jit, the default) answers exactly as graphql-js does: the same
 * bytes (compiled serializer included) for every shape the API has (aliases, lists with bad items first, inside and last,
 * example pages with fragments and directives, variable errors, unknown models, federation,
 * introspection), with the same batching. An operation graphql-jit cannot compile runs on
 * graphql-js, counted and logged once.
 */
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOptions, createApp, type PredictQLApp, type Services } from '../../src/app.ts';
import { useCompiledExecution } from '../../src/plugins/use-compiled-execution.ts';
import { loadRealApp } from '../support/app.ts';
import { TRACE } from '../support/graphql.ts';
import { examplesOf, GBDT, MLP, sampleInputs } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';

let services: Services;
let probes: Probes;
let jit: PredictQLApp;
let js: PredictQLApp;

beforeAll(async () => {
  ({ services, probes } = await loadRealApp());
  jit = createApp(appOptions(services, { engine: 'jit', metrics: false }));
  js = createApp(appOptions(services, { engine: 'graphql-js', metrics: false }));
});
afterAll(() => services.inference.close());

async function raw(app: PredictQLApp, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: string }> {
  const response = await app.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(variables?.traced ? TRACE : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.text() };
}

const withBad = (positions: number[]) => {
  const inputs = sampleInputs(12, 500);
  for (const i of positions) inputs[i] = { ...inputs[i]!, cpuUtilization: 1.5 };
  return inputs;
};
const churn = examplesOf('churn.examples.json').map((e) => e.features);
const customer = { __typename: 'Endpoint', id: 'ep-1', avgPayloadKb: 12, inFlightRequests: 4, cpuUtilization: 0.3 };

const cases: [string, string, Record<string, unknown>?][] = [
  [
    'aliases over two models',
    `{ a: predictLatency(input: $a) { p50Ms } b: predictLatency(input: $a, model: "${GBDT}") { p95Ms model { name } } }`.replace(
      /\$a/g,
      literal(sampleInputs(1)[0]!),
    ),
  ],
  ...[[0], [5], [11], [0, 6, 11]].map((bad): [string, string, Record<string, unknown>] => [
    `a list with bad items at ${bad.join(', ')}`,
    'query ($i: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $i) { p50Ms p95Ms } }',
    { i: withBad(bad) },
  ]),
  [
    'an examples page with a fragment, @skip and @include, two models',
    `query ($s: Boolean!) { sampleRequests(first: 7, offset: 3) { id ...P gbdt: predictedLatency(model: "${GBDT}") @include(if: $s) { p50Ms } skipped: predictedLatency @skip(if: $s) { p95Ms } } }
     fragment P on SampleRequest { predictedLatency { p50Ms } features { payloadKb hourOfDay } }`,
    { s: true },
  ],
  [
    'a classifier list with top',
    'query ($i: [ChurnInput!]!) { predictChurns(inputs: $i) { outcome probabilities(top: 2) { label probability } } }',
    { i: churn.slice(0, 9) },
  ],
  ['a bad page next to good fields', '{ sampleRequests(first: 6000) { id } churnExamples(first: 2) { id } models { name task } }'],
  [
    'an unknown model and one of another task',
    `{ x: predictLatency(input: ${literal(sampleInputs(1)[0]!)}, model: "nope") { p50Ms } y: predictChurn(input: ${literal(churn[0]!)}, model: "${MLP}") { outcome } }`,
  ],
  [
    'a variable of the wrong type',
    'query ($i: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $i) { p50Ms } }',
    { i: [{ payloadKb: 'big' }] },
  ],
  [
    'federated entities, one lacking a feature',
    'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Endpoint { id predictedLatency { p50Ms } } } }',
    { r: [customer] },
  ],
  ['the subgraph SDL', '{ _service { sdl } }'],
  [
    'an operation over the prediction limit, refused before it runs',
    '{ a: sampleRequests(first: 3000) { predictedLatency { p50Ms } } b: sampleRequests(first: 3000) { predictedLatency { p50Ms } } c: sampleRequests(first: 3000) { predictedLatency { p50Ms } } d: sampleRequests(first: 3000) { predictedLatency { p50Ms } } }',
  ],
  [
    'introspection',
    '{ __schema { queryType { name } types { name kind } } __type(name: "ChurnPrediction") { fields { name type { name kind ofType { name } } } } }',
  ],
];

describe('graphql-jit and graphql-js', () => {
  it('answer a traced request with the same data, and the report appended to the compiled serializer', async () => {
    const query = 'query ($traced: Boolean!) { sampleRequests(first: 30) @include(if: $traced) { id predictedLatency { p50Ms } } }';
    for (let i = 0; i < 2; i++) {
      const a = JSON.parse((await raw(jit, query, { traced: true })).body);
      const b = JSON.parse((await raw(js, query, { traced: true })).body);
      expect(a.data).toEqual(b.data);
      expect(a.extensions.inference.batches).toHaveLength(1);
      expect(a.extensions.inference.batches[0]).toMatchObject({ model: MLP, items: 30 });
    }
  });

  it.each(cases)('answer %s with the same bytes and the same runs', async (_label, query, variables) => {
    // Twice: from its second execution an operation also has a compiled serializer.
    for (let i = 0; i < 2; i++) {
      const a = await probes.counted(() => raw(jit, query, variables));
      const b = await probes.counted(() => raw(js, query, variables));
      expect(a.result.status).toBe(b.result.status);
      expect(a.result.body).toBe(b.result.body);
      expect(a.runs).toEqual(b.runs);
    }
  });
});

describe('an operation graphql-jit cannot compile', () => {
  it('runs on graphql-js, counted, with its reason logged once per document', async () => {
    const reasons: string[] = [];
    const compiled = useCompiledExecution({
      onFallback: (reason) => reasons.push(reason),
      compile: () => {
        throw new Error('unsupported construct');
      },
    });
    const schema = createSchema({
      typeDefs: 'type Query { hello(name: String!): String! }',
      resolvers: { Query: { hello: (_: unknown, a: { name: string }) => `hi ${a.name}` } },
    });
    const app = createYoga({ schema, plugins: [compiled.plugin], logging: false });
    for (let i = 0; i < 3; i++) {
      const response = await app.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ hello(name: "n${i % 2}") }` }),
      });
      expect(await response.json()).toEqual({ data: { hello: `hi n${i % 2}` } });
    }
    expect(compiled.fallbacks).toBe(3);
    // Two documents, each tried once.
    expect(reasons).toEqual(['graphql-jit threw: unsupported construct', 'graphql-jit threw: unsupported construct']);
  });
});

function literal(input: Readonly<Record<string, unknown>>): string {
  const value = (v: unknown): string =>
    typeof v === 'string' && /^[A-Z]+$/.test(v) ? v : Array.isArray(v) ? `[${v.map(value).join(', ')}]` : JSON.stringify(v);
  return `{ ${Object.entries(input)
    .map(([k, v]) => `${k}: ${value(v)}`)
    .join(', ')} }`;
}
