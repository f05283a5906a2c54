/**
 * vector outputs: `length` columns of a numeric tensor (default: the rest of the row) → [Float!]!;
 * with `pooling`, one vector per row pooled from a [batch, sequence, hidden] output over the
 * attention mask (a text model's embedding: mean, first token, max; optionally L2-normalised).
 */
import type { OutputRow } from '../../tensors.ts';
import { NUMERIC } from '../feature-kind.ts';
import { columns, flatRowProblem, type OutputKind } from '../output-kind.ts';

export const vectorOutput: OutputKind = {
  width: (spec, t, column) => spec.length ?? t.width - column,
  tensorProblem: (spec, t) =>
    flatRowProblem(spec, t) ??
    (NUMERIC.includes(t.dtype) ? undefined : `it reads "${t.name}" of type ${t.dtype}: it needs a numeric tensor`),
  specProblem: () => undefined,
  fieldNames: (spec) => [spec.name],
  reader: ({ tensor, column, width }) => {
    const read = (row: OutputRow) => columns(row, tensor, column, width);
    return { kind: 'vector', read, numbers: read };
  },
  signature: (spec) =>
    `vector${spec.length ? ` × ${spec.length}` : ''}${spec.pooling ? ` pooled ${spec.pooling}${spec.normalize ? ', normalized' : ''}` : ''}`,
};
