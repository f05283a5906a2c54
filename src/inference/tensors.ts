/**
 * The tensor vocabulary of the inference layer, at its bottom: it imports nothing but the
 * manifest's dtypes, and everything that moves rows (the codec, the scheduler, the executors, the
 * GraphQL threads' messages) speaks it. A row has three forms on its way, each for a reason:
 *
 * - EncodedRow: one request's row, encoded once by the codec. Its bytes are the key under which
 *   a request's loader asks for identical rows once; no job exists yet when it is made.
 * - PackedBatch: the one job format, from the loader to the model and back. A job's rows are
 *   packed once where GraphQL runs (one copy per row and tensor), in process and in a GraphQL
 *   thread alike; a run is the concatenation of parts of jobs (one copy per part and tensor, none
 *   when a run is one whole job), so the models' owner does no work per row.
 * - A run's outputs (NumericArray per fetched tensor), handed to each job as the arrays of its
 *   own rows (the run's arrays themselves when the run was that job alone), and read by the
 *   loader through views, one OutputRow per row.
 */
import type { Dtype } from './manifest-spec.ts';

export type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
export type TensorData = NumericArray | string[];
/** One row's values: one entry per input tensor, in the model's input order. */
export type EncodedRow = readonly TensorData[];
/** One row's outputs: a view per fetched output tensor. */
export type OutputRow = readonly NumericArray[];

export interface PackedTensor {
  name: string;
  dtype: Dtype;
  /** The dims of one row: [] for a [batch] tensor, [width] for [batch, width], [24, 3] for [batch, 24, 3]. */
  dims: number[];
  data: TensorData;
}

/**
 * Rows packed as onnxruntime takes them: one array per input tensor, `rows` rows each. A model with
 * a text feature has a sequence axis: a job keeps its token ids ragged (each row's ids one after the
 * other, `lengths` per row; the mask and token types derived from them), and a run pads every row
 * to its longest (dims [longest]).
 */
export interface PackedBatch {
  rows: number;
  inputs: PackedTensor[];
  /** Tokens per row, when the model has a sequence axis. */
  lengths?: Int32Array;
}

/** The fetched outputs of a run, in the layout's output order (strings: a label tensor, decoded by the codec). */
export interface PackedOutputs {
  outputs: { name: string; data: NumericArray | string[] }[];
}

/** One input or output tensor of a model as it is served: its rows' shape below the batch axis. */
export interface LayoutTensor {
  name: string;
  dtype: Dtype;
  /** The axes of one row, below the batch axis: [] for [batch], [width] for [batch, width], [24, 3] for [batch, 24, 3]. */
  dims: number[];
  /** Values per row: the product of `dims` (1 for a [batch] tensor). */
  width: number;
  /**
   * A label tensor's classes in class order (its strings, or its integers): the run's values are
   * decoded to class indices on fetch, so answers stay numeric on every path.
   */
  classes?: (string | number)[];
  /** A dynamic axis right after the batch (a text model's sequence): how it is filled, or pooled away. */
  sequence?: SequenceAxis;
}

/**
 * A sequence axis: an input holds the text feature's token ids (padded with `pad`), its attention
 * mask (1 where a token is, 0 in the padding) or its token types (zeros: one segment); an output of
 * rows [sequence, hidden] is pooled over the mask into one vector of `hidden` per row.
 */
export interface SequenceAxis {
  fill?: 'ids' | 'mask' | 'zeros';
  pad?: number;
  /** Pad every run to this many tokens, not to its longest row: the fixed-length baseline (textPadding "max"). */
  padTo?: number;
  pool?: { mode: 'mean' | 'cls' | 'max'; normalize: boolean };
}

/** How a text model's runs are padded: to each run's longest row, or to maxTokens (the fixed-length baseline). */
export type TextPadding = 'longest' | 'max';

/** A zeroed array of `length` values of `dtype` (strings: empty). */
export function allocate(dtype: Dtype, length: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'bool':
      return new Uint8Array(length);
    case 'string':
      return new Array<string>(length).fill('');
  }
}
