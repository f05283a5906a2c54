/** vector features: a list of `length` numbers into consecutive columns of a numeric tensor, each range-checked. */
import { defaultSignature, type FeatureKind, inRange, isIntegral, NUMERIC, rangeCheck, sampleNumber, store } from '../feature-kind.ts';

export const vectorFeature: FeatureKind = {
  width: (spec) => spec.length!,
  feedProblem: (_spec, t) => (NUMERIC.includes(t.dtype) ? undefined : 'a vector feature needs a numeric tensor'),
  specProblem: (spec) => (spec.length === undefined ? 'must give "length" for a vector feature' : undefined),
  defaultProblem: (spec) => {
    const d = spec.default;
    return Array.isArray(d) && d.length === spec.length && d.every((v) => typeof v === 'number' && inRange(spec, v))
      ? undefined
      : `must be ${spec.length} numbers within the feature's range`;
  },
  writer: (spec, t, column, at) => {
    const range = rangeCheck(spec, t.dtype);
    const integral = isIntegral(t.dtype);
    return (parts, value) => {
      if (!Array.isArray(value) || value.length !== spec.length) return `must be a list of ${spec.length} numbers`;
      for (let k = 0; k < value.length; k++) {
        const v = value[k] as unknown;
        if (typeof v !== 'number' || !Number.isFinite(v)) return `must hold finite numbers (element ${k} is not)`;
        // An int tensor would truncate 1.7 to 1 (int32) or throw (int64): refuse, never coerce.
        if (integral && !Number.isInteger(v)) return `must hold integers (element ${k} is ${v}; the model reads ${t.dtype})`;
        const problem = range(v);
        if (problem) return `element ${k} ${problem}`;
      }
      for (let k = 0; k < value.length; k++) store(parts[at]!, column + k, value[k] as number);
      return undefined;
    };
  },
  sample: (spec, t, _i, tensor) =>
    Array.from({ length: spec.length! }, (_, k) => sampleNumber(spec, (t + k / spec.length!) % 1, isIntegral(tensor.dtype))),
  signature: (spec) => `vector × ${spec.length}${defaultSignature(spec)}`,
  describe: (spec) => `vector of ${spec.length}`,
};
