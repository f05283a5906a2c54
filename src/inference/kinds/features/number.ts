/** float and int features: one number in one column of a numeric tensor, range-checked, never rounded. */
import type { FeatureSpec } from '../../manifest-spec.ts';
import type { LayoutTensor } from '../../tensors.ts';
import {
  defaultSignature,
  type FeatureKind,
  FLOAT,
  inRange,
  isIntegral,
  NUMERIC,
  rangeCheck,
  sampleNumber,
  store,
} from '../feature-kind.ts';

function numberKind(type: 'float' | 'int'): FeatureKind {
  const integer = type === 'int';
  return {
    width: () => 1,
    feedProblem: (_spec, t) =>
      type === 'float'
        ? FLOAT.includes(t.dtype)
          ? undefined
          : 'a float feature needs a float32 or float64 tensor (use type "int" for integers)'
        : NUMERIC.includes(t.dtype)
          ? undefined
          : 'an int feature needs a numeric tensor',
    specProblem: (spec) =>
      integer && [spec.min, spec.max].some((v) => v !== undefined && !Number.isInteger(v))
        ? `of type int must have integer min and max, but got: min=${spec.min}, max=${spec.max}`
        : undefined,
    defaultProblem: (spec) => {
      const d = spec.default;
      const ok = typeof d === 'number' && (!integer || Number.isInteger(d)) && inRange(spec, d);
      return ok ? undefined : `must be ${integer ? 'an integer' : 'a number'} within the feature's range`;
    },
    writer: (spec: FeatureSpec, t: LayoutTensor, column: number, at: number) => {
      const range = rangeCheck(spec, t.dtype);
      return (parts, value) => {
        if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
        if (integer && !Number.isInteger(value)) return 'must be an integer';
        const problem = range(value);
        if (problem) return problem;
        store(parts[at]!, column, value);
        return undefined;
      };
    },
    sample: (spec, t, _i, tensor) => sampleNumber(spec, t, integer || isIntegral(tensor.dtype)),
    signature: (spec) => `${type}${defaultSignature(spec)}`,
    describe: () => type,
  };
}

export const floatFeature = numberKind('float');
export const intFeature = numberKind('int');
