/**
 * manifest.json is checked against schema/manifest.schema.json and the rules a schema cannot
 * state; each refusal names the file, the JSON path, the rule and the value (asserted verbatim).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultModelsDir } from '../../src/config.ts';
import { parseManifest } from '../../src/inference/index.ts';
import { fakeManifest } from './fake-model.ts';

const valid = () => JSON.parse(JSON.stringify(fakeManifest('m'))) as Record<string, unknown>;
const features = (m: Record<string, unknown>) => m.features as Record<string, unknown>[];

describe('parseManifest', () => {
  it('accepts every shipped manifest, and a minimal one (defaults filled in)', () => {
    for (const folder of readdirSync(defaultModelsDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      const file = join(defaultModelsDir, folder.name, 'manifest.json');
      expect(parseManifest(file, JSON.parse(readFileSync(file, 'utf8'))).name).toBe(folder.name);
    }
    const m = parseManifest('m.json', { name: 'm', version: '1', task: 'T', features: [{ name: 'x' }], outputs: [{ name: 'y' }] });
    expect(m.features[0]).toEqual({ name: 'x', type: 'float', description: '', unit: '' });
    expect(m.outputs[0]).toEqual({ name: 'y', kind: 'value', description: '', unit: '' });
    expect(m.default).toBe(false);
  });

  it.each([
    ['a missing task', (m: Record<string, unknown>) => delete m.task, "/ must have required property 'task'"],
    [
      'a task that is not a type name',
      (m: Record<string, unknown>) => (m.task = 'churn'),
      '/task must match pattern "^[A-Z][_0-9A-Za-z]*$", but got: "churn"',
    ],
    ['an unknown key', (m: Record<string, unknown>) => (m.inputz = 1), '/ must NOT have additional properties "inputz"'],
    [
      'a feature name that is not a GraphQL name',
      (m: Record<string, unknown>) => (features(m)[1]!.name = 'cpu-load'),
      '/features/1/name must match pattern "^[_A-Za-z][_0-9A-Za-z]*$", but got: "cpu-load"',
    ],
    [
      'an unknown type',
      (m: Record<string, unknown>) => (features(m)[0]!.type = 'double'),
      '/features/0/type must be equal to one of the allowed values ("float", "int", "bool", "category", "vector", "string", "tensor", "text"), but got: "double"',
    ],
    [
      'a category without values',
      (m: Record<string, unknown>) => (features(m)[0]!.type = 'category'),
      "/features/0 must have required property 'values'",
    ],
  ])('refuses %s (JSON Schema), naming the file and the path', (_label, spoil, problem) => {
    const m = valid();
    spoil(m);
    expect(() => parseManifest('m.json', m)).toThrow(`m.json: does not match schema/manifest.schema.json:\n  ${problem}`);
  });

  it.each([
    [
      'a range the wrong way round',
      (m: Record<string, unknown>) => (features(m)[0]!.min = 200),
      '/features/0 must have min below max, but got: min=200, max=100',
    ],
    ['a feature named twice', (m: Record<string, unknown>) => (features(m)[1]!.name = 'f0'), '/features names "f0" twice'],
    [
      'a default out of range',
      (m: Record<string, unknown>) => (features(m)[0]!.default = 101),
      "/features/0/default must be a number within the feature's range, but got: 101",
    ],
    [
      'codes for a value the category lacks',
      (m: Record<string, unknown>) =>
        Object.assign(features(m)[0]!, {
          type: 'category',
          values: ['A'],
          encoding: 'index',
          codes: { B: 1 },
          min: undefined,
          max: undefined,
        }),
      '/features/0/codes names "B", which is not one of values [A]',
    ],
    [
      'an output field named model',
      (m: Record<string, unknown>) => ((m.outputs as Record<string, unknown>[])[0]!.name = 'model'),
      '/outputs must not name a prediction field "model": predictql adds it (the model that answered)',
    ],
    [
      'an output field named twice',
      (m: Record<string, unknown>) => (m.outputs as Record<string, unknown>[]).push({ ...(m.outputs as Record<string, unknown>[])[0]! }),
      '/outputs give the prediction field "sum" twice',
    ],
  ])('refuses %s (rules), naming the file and the path', (_label, spoil, problem) => {
    const m = JSON.parse(JSON.stringify(valid())) as Record<string, unknown>;
    spoil(m);
    expect(() => parseManifest('m.json', JSON.parse(JSON.stringify(m)))).toThrow(`m.json: ${problem}`);
  });
});
