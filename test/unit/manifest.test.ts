import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/inference/manifest.ts';
import { fakeManifest } from './fake-model.ts';

const valid = () => JSON.parse(JSON.stringify(fakeManifest('m'))) as Record<string, unknown>;

describe('parseManifest', () => {
  it('accepts a complete manifest', () => {
    expect(parseManifest('m.json', valid()).features.map((f) => f.name)).toEqual(['f0', 'f1']);
  });

  it.each([
    ['name', (m: Record<string, unknown>) => (m.name = ''), 'm.json: "name" must be a non-empty string, but got: ""'],
    [
      'dtype',
      (m: Record<string, unknown>) => (m.input = { name: 'x', dtype: 'float64' }),
      'm.json: "input.dtype" must be "float32", but got: "float64"',
    ],
    [
      'range',
      (m: Record<string, unknown>) => ((m.features as Record<string, unknown>[])[0]!.min = 200),
      'm.json: features[0] must have finite numbers min <= max, but got: min=200, max=100',
    ],
    [
      'graphql name',
      (m: Record<string, unknown>) => ((m.features as Record<string, unknown>[])[1]!.name = 'cpu-load'),
      'm.json: "features[1].name" must be a GraphQL name (/^[_A-Za-z][_0-9A-Za-z]*$/), but got: "cpu-load"',
    ],
    [
      'duplicate',
      (m: Record<string, unknown>) => ((m.features as Record<string, unknown>[])[1]!.name = 'f0'),
      'm.json: "features" names "f0" twice',
    ],
  ])('refuses a bad %s, naming the file', (_label, spoil, message) => {
    const m = valid();
    spoil(m);
    expect(() => parseManifest('m.json', m)).toThrow(message);
  });
});
