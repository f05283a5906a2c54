/** string features: free text into one column of a string tensor, up to maxLength characters. */
import { defaultSignature, type FeatureKind } from '../feature-kind.ts';

export const stringFeature: FeatureKind = {
  width: () => 1,
  feedProblem: (_spec, t) => (t.dtype === 'string' ? undefined : 'a string feature needs a string tensor'),
  specProblem: () => undefined,
  defaultProblem: (spec) =>
    typeof spec.default === 'string' && (spec.maxLength === undefined || spec.default.length <= spec.maxLength)
      ? undefined
      : 'must be a string within maxLength',
  writer: (spec, _t, column, at) => (parts, value) => {
    if (typeof value !== 'string') return 'must be a string';
    if (spec.maxLength !== undefined && value.length > spec.maxLength) return `must be at most ${spec.maxLength} characters long`;
    (parts[at] as string[])[column] = value;
    return undefined;
  },
  sample: (spec) => (typeof spec.default === 'string' ? spec.default : ''),
  signature: (spec) => `string${defaultSignature(spec)}`,
  describe: () => 'string',
};
