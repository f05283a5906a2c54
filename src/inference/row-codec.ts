/**
 * A model's row codec, compiled from its layout: named feature values → one encoded row (a typed
 * array per input tensor) and the key under which a request's loaders deduplicate it; rows →
 * one packed job (a tensor per input); parts of jobs → one run; the fetched output tensors,
 * checked (and a label tensor's labels decoded to class indices); and the prediction fields read
 * from an output row. Each feature and output kind does its own part (kinds/). Nothing is clamped
 * or coerced: a value outside what the model accepts is a problem the caller must see.
 */
import { type EncodeNotes, type FeatureWriter, type FieldReader, featureKinds, type KindResources, outputKinds } from './kinds/index.ts';
import type { ModelLayout } from './model-layout.ts';
import { BatchOutputs, concatParts, packedJob, packRows, type RowsPart } from './packed-rows.ts';
import {
  allocate,
  type EncodedRow,
  type LayoutTensor,
  type NumericArray,
  type OutputRow,
  type PackedBatch,
  type PackedOutputs,
  type TensorData,
} from './tensors.ts';
import { pool } from './text/pooling.ts';
import { TextTokenizer } from './text/text-tokenizer.ts';

export type { FieldReader } from './kinds/index.ts';

export interface FeatureProblem {
  feature: string;
  value: unknown;
  reason: string;
}

export type EncodeResult =
  | {
      ok: true;
      row: EncodedRow;
      key: string;
      /** Text features cut to their model's maxTokens (overflow: truncate): the prediction says so. */
      truncated?: string[];
      /** Tokens the row's text takes (a text model's), special tokens included. */
      tokens?: number;
    }
  | { ok: false; problems: FeatureProblem[] };

export class RowCodec {
  readonly layout: ModelLayout;
  readonly #writers: FeatureWriter[];
  /** A text model's tokenizer (compiled from the layout's files, in every thread). */
  readonly tokenizer: TextTokenizer | undefined;
  readonly #readers = new Map<string, FieldReader>();
  /** Per fetched output, how a run's label tensor becomes class indices (undefined: kept as it is). */
  readonly #decoders: (((data: unknown) => Int32Array) | undefined)[];
  readonly #sequence: boolean;

  constructor(layout: ModelLayout) {
    this.layout = layout;
    this.tokenizer = layout.tokenizer ? new TextTokenizer(layout.tokenizer) : undefined;
    const resources: KindResources = this.tokenizer ? { tokenizer: this.tokenizer } : {};
    this.#writers = layout.features.map(({ spec, tensor, column }) =>
      featureKinds[spec.type].writer(spec, layout.inputs[tensor]!, column, tensor, resources),
    );
    this.#sequence = layout.inputs.some((t) => t.sequence);
    for (const slot of layout.fields) this.#readers.set(slot.spec.name, outputKinds[slot.spec.kind].reader(slot));
    this.#decoders = layout.outputs.map((t) => (t.classes ? labelDecoder(t) : undefined));
  }

  /** Encodes named feature values (defaults filled in); every problem of the input at once. */
  encode(values: Readonly<Record<string, unknown>>): EncodeResult {
    const parts = this.layout.inputs.map(allocateRow);
    let problems: FeatureProblem[] | undefined;
    const notes: EncodeNotes = {};
    const { features } = this.layout;
    for (let i = 0; i < features.length; i++) {
      const { spec } = features[i]!;
      const given = values[spec.name];
      const value = given === undefined || given === null ? spec.default : given;
      const reason = value === undefined ? 'is required' : this.#writers[i]!(parts, value, notes);
      if (reason !== undefined) {
        problems ??= [];
        problems.push({ feature: spec.name, value: given ?? null, reason });
      }
    }
    if (problems) return { ok: false, problems };
    // Parts of a text model differ in length: their lengths are part of the key.
    const key = this.#sequence ? rowKeyWithLengths(parts) : rowKey(parts);
    return {
      ok: true,
      row: parts,
      key,
      ...(notes.truncated ? { truncated: notes.truncated } : {}),
      ...(notes.tokens !== undefined ? { tokens: notes.tokens } : {}),
    };
  }

  /** The job of `rows`: one tensor per input, holding them in order (each array owns its buffer: it can be transferred). */
  pack(rows: readonly EncodedRow[]): PackedBatch {
    return packRows(this.layout.inputs, rows);
  }

  /** A job packed on another thread, as its arrays came (and a text's lengths); throws if they do not fit this model's inputs. */
  packedJob(rows: number, data: readonly TensorData[], lengths?: Int32Array): PackedBatch {
    return packedJob(this.layout.inputs, rows, data, lengths);
  }

  /** One run of the parts' rows (see concatParts: `owned` for arrays that may be transferred). */
  concat(parts: readonly RowsPart[], options?: { owned?: boolean }): PackedBatch {
    return concatParts(this.layout.inputs, parts, options);
  }

  /**
   * The run's outputs, checked, label tensors decoded to class indices; throws if a tensor is
   * missing, does not hold `rows` × its width values, or holds a label that is not one of its classes.
   */
  outputs(packed: PackedOutputs, rows: number, lengths?: Int32Array): BatchOutputs {
    return this.#checked(
      (t, i) => {
        const output = packed.outputs[i];
        if (output?.name !== t.name) return undefined;
        const decode = this.#decoders[i];
        if (decode) return decode(output.data);
        if (Array.isArray(output.data)) throw new Error(`output "${t.name}" holds strings: only a class output's labelTensor may`);
        // A [batch, sequence, hidden] output becomes one vector per row, over the run's real tokens.
        if (t.sequence?.pool) return pool(output.data, rows, t.width, lengths, t.sequence.pool, t.name);
        return output.data;
      },
      rows,
      'the run returned',
    );
  }

  /** A job's answer (one array per fetched output, in order, labels decoded), checked as `outputs` checks a run's. */
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
  unpack(packed: PackedOutputs, rows: number, lengths?: Int32Array): OutputRow[] {
    return this.outputs(packed, rows, lengths).views(0, rows);
  }

  reader(field: string): FieldReader | undefined {
    return this.#readers.get(field);
  }

  /** Valid inputs spread over every range (warm-up and start-up probes): the i-th of n. */
  sampleValues(i: number, n: number): Record<string, unknown> {
    const t = n <= 1 ? 0.5 : i / (n - 1);
    return Object.fromEntries(
      this.layout.features.map(({ spec, tensor }) => [
        spec.name,
        featureKinds[spec.type].sample(spec, t, i, this.layout.inputs[tensor]!, this.tokenizer ? { tokenizer: this.tokenizer } : {}),
      ]),
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

/** rowKey for parts of varying lengths (a text's ids): each part's length first, so "ab" + "c" ≠ "a" + "bc". */
function rowKeyWithLengths(parts: EncodedRow): string {
  let key = '';
  for (const part of parts) key += `${part.length}:${Array.isArray(part) ? JSON.stringify(part) : bytesOf(part as NumericArray)}`;
  return key;
}

// Private: one byte per char: 1.6 µs → 0.16 µs per row against joining the values as decimals (measured).
function bytesOf(part: NumericArray): string {
  return Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1');
}

function allocateRow(t: LayoutTensor): TensorData {
  return allocate(t.dtype, t.width);
}

// Private: a label tensor (strings, or int32/int64 labels) → each row's class index. One map
// lookup per row, on the thread that ran the model; answers then travel as numbers everywhere.
function labelDecoder(t: LayoutTensor): (data: unknown) => Int32Array {
  const index = new Map<string, number>(t.classes!.map((c, i) => [String(c), i]));
  return (data) => {
    const labels = data as ArrayLike<string | number | bigint>;
    const out = new Int32Array(labels.length);
    for (let r = 0; r < labels.length; r++) {
      const i = index.get(String(labels[r]));
      if (i === undefined)
        throw new Error(
          `output "${t.name}" gave the label ${JSON.stringify(String(labels[r]))}, which is not one of ${t.classes!.join(', ')}`,
        );
      out[r] = i;
    }
    return out;
  };
}
