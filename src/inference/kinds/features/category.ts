/**
 * category features: one of a closed set of values (a GraphQL enum), fed as its index or code in a
 * numeric tensor, one-hot over one column per value, or as its string (or code) in a string tensor.
 * A value outside the set is refused before any run: the model would reject it, or silently
 * encode it as something it is not.
 */
import type { FeatureSpec } from '../../manifest-spec.ts';
import { defaultSignature, type FeatureKind, FLOAT, NUMERIC, store } from '../feature-kind.ts';

export const categoryFeature: FeatureKind = {
  width: (spec) => (spec.encoding === 'onehot' ? spec.values!.length : 1),
  feedProblem: (spec, t) => {
    const codes = Object.values(spec.codes ?? {});
    if (spec.encoding === 'string') {
      if (t.dtype !== 'string') return 'encoding "string" needs a string tensor';
      return codes.every((c) => typeof c === 'string') ? undefined : 'its codes must be strings';
    }
    if (!NUMERIC.includes(t.dtype)) return `encoding "${spec.encoding}" needs a numeric tensor`;
    if (spec.encoding === 'onehot' && codes.length > 0) return 'a one-hot category takes no codes';
    if (!codes.every((c) => typeof c === 'number' && (FLOAT.includes(t.dtype) || Number.isInteger(c))))
      return 'its codes must be numbers (integers for an int tensor)';
    const fits =
      t.dtype === 'int32'
        ? (c: number) => c >= -(2 ** 31) && c < 2 ** 31
        : (c: number) => Number.isSafeInteger(c) || FLOAT.includes(t.dtype);
    const outside = (codes as number[]).filter((c) => !fits(c));
    return outside.length === 0 ? undefined : `its codes ${outside.join(', ')} do not fit ${t.dtype} exactly`;
  },
  specProblem: (spec) => {
    for (const key of Object.keys(spec.codes ?? {}))
      if (!spec.values!.includes(key)) return `/codes names "${key}", which is not one of values [${spec.values!.join(', ')}]`;
    return undefined;
  },
  defaultProblem: (spec) =>
    typeof spec.default === 'string' && spec.values!.includes(spec.default)
      ? undefined
      : `must be one of values [${spec.values!.join(', ')}]`,
  writer: (spec, _t, column, at) => {
    const values = spec.values!;
    const contract = `must be one of ${values.join(', ')}`;
    if (spec.encoding === 'onehot') {
      return (parts, value) => {
        const index = values.indexOf(value as string);
        if (index === -1) return contract;
        for (let k = 0; k < values.length; k++) store(parts[at]!, column + k, k === index ? 1 : 0);
        return undefined;
      };
    }
    const codes = new Map(values.map((name, index) => [name, codeOf(spec, name, index)]));
    return (parts, value) => {
      const code = codes.get(value as string);
      if (code === undefined) return contract;
      if (typeof code === 'string') (parts[at] as string[])[column] = code;
      else store(parts[at]!, column, code);
      return undefined;
    };
  },
  sample: (spec, _t, i) => spec.values![i % spec.values!.length],
  signature: (spec) => `category [${spec.values!.join(', ')}]${defaultSignature(spec)}${spec.enum ? ` enum ${spec.enum}` : ''}`,
  describe: (spec) => `category, ${spec.encoding}`,
};

function codeOf(spec: FeatureSpec, name: string, index: number): number | string {
  return spec.codes?.[name] ?? (spec.encoding === 'string' ? name : index);
}
