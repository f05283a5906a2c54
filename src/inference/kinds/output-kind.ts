/**
 * What an output kind is, in one place: the columns of an output tensor it reads, the tensors it
 * can read, the GraphQL fields it makes, and how a prediction field reads an output row. One
 * module per kind (outputs/), found from one table (index.ts); its GraphQL fields are built in
 * src/graphql/kinds/.
 */
import type { OutputSpec } from '../manifest-spec.ts';
import type { LayoutTensor, OutputRow } from '../tensors.ts';

/** How a prediction field reads an output row; `numbers` are all it reads (the warm-up checks they are finite). */
export type FieldReader =
  | { kind: 'value'; read: (row: OutputRow) => number; numbers: (row: OutputRow) => number[] }
  | { kind: 'vector'; read: (row: OutputRow) => number[]; numbers: (row: OutputRow) => number[] }
  | { kind: 'tensor'; shape: readonly number[]; read: (row: OutputRow) => unknown[]; numbers: (row: OutputRow) => number[] }
  | {
      kind: 'class';
      labels: readonly string[];
      /** Each class's probability, in label order; absent when the model gives labels only. */
      probabilities: ((row: OutputRow) => number[]) | undefined;
      /** The model's own label when it outputs one, else the most probable class. */
      label: (row: OutputRow) => string;
      numbers: (row: OutputRow) => number[];
    };

/** Where a prediction field reads: its spec, its fetched tensor and columns, and for a class its label tensor. */
export interface OutputSlot {
  spec: OutputSpec;
  /** Index into the layout's `outputs` (the fetched tensors). */
  tensor: number;
  column: number;
  width: number;
  /** The tensor's row axes (a tensor output's nested shape). */
  dims: number[];
  /** A class output's label tensor, when the model outputs its own labels: index into `outputs`. */
  labelTensor?: number;
}

export interface OutputKind {
  /** Columns of its tensor's row it reads, from `column`. */
  width(spec: OutputSpec, tensor: LayoutTensor, column: number): number;
  /** Why it cannot read `tensor`; undefined when it can. */
  tensorProblem(spec: OutputSpec, tensor: LayoutTensor): string | undefined;
  /** A rule of the kind's own manifest keys that JSON Schema cannot state; undefined when none is broken. */
  specProblem(spec: OutputSpec): string | undefined;
  /** The prediction fields it adds (their names must be unique in the task). */
  fieldNames(spec: OutputSpec): string[];
  reader(slot: OutputSlot): FieldReader;
  /** What a client reads: two models of one task must agree on it. */
  signature(spec: OutputSpec): string;
}

/** The values of columns [column, column + width) of a row's tensor, as numbers. */
export function columns(row: OutputRow, tensor: number, column: number, width: number): number[] {
  return Array.from(row[tensor]!.subarray(column, column + width) as ArrayLike<number | bigint>, Number);
}

/** value, vector and class read a [batch] or [batch, width] tensor; rank-3 and up is read whole, as a tensor output. */
export function flatRowProblem(spec: OutputSpec, t: LayoutTensor): string | undefined {
  if (t.sequence && !spec.pooling) return `output "${t.name}" has a sequence axis: only a vector output with "pooling" reads it`;
  return t.dims.length <= 1
    ? undefined
    : `output "${t.name}" has rows of ${t.dims.join(' × ')}: read it whole with kind "tensor" (nested lists), not kind "${spec.kind}"`;
}
