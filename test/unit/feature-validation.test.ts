import { describe, expect, it } from 'vitest';
import { toFeatureRow } from '../../src/inference/feature-rows.ts';
import { fakeManifest } from './fake-model.ts';

const { features } = fakeManifest('m', 3);

describe('toFeatureRow', () => {
  it('packs values in manifest order', () => {
    const result = toFeatureRow(features, { f2: 3, f0: 1, f1: 2 });
    expect(result).toEqual({ ok: true, row: Float32Array.from([1, 2, 3]) });
  });

  it('accepts both ends of a range', () => {
    expect(toFeatureRow(features, { f0: 0, f1: 100, f2: 50 }).ok).toBe(true);
  });

  it('reports every problem, never clamps', () => {
    const result = toFeatureRow(features, { f0: -1, f1: Number.NaN });
    expect(result).toEqual({
      ok: false,
      problems: [
        { feature: 'f0', value: -1, reason: 'must be within [0, 100] u' },
        { feature: 'f1', value: Number.NaN, reason: 'must be a finite number' },
        { feature: 'f2', value: null, reason: 'is required' },
      ],
    });
  });

  it('refuses Infinity and strings', () => {
    const result = toFeatureRow(features, { f0: Number.POSITIVE_INFINITY, f1: '5', f2: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.reason)).toEqual(['must be a finite number', 'must be a finite number']);
  });
});
