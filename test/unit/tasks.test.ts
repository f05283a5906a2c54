/**
 * Tasks from manifests, the rules a schema cannot state: models of one task agree on every
 * GraphQL name they override (all of them, not only against the default model), enum types are
 * shared only by fields with the same values, and examples name only features the models take.
 */
import { describe, expect, it } from 'vitest';
import { checkExamples, Example, type ExampleSet } from '../../src/examples/example-set.ts';
import { buildTasks } from '../../src/graphql/tasks.ts';
import { type ModelManifest, parseManifest } from '../../src/inference/index.ts';
import { FakeModel } from './fake-model.ts';

function manifest(name: string, extra: Record<string, unknown> = {}): ModelManifest {
  return parseManifest(`${name}/manifest.json`, {
    name,
    version: '1',
    task: 'Shop',
    features: [
      { name: 'tier', type: 'category', values: ['LOW', 'HIGH'], encoding: 'index' },
      { name: 'x', min: 0, max: 1 },
    ],
    outputs: [{ name: 'y' }],
    ...extra,
  });
}

describe('models of one task', () => {
  it('must all agree on a graphql name they override, whichever is the default', () => {
    const models = [
      manifest('a', { default: true }),
      manifest('b', { graphql: { predict: 'shop' } }),
      manifest('c', { graphql: { predict: 'buy' } }),
    ];
    expect(() => buildTasks(models)).toThrow('Models "b" and "c" of task Shop name graphql.predict differently: "shop" and "buy"');
    expect(buildTasks(models.slice(0, 2))[0]!.names.predict).toBe('shop');
  });

  it('share an enum type name only between fields with the same values', () => {
    const clash = manifest('a', {
      features: [
        { name: 'tier', type: 'category', values: ['LOW', 'HIGH'], encoding: 'index', enum: 'Level' },
        { name: 'risk', type: 'category', values: ['LOW', 'MID', 'HIGH'], encoding: 'index', enum: 'Level' },
      ],
    });
    expect(() => buildTasks([clash])).toThrow(
      'Task Shop: tier and risk both use enum Level but with different values (LOW, HIGH vs LOW, MID, HIGH): give one of them another "enum" name',
    );
    const shared = manifest('a', {
      features: [
        { name: 'tier', type: 'category', values: ['LOW', 'HIGH'], encoding: 'index', enum: 'Level' },
        { name: 'risk', type: 'category', values: ['LOW', 'HIGH'], encoding: 'index', enum: 'Level' },
      ],
    });
    expect(buildTasks([shared])[0]!.names.enums).toEqual(
      new Map([
        ['tier', 'Level'],
        ['risk', 'Level'],
      ]),
    );
  });
});

describe('examples', () => {
  it('are refused when they name a feature the model does not take (a typo would be dropped silently)', () => {
    const set: ExampleSet = {
      file: 'fake.examples.json',
      task: 'Fake',
      description: '',
      names: {},
      examples: [new Example('ok', { f0: 1, f1: 2 }), new Example('typo', { f0: 1, f1: 2, f2: 3 })],
    };
    expect(() => checkExamples(set, [new FakeModel('m')])).toThrow(
      'fake.examples.json: examples[1] (typo) has features f2, which model "m" does not take (it takes f0, f1)',
    );
  });
});
