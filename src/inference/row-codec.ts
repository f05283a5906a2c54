/**
 * A model's row codec, compiled from its layout: named feature values → one encoded row (a typed
 * array per input tensor) and the key under which a request's loaders deduplicate it; rows →
 * one packed job (a tensor per input); parts of jobs → one run; the fetched output tensors, checked;
 * and the prediction fields read from an output row. Nothing is clamped or coerced: a value
 * outside what the model accepts is a problem the caller must see.
 */
import type { Dtype, FeatureSpec } from './manifest.ts';
import type { FeatureSlot, LayoutTensor, ModelLayout, OutputSlot } from './model-layout.ts';
import { BatchOutputs, concatParts, packedJob, packRows, type RowsPart } from './packed-rows.ts';
import {
  allocate,
  type EncodedRow,
  type NumericArray,
  type OutputRow,
  type PackedBatch,
  type PackedOutputs,
  type TensorData,
} from './tensors.ts';

export interface FeatureProblem {
  feature: string;
  value: unknown;
  reason: string;
}

export type EncodeResult = { ok: true; row: EncodedRow; key: string } | { ok: false; problems: FeatureProblem[] };

/** How a prediction field reads an output row. */
export type FieldReader =
  | { kind: 'value'; read: (row: OutputRow) => number }
  | { kind: 'vector'; read: (row: OutputRow) => number[] }
  | { kind: 'class'; labels: readonly string[]; probabilities: (row: OutputRow) => number[]; label: (row: OutputRow) => string };

export class RowCodec {
  readonly layout: ModelLayout;
  readonly #writers: ((parts: TensorData[], value: unknown) => string | undefined)[];
  readonly #readers = new Map<string, FieldReader>();

  constructor(layout: ModelLayout) {
    this.layout = layout;
    this.#writers = layout.features.map((slot) => writerOf(slot, layout.inputs[slot.tensor]!));
    for (const slot of layout.fields) this.#readers.set(slot.spec.name, readerOf(slot));
  }

  /** Encodes named feature values (defaults filled in); every problem of the input at once. */
  encode(values: Readonly<Record<string, unknown>>): EncodeResult {
    const parts = this.layout.inputs.map(allocateRow);
    let problems: FeatureProblem[] | undefined;
    const { features } = this.layout;
    for (let i = 0; i < features.length; i++) {
      const spec = features[i]!.spec;
      const given = values[spec.name];
      const value = given === undefined || given === null ? spec.default : given;
      const reason = value === undefined ? 'is required' : this.#writers[i]!(parts, value);
      if (reason !== undefined) {
        problems ??= [];
        problems.push({ feature: spec.name, value: given ?? null, reason });
      }
    }
    return problems ? { ok: false, problems } : { ok: true, row: parts, key: rowKey(parts) };
  }

  /** The job of `rows`: one tensor per input, holding them in order (each array owns its buffer: it can be transferred). */
  pack(rows: readonly EncodedRow[]): PackedBatch {
    return packRows(this.layout.inputs, rows);
  }

  /** A job packed on another thread, as its arrays came; throws if they do not fit this model's inputs. */
  packedJob(rows: number, data: readonly TensorData[]): PackedBatch {
    return packedJob(this.layout.inputs, rows, data);
  }

  /** One run of the parts' rows (see concatParts: `owned` for arrays that may be transferred). */
  concat(parts: readonly RowsPart[], options?: { owned?: boolean }): PackedBatch {
    return concatParts(this.layout.inputs, parts, options);
  }

  /** The run's outputs, checked; throws if a tensor is missing or does not hold `rows` × its width values. */
  outputs(packed: PackedOutputs, rows: number): BatchOutputs {
    return this.#checked((t, i) => (packed.outputs[i]?.name === t.name ? packed.outputs[i]!.data : undefined), rows, 'the run returned');
  }

  /** A job's answer (one array per fetched output, in order), checked as `outputs` checks a run's. */
  answers(arrays: readonly NumericArray[], rows: number): BatchOutputs {
    return this.#checked((_, i) => arrays[i], rows, 'the answer holds');
  }

  #checked(arrayOf: (t: LayoutTensor, i: number) => NumericArray | undefined, rows: number, source: string): BatchOutputs {
    const tensors = this.layout.outputs.map((t, i) => {
      const data = arrayOf(t, i);
      if (!data) throw new Error(`${source} no output "${t.name}"`);
      if (data.length !== rows * t.width) throw new Error(`output "${t.name}" holds ${data.length} values, expected ${rows} × ${t.width}`);
      return data;
    });
    return new BatchOutputs(tensors, rows);
  }

  /** Views of each row's outputs; throws as `outputs` does. */
  unpack(packed: PackedOutputs, rows: number): OutputRow[] {
    return this.outputs(packed, rows).views(0, rows);
  }

  reader(field: string): FieldReader | undefined {
    return this.#readers.get(field);
  }

  /** Valid inputs spread over every range (warm-up and start-up probes): the i-th of n. */
  sampleValues(i: number, n: number): Record<string, unknown> {
    const t = n <= 1 ? 0.5 : i / (n - 1);
    return Object.fromEntries(
      this.layout.features.map(({ spec, tensor }) => {
        const dtype = this.layout.inputs[tensor]!.dtype;
        return [spec.name, sampleValue(spec, t, i, dtype === 'int32' || dtype === 'int64')];
      }),
    );
  }
}

/** A row's identity: its bytes (and strings), so inputs that encode to the same row share a key. */
export function rowKey(parts: EncodedRow): string {
  if (parts.length === 1 && !Array.isArray(parts[0])) return bytesOf(parts[0] as NumericArray);
  let key = '';
  for (const part of parts) key += Array.isArray(part) ? JSON.stringify(part) : bytesOf(part as NumericArray);
  return key;
}

// Private: one byte per char: 1.6 µs → 0.16 µs per row against joining the values as decimals (measured).
function bytesOf(part: NumericArray): string {
  return Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1');
}

function allocateRow(t: LayoutTensor): TensorData {
  return allocate(t.dtype, t.width);
}

// Private: stores a number in a typed array of any numeric dtype (int64 takes a bigint).
function store(part: TensorData, index: number, value: number): void {
  if (part instanceof BigInt64Array) part[index] = BigInt(value);
  else (part as Exclude<NumericArray, BigInt64Array>)[index] = value;
}

// Private: the contract of one feature, as "<feature> <reason>"; writes the value when it holds.
function writerOf(slot: FeatureSlot, tensor: LayoutTensor): (parts: TensorData[], value: unknown) => string | undefined {
  const { spec, column } = slot;
  const t = slot.tensor;
  const range = rangeCheck(spec, tensor.dtype);
  const integral = tensor.dtype === 'int32' || tensor.dtype === 'int64';
  switch (spec.type) {
    case 'float':
    case 'int':
      return (parts, value) => {
        if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
        if (spec.type === 'int' && !Number.isInteger(value)) return 'must be an integer';
        const problem = range(value);
        if (problem) return problem;
        store(parts[t]!, column, value);
        return undefined;
      };
    case 'bool':
      return (parts, value) => {
        if (typeof value !== 'boolean') return 'must be true or false';
        store(parts[t]!, column, value ? 1 : 0);
        return undefined;
      };
    case 'string':
      return (parts, value) => {
        if (typeof value !== 'string') return 'must be a string';
        if (spec.maxLength !== undefined && value.length > spec.maxLength) return `must be at most ${spec.maxLength} characters long`;
        (parts[t] as string[])[column] = value;
        return undefined;
      };
    case 'vector':
      return (parts, value) => {
        if (!Array.isArray(value) || value.length !== spec.length) return `must be a list of ${spec.length} numbers`;
        for (let k = 0; k < value.length; k++) {
          const v = value[k] as unknown;
          if (typeof v !== 'number' || !Number.isFinite(v)) return `must hold finite numbers (element ${k} is not)`;
          // An int tensor would truncate 1.7 to 1 (int32) or throw (int64): refuse, never coerce.
          if (integral && !Number.isInteger(v)) return `must hold integers (element ${k} is ${v}; the model reads ${tensor.dtype})`;
          const problem = range(v);
          if (problem) return `element ${k} ${problem}`;
        }
        for (let k = 0; k < value.length; k++) store(parts[t]!, column + k, value[k] as number);
        return undefined;
      };
    case 'category': {
      const values = spec.values!;
      const contract = `must be one of ${values.join(', ')}`;
      if (spec.encoding === 'onehot') {
        return (parts, value) => {
          const index = values.indexOf(value as string);
          if (index === -1) return contract;
          for (let k = 0; k < values.length; k++) store(parts[t]!, column + k, k === index ? 1 : 0);
          return undefined;
        };
      }
      const codeOf = (name: string, index: number) => spec.codes?.[name] ?? (spec.encoding === 'string' ? name : index);
      const codes = new Map(values.map((name, index) => [name, codeOf(name, index)]));
      return (parts, value) => {
        const code = codes.get(value as string);
        if (code === undefined) return contract;
        if (typeof code === 'string') (parts[t] as string[])[column] = code;
        else store(parts[t]!, column, code);
        return undefined;
      };
    }
  }
}

// Private: the feature's declared range, and what the tensor's dtype can hold. A float32 tensor
// rounds: 23.99999999 passes `< 24` as a double but is stored as 24.0, outside [0, 24).
function rangeCheck(spec: FeatureSpec, dtype: Dtype): (value: number) => string | undefined {
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

function readerOf(slot: OutputSlot): FieldReader {
  const { spec, tensor, column, width } = slot;
  switch (spec.kind) {
    case 'value':
      return { kind: 'value', read: (row) => Number(row[tensor]![column]) };
    case 'vector':
      return {
        kind: 'vector',
        read: (row) => Array.from(row[tensor]!.subarray(column, column + width) as ArrayLike<number | bigint>, Number),
      };
    case 'class': {
      const labels = spec.labels!;
      const logits = spec.scores === 'logits';
      const probabilities = (row: OutputRow) => {
        const scores = Array.from(row[tensor]!.subarray(column, column + width) as ArrayLike<number>, Number);
        return logits ? softmax(scores) : scores;
      };
      return { kind: 'class', labels, probabilities, label: (row) => labels[argmax(probabilities(row))]! };
    }
  }
}

function softmax(scores: number[]): number[] {
  const top = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function sampleValue(spec: FeatureSpec, t: number, i: number, integral: boolean): unknown {
  // Without a min, start below the max (which may be negative), else at 0.
  const lo = spec.min ?? Math.min(0, (spec.max ?? 1) - 1);
  const hi = spec.max ?? lo + 1;
  // Just inside an exclusive maximum, wide enough apart to survive float32 rounding.
  const top = spec.maxExclusive ? lo + (hi - lo) * 0.999 : hi;
  const number = lo + (top - lo) * t;
  switch (spec.type) {
    case 'float':
      return number;
    case 'int':
      return Math.min(Math.floor(top), Math.max(Math.ceil(lo), Math.round(number)));
    case 'bool':
      return i % 2 === 1;
    case 'category':
      return spec.values![i % spec.values!.length];
    case 'string':
      return typeof spec.default === 'string' ? spec.default : '';
    case 'vector':
      return Array.from({ length: spec.length! }, (_, k) => {
        const v = lo + (top - lo) * ((t + k / spec.length!) % 1);
        return integral ? Math.min(Math.floor(top), Math.max(Math.ceil(lo), Math.round(v))) : v;
      });
  }
}
