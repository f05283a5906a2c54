/**
 * What a feature kind is, in one place: the manifest keys it uses, the columns it takes, the
 * tensors it can feed, how a GraphQL value is checked and written into a row, and the values it
 * is warmed up and probed with. One module per kind (features/), found from one table (index.ts);
 * its GraphQL input field is built in src/graphql/kinds/.
 */
import type { Dtype, FeatureSpec } from '../manifest-spec.ts';
import type { LayoutTensor, NumericArray, TensorData } from '../tensors.ts';
import type { TextTokenizer } from '../text/text-tokenizer.ts';

export interface FeatureKind {
  /** Columns of its input tensor's row the feature takes. */
  width(spec: FeatureSpec, tensor: LayoutTensor): number;
  /** Why it cannot feed `tensor` (its dtype or shape); undefined when it can. */
  feedProblem(spec: FeatureSpec, tensor: LayoutTensor): string | undefined;
  /** A rule of the kind's own manifest keys that JSON Schema cannot state; undefined when none is broken. */
  specProblem(spec: FeatureSpec): string | undefined;
  /** Why `spec.default` is not a value this feature accepts; undefined when it is. */
  defaultProblem(spec: FeatureSpec): string | undefined;
  /**
   * Writes a value into its columns of a row's parts (`parts[at]`, its tensor's), or says why not
   * ("must be ..."): nothing is clamped or coerced. A text's ids are the part itself (their length
   * is the text's); what the caller should know of a value that was accepted goes in `notes`.
   */
  writer(spec: FeatureSpec, tensor: LayoutTensor, column: number, at: number, resources: KindResources): FeatureWriter;
  /** A valid value, the t-th (0..1) of a spread over the feature's range; `i` picks among categories and booleans. */
  sample(spec: FeatureSpec, t: number, i: number, tensor: LayoutTensor, resources: KindResources): unknown;
  /** What a client sends and may leave out: two models of one task must agree on it. */
  signature(spec: FeatureSpec): string;
  /** The kind in a few words, for messages ("category, onehot", "vector of 8"). */
  describe(spec: FeatureSpec): string;
}

export type FeatureWriter = (parts: TensorData[], value: unknown, notes: EncodeNotes) => string | undefined;

/** What an accepted value changed (a text cut to its model's maximum). */
export interface EncodeNotes {
  truncated?: string[];
  /** Tokens a text takes (as it will run, special tokens included). */
  tokens?: number;
}

/** What a kind may need beyond its spec: a text feature's tokenizer. */
export interface KindResources {
  tokenizer?: TextTokenizer;
}

export const NUMERIC: readonly Dtype[] = ['float32', 'float64', 'int32', 'int64'];
export const FLOAT: readonly Dtype[] = ['float32', 'float64'];

export function isIntegral(dtype: Dtype): boolean {
  return dtype === 'int32' || dtype === 'int64';
}

/** Stores a number in a typed array of any numeric dtype (int64 takes a bigint). */
export function store(part: TensorData, index: number, value: number): void {
  if (part instanceof BigInt64Array) part[index] = BigInt(value);
  else (part as Exclude<NumericArray, BigInt64Array>)[index] = value;
}

/**
 * The feature's declared range, and what the tensor's dtype can hold. A float32 tensor rounds:
 * 23.99999999 passes `< 24` as a double but is stored as 24.0, outside [0, 24).
 */
export function rangeCheck(spec: FeatureSpec, dtype: Dtype): (value: number) => string | undefined {
  const { min, max } = spec;
  const limits =
    dtype === 'int32' ? [-(2 ** 31), 2 ** 31 - 1] : dtype === 'int64' ? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : undefined;
  const stored = dtype === 'float32' ? Math.fround : (v: number) => v;
  const shown = `[${min ?? '-∞'}, ${max ?? '∞'}${spec.maxExclusive ? ')' : ']'}${spec.unit ? ` ${spec.unit}` : ''}`;
  return (value) => {
    const v = stored(value);
    if ((min !== undefined && v < min) || (max !== undefined && (spec.maxExclusive ? v >= max : v > max))) {
      return `must be within ${shown}${v !== value ? ` (as ${dtype}, ${value} is ${v})` : ''}`;
    }
    if (limits && (value < limits[0]! || value > limits[1]!)) return `must fit the model's ${dtype} input`;
    return undefined;
  };
}

/** Whether `v` is within the spec's declared range (for defaults, before any tensor is known). */
export function inRange(spec: FeatureSpec, v: number): boolean {
  return (spec.min === undefined || v >= spec.min) && (spec.max === undefined || (spec.maxExclusive ? v < spec.max : v <= spec.max));
}

/** The t-th (0..1) number of the spec's range: without a min, start below the max (which may be negative), else at 0. */
export function sampleNumber(spec: FeatureSpec, t: number, integral: boolean): number {
  const lo = spec.min ?? Math.min(0, (spec.max ?? 1) - 1);
  const hi = spec.max ?? lo + 1;
  // Just inside an exclusive maximum, wide enough apart to survive float32 rounding.
  const top = spec.maxExclusive ? lo + (hi - lo) * 0.999 : hi;
  const number = lo + (top - lo) * t;
  return integral ? Math.min(Math.floor(top), Math.max(Math.ceil(lo), Math.round(number))) : number;
}

/** ` = <default>` when the feature has one. */
export function defaultSignature(spec: FeatureSpec): string {
  return spec.default !== undefined ? ` = ${JSON.stringify(spec.default)}` : '';
}
