/**
 * What an output kind's GraphQL builder is (one per kind, found from output-fields.ts), and what
 * it may use: the task's enums and probability types, and the answering model's reader.
 */
import type { FieldReader, OutputSpec } from '../../inference/index.ts';
import type { Prediction } from '../predict.ts';
import type { TaskApi } from '../tasks.ts';

// Pothos' field builders are typed by the schema; a type chosen at run time has no static type.
// biome-ignore lint/suspicious/noExplicitAny: the builders are only called with the options they take.
export type AnyBuilder = any;

/** What a kind's builder may use of the task's types. */
export interface OutputFieldContext {
  task: TaskApi;
  /** The enum of a class output's labels (one per enum name). */
  labelEnum(spec: OutputSpec): unknown;
  /** The `{ label probability }` type of a class output. */
  probabilityType(spec: OutputSpec): unknown;
}

export interface OutputFields {
  /** Adds the kind's prediction fields for `spec` to `fields`, from the object builder `t`. */
  add(fields: Record<string, unknown>, t: AnyBuilder, spec: OutputSpec, context: OutputFieldContext): void;
  /** The default query's selection of its fields. */
  selection(spec: OutputSpec, task: TaskApi): string;
}

/** The reader of `spec`'s field in the model that made `p`, as its kind's reader. */
export function readerOf<K extends FieldReader['kind']>(p: Prediction, spec: OutputSpec): Extract<FieldReader, { kind: K }> {
  return p.model.codec.reader(spec.name) as Extract<FieldReader, { kind: K }>;
}

export function describeOutput(spec: OutputSpec): string {
  return `${spec.description}${spec.unit ? ` Unit: ${spec.unit}.` : ''}`.trim();
}
