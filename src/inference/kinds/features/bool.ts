/** bool features: true or false, as 1 or 0 in a bool or numeric tensor. */
import { defaultSignature, type FeatureKind, NUMERIC, store } from '../feature-kind.ts';

export const boolFeature: FeatureKind = {
  width: () => 1,
  feedProblem: (_spec, t) =>
    t.dtype === 'bool' || NUMERIC.includes(t.dtype) ? undefined : 'a bool feature needs a bool or numeric tensor',
  specProblem: () => undefined,
  defaultProblem: (spec) => (typeof spec.default === 'boolean' ? undefined : 'must be true or false'),
  writer: (_spec, _t, column, at) => (parts, value) => {
    if (typeof value !== 'boolean') return 'must be true or false';
    store(parts[at]!, column, value ? 1 : 0);
    return undefined;
  },
  sample: (_spec, _t, i) => i % 2 === 1,
  signature: (spec) => `bool${defaultSignature(spec)}`,
  describe: () => 'bool',
};
