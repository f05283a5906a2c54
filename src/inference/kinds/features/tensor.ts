/**
 * tensor features: a whole input of fixed shape per row (a [batch, 24, 3] time series, a
 * [batch, 3, 32, 32] image) as nested GraphQL lists, every axis's length checked and every value
 * range-checked; stored row-major, as onnxruntime reads the tensor.
 */
import { defaultSignature, type FeatureKind, inRange, isIntegral, NUMERIC, rangeCheck, sampleNumber, store } from '../feature-kind.ts';

export const tensorFeature: FeatureKind = {
  width: (spec) => size(spec.shape!),
  feedProblem: (spec, t) => {
    if (!NUMERIC.includes(t.dtype)) return 'a tensor feature needs a numeric tensor';
    const shape = spec.shape!.join(' × ');
    if (t.dims.join(' × ') !== shape)
      return `a tensor feature of shape ${shape} needs an input whose row is ${shape}, and it is ${t.dims.join(' × ') || 'one value'}`;
    return undefined;
  },
  specProblem: (spec) => (spec.shape === undefined ? 'must give "shape" for a tensor feature' : undefined),
  defaultProblem: (spec) =>
    flatten(spec.default, spec.shape!)?.every((v) => inRange(spec, v))
      ? undefined
      : `must be nested lists of shape ${spec.shape!.join(' × ')}`,
  writer: (spec, t, column, at) => {
    const range = rangeCheck(spec, t.dtype);
    const integral = isIntegral(t.dtype);
    const shape = spec.shape!;
    const shown = `nested lists of shape ${shape.join(' × ')}`;
    return (parts, value) => {
      const problem = checkShape(value, shape, []);
      if (problem) return `must be ${shown} (${problem})`;
      const values = flatten(value, shape)!;
      for (let k = 0; k < values.length; k++) {
        const v = values[k]!;
        if (!Number.isFinite(v)) return `must hold finite numbers (element ${indexOf(k, shape)} is not)`;
        if (integral && !Number.isInteger(v))
          return `must hold integers (element ${indexOf(k, shape)} is ${v}; the model reads ${t.dtype})`;
        const outside = range(v);
        if (outside) return `element ${indexOf(k, shape)} ${outside}`;
      }
      for (let k = 0; k < values.length; k++) store(parts[at]!, column + k, values[k]!);
      return undefined;
    };
  },
  sample: (spec, t, _i, tensor) => {
    const n = size(spec.shape!);
    const flat = Array.from({ length: n }, (_, k) => sampleNumber(spec, (t + k / n) % 1, isIntegral(tensor.dtype)));
    return nest(flat, spec.shape!);
  },
  signature: (spec) => `tensor ${spec.shape!.join(' × ')}${defaultSignature(spec)}`,
  describe: (spec) => `tensor of ${spec.shape!.join(' × ')}`,
};

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// Private: where a value's nesting differs from `shape`, as "axis 1 has 2 values, not 3 (at [4])".
function checkShape(value: unknown, shape: readonly number[], at: number[]): string | undefined {
  const axis = at.length;
  if (!Array.isArray(value)) return `a number at ${show(at)} where axis ${axis} should have ${shape[axis]} values`;
  if (value.length !== shape[axis])
    return `axis ${axis} has ${value.length} values, not ${shape[axis]}${at.length ? ` (at ${show(at)})` : ''}`;
  if (axis === shape.length - 1) {
    const k = value.findIndex((v) => typeof v !== 'number');
    return k === -1 ? undefined : `${show([...at, k])} is not a number`;
  }
  for (let k = 0; k < value.length; k++) {
    const problem = checkShape(value[k], shape, [...at, k]);
    if (problem) return problem;
  }
  return undefined;
}

function flatten(value: unknown, shape: readonly number[]): number[] | undefined {
  if (checkShape(value, shape, []) !== undefined) return undefined;
  return (value as unknown[]).flat(shape.length - 1) as number[];
}

function nest(flat: number[], shape: readonly number[]): unknown {
  if (shape.length === 1) return flat;
  const inner = size(shape.slice(1));
  return Array.from({ length: shape[0]! }, (_, k) => nest(flat.slice(k * inner, (k + 1) * inner), shape.slice(1)));
}

function indexOf(k: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    at.unshift(k % shape[axis]!);
    k = Math.floor(k / shape[axis]!);
  }
  return show(at);
}

function show(at: readonly number[]): string {
  return `[${at.join('][')}]`;
}
