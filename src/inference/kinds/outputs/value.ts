/** value outputs: one column of a numeric tensor → Float. */
import type { OutputRow } from '../../tensors.ts';
import { NUMERIC } from '../feature-kind.ts';
import { flatRowProblem, type OutputKind } from '../output-kind.ts';

export const valueOutput: OutputKind = {
  width: () => 1,
  tensorProblem: (spec, t) =>
    flatRowProblem(spec, t) ??
    (NUMERIC.includes(t.dtype) ? undefined : `it reads "${t.name}" of type ${t.dtype}: it needs a numeric tensor`),
  specProblem: () => undefined,
  fieldNames: (spec) => [spec.name],
  reader: ({ tensor, column }) => {
    const read = (row: OutputRow) => Number(row[tensor]![column]);
    return { kind: 'value', read, numbers: (row) => [read(row)] };
  },
  signature: () => 'value',
};
