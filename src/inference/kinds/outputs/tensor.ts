/** tensor outputs: a whole output row of fixed shape ([batch, 4, 2] → [[Float!]!]! of 4 × 2), as nested lists, row-major. */
import type { OutputRow } from '../../tensors.ts';
import { NUMERIC } from '../feature-kind.ts';
import { columns, type OutputKind } from '../output-kind.ts';

export const tensorOutput: OutputKind = {
  width: (_spec, t) => t.width,
  tensorProblem: (spec, t) => {
    if (t.sequence) return `"${t.name}" has a sequence axis: a tensor output reads fixed rows (a pooled vector reads a sequence)`;
    if (!NUMERIC.includes(t.dtype)) return `it reads "${t.name}" of type ${t.dtype}: it needs a numeric tensor`;
    const shape = spec.shape!.join(' × ');
    return t.dims.join(' × ') === shape
      ? undefined
      : `its shape is ${shape}, and the rows of "${t.name}" are ${t.dims.join(' × ') || 'one value'}`;
  },
  specProblem: (spec) => {
    if (spec.shape === undefined) return 'must give "shape" for a tensor output';
    return spec.column !== undefined && spec.column !== 0 ? 'reads its tensor whole: it takes no "column"' : undefined;
  },
  fieldNames: (spec) => [spec.name],
  reader: ({ tensor, width, dims }) => {
    const numbers = (row: OutputRow) => columns(row, tensor, 0, width);
    return { kind: 'tensor', shape: dims, read: (row) => nest(numbers(row), dims), numbers };
  },
  signature: (spec) => `tensor ${spec.shape!.join(' × ')}`,
};

function nest(flat: number[], shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return flat;
  const inner = flat.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, k) => nest(flat.slice(k * inner, (k + 1) * inner), shape.slice(1)));
}
