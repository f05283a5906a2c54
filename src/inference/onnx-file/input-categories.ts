/**
 * The values a graph input is known to take, where the graph encodes it with a list: an
 * ai.onnx.ml OneHotEncoder (cats_strings / cats_int64s) or LabelEncoder (keys_*), and what the
 * model does with a value not in the list.
 *
 * From each input, the walk follows nodes that change neither the values nor which column they
 * are in: Identity, Cast, Reshape, Squeeze, Unsqueeze, Flatten (the value must be their first
 * input). It also follows one column selection with a constant index, as the converters emit for
 * a [N, k] input: Gather on axis 1 (skl2onnx's OneHotEncoder) and ArrayFeatureExtractor
 * (skl2onnx's OrdinalEncoder). Anything else (Concat, arithmetic, a second selection) ends it.
 *
 * skl2onnx writes zeros=0 unless sklearn's handle_unknown is 'ignore', so a OneHotEncoder fitted
 * with sklearn's default ('error') fails the whole run on an unknown value ('' included). A
 * LabelEncoder never fails: an unknown key becomes the default (skl2onnx's OrdinalEncoder with
 * handle_unknown='error' leaves it at ONNX's -1).
 */
import type { LabelList } from './class-labels.ts';
import { type GraphIndex, ML_DOMAIN } from './graph-index.ts';
import type { NodeProto } from './onnx-schema.ts';

export type CategoryList = LabelList | { dtype: 'float32'; values: number[] };

export interface InputCategories {
  input: string;
  /** The column of a [N, k] input the encoder reads alone; undefined: it reads the input as fed. */
  column?: number;
  encoder: 'OneHotEncoder' | 'LabelEncoder';
  /** The encoder node's name ('' when unnamed). */
  node: string;
  /** The known values, as the encoder compares them (after any Cast on the way). */
  categories: CategoryList;
  /**
   * A value not in `categories`: 'fails' the run (OneHotEncoder zeros=0: the error fails every row
   * of a batch), is encoded as all 'zeros' (zeros=1), or becomes `defaultValue` (LabelEncoder).
   */
  unknown: 'fails' | 'zeros' | 'default';
  defaultValue?: string | number;
}

const PASS_THROUGH = new Set(['Identity', 'Cast', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);

export function inputCategories(index: GraphIndex): InputCategories[] {
  const found: InputCategories[] = [];
  for (const input of index.feedInputs()) {
    const queue: { value: string; column: number | undefined }[] = [{ value: input.name, column: undefined }];
    const seen = new Set([input.name]);
    while (queue.length > 0) {
      const { value, column } = queue.shift()!;
      for (const node of index.consumersOf(value)) {
        if (node.input[0] !== value) continue;
        const encoded = encoderOf(index, node);
        if (encoded) {
          found.push({ input: input.name, ...(column === undefined ? {} : { column }), node: node.name, ...encoded });
          continue;
        }
        const next = node.output[0];
        const nextColumn = column === undefined ? selectedColumn(index, node) : undefined;
        const follows = isDefaultDomain(node) && PASS_THROUGH.has(node.opType);
        if (!next || seen.has(next) || (!follows && nextColumn === undefined)) continue;
        seen.add(next);
        queue.push({ value: next, column: follows ? column : nextColumn });
      }
    }
  }
  return found;
}

type Encoded = Pick<InputCategories, 'encoder' | 'categories' | 'unknown' | 'defaultValue'>;

// Private: what an encoder node knows of its input; undefined for any other node.
function encoderOf(index: GraphIndex, node: NodeProto): Encoded | undefined {
  if (node.domain !== ML_DOMAIN) return undefined;
  if (node.opType === 'OneHotEncoder') {
    const categories = list(index, node, 'cats_strings', 'cats_int64s');
    if (!categories) return undefined;
    // The spec's default for zeros is 1.
    return { encoder: 'OneHotEncoder', categories, unknown: index.int(node, 'zeros') === 0 ? 'fails' : 'zeros' };
  }
  if (node.opType === 'LabelEncoder') {
    const categories = list(index, node, 'keys_strings', 'keys_int64s', 'keys_floats');
    if (!categories) return undefined;
    return { encoder: 'LabelEncoder', categories, unknown: 'default', defaultValue: labelEncoderDefault(index, node) };
  }
  return undefined;
}

function list(index: GraphIndex, node: NodeProto, strings: string, ints: string, floats?: string): CategoryList | undefined {
  const stringValues = index.strings(node, strings);
  if (stringValues?.length) return { dtype: 'string', values: stringValues };
  const intValues = index.ints(node, ints);
  if (intValues?.length) return { dtype: 'int64', values: intValues };
  const floatValues = floats === undefined ? undefined : index.floats(node, floats);
  if (floatValues?.length) return { dtype: 'float32', values: floatValues };
  return undefined;
}

// The default follows the values' type; without the attribute it is the spec's: '_Unused', -1, -0.
function labelEncoderDefault(index: GraphIndex, node: NodeProto): string | number {
  if (index.attribute(node, 'values_strings')) return index.string(node, 'default_string') ?? '_Unused';
  if (index.attribute(node, 'values_floats')) return index.float(node, 'default_float') ?? -0;
  return index.int(node, 'default_int64') ?? -1;
}

/**
 * The column a node selects with a constant, non-negative index (Gather on axis 1,
 * ArrayFeatureExtractor); undefined for any other node. A negative index counts from a width
 * this walk does not know: not followed.
 */
function selectedColumn(index: GraphIndex, node: NodeProto): number | undefined {
  const indexInput = node.input[1];
  if (!indexInput) return undefined;
  let column: number | undefined;
  if (node.opType === 'Gather' && isDefaultDomain(node) && index.int(node, 'axis') === 1) column = index.constantInt(indexInput);
  if (node.opType === 'ArrayFeatureExtractor' && node.domain === ML_DOMAIN) column = index.constantInt(indexInput);
  return column !== undefined && column >= 0 ? column : undefined;
}

function isDefaultDomain(node: NodeProto): boolean {
  return node.domain === '' || node.domain === 'ai.onnx';
}
