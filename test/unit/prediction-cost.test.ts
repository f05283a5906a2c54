/**
 * countPredictions over the shipped schema (with its Endpoint entity binding): fields × list
 * sizes as written, with variables, defaults, @skip/@include, fragments and `_entities`.
 */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readManifests } from '../../scripts/print-schema.ts';
import { defaultEntityBindingsFile, defaultModelsDir } from '../../src/config.ts';
import { readExampleSets } from '../../src/examples/example-set.ts';
import { readEntityBindings } from '../../src/federation/entity-bindings.ts';
import { countPredictions } from '../../src/graphql/prediction-cost.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { buildTasks } from '../../src/graphql/tasks.ts';

const tasks = buildTasks(await readManifests(defaultModelsDir), await readExampleSets(defaultModelsDir));
const schema = buildSchema(tasks, await readEntityBindings(defaultEntityBindingsFile));
const count = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
  countPredictions({ schema, document: parse(query), variables, operationName });
const input =
  '{ payloadKb: 1, concurrency: 1, cpuUtilization: 0, memoryUtilization: 0, cacheHitRatio: 0, dbQueries: 0, downstreamCalls: 0, hourOfDay: 0 }';

describe('countPredictions', () => {
  it('counts each prediction field as written, aliases included; other fields cost nothing', () => {
    expect(count(`{ models { name inputs { name } } __typename }`)).toBe(0);
    expect(count(`{ predictLatency(input: ${input}) { p50Ms model { name } } }`)).toBe(1);
    expect(count(`{ a: predictLatency(input: ${input}) { p50Ms } b: predictLatency(input: ${input}) { p95Ms } }`)).toBe(2);
  });

  it('multiplies by list sizes: inputs, and the page sampleRequests would return', () => {
    const many = 'query($in: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $in) { p50Ms } }';
    expect(count(many, { in: new Array(123).fill({}) })).toBe(123);
    expect(count(many, { in: {} })).toBe(1); // a single value is coerced to a list of one
    expect(count('{ sampleRequests { predictedLatency { p50Ms } } }')).toBe(20); // the argument's default
    expect(count('{ sampleRequests(first: 500, offset: 10) { id a: predictedLatency { p50Ms } b: predictedLatency { p50Ms } } }')).toBe(
      1000,
    );
    expect(count('{ sampleRequests(first: 500, offset: 2900) { predictedLatency { p50Ms } } }')).toBe(100); // the catalog ends
    expect(count('{ sampleRequests(first: 1000000) { predictedLatency { p50Ms } } }')).toBe(3000);
    expect(count('query($n: Int = 40) { sampleRequests(first: $n) { predictedLatency { p50Ms } } }')).toBe(40);
    expect(count('query($n: Int = 40) { sampleRequests(first: $n) { predictedLatency { p50Ms } } }', { n: 7 })).toBe(7);
    expect(count('query($n: Int) { sampleRequests(first: $n) { predictedLatency { p50Ms } } }', { n: 'many' })).toBe(0);
  });

  it('skips @skip(if: true) and @include(if: false) fields', () => {
    expect(
      count(
        `query($s: Boolean!) { a: predictLatency(input: ${input}) @skip(if: $s) { p50Ms } b: predictLatency(input: ${input}) @include(if: false) { p50Ms } }`,
        { s: true },
      ),
    ).toBe(0);
    expect(count(`query($s: Boolean!) { a: predictLatency(input: ${input}) @skip(if: $s) { p50Ms } }`, { s: false })).toBe(1);
  });

  it('counts fragments per use, a 2^50 bomb without walking it, and only the chosen operation', () => {
    expect(count(`{ ...P ...P } fragment P on Query { predictLatency(input: ${input}) { p50Ms } }`)).toBe(2);
    const bomb = `{ ...F0 } ${Array.from({ length: 50 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F50 on Query { predictLatency(input: ${input}) { p50Ms } }`;
    // Walking 2^50 uses would never end within the test's timeout: only the memoised count can answer.
    expect(count(bomb)).toBe(2 ** 50);
    const two = `query A { predictLatency(input: ${input}) { p50Ms } } query B { sampleRequests(first: 9) { predictedLatency { p50Ms } } }`;
    expect(count(two, {}, 'B')).toBe(9);
    expect(count(two)).toBe(0); // ambiguous: execution refuses it
  });

  it('counts _entities by the __typename of each representation', () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Endpoint { predictedLatency { p50Ms } } } }';
    expect(
      count(query, { r: [{ __typename: 'Endpoint', id: '1' }, { __typename: 'Endpoint', id: '2' }, { __typename: 'Other' }, 5] }),
    ).toBe(2);
    expect(count(query, { r: Array.from({ length: 1000 }, (_, i) => ({ __typename: 'Endpoint', id: String(i) })) })).toBe(1000);
  });
});
