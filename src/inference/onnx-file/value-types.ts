/**
 * What a graph input or output is, from its ValueInfoProto: a tensor (element type and shape), a
 * sequence, a map, an optional, or something this module cannot name. onnxruntime-node's
 * inputMetadata says as much for tensors only; the rewrite needs the rest (a ZipMap's output is
 * seq(map(string, float32))) and the caller needs the words for its refusals.
 */
import type { Dtype } from '../manifest-spec.ts';
import { type DimensionProto, dataTypeName, int64, type TypeProto, type ValueInfoProto } from './onnx-schema.ts';

/**
 * An element type: predictql's Dtype name where it has one (FLOAT is float32, DOUBLE float64),
 * otherwise ONNX's TensorProto.DataType name in lower case, as onnxruntime-node spells its tensor
 * types ('float16', 'uint8', 'bfloat16'); 'undefined' when the file gives none.
 */
export type ElementType = Dtype | (string & Record<never, never>);

/** One axis: its fixed size, its symbolic name (dim_param), or null when the file says neither. */
export type Dim = number | string | null;

export type ValueType =
  /** `shape` undefined: the file states no shape (any rank). */
  | { kind: 'tensor'; elementType: ElementType; shape: Dim[] | undefined }
  | { kind: 'sparse-tensor'; elementType: ElementType; shape: Dim[] | undefined }
  | { kind: 'sequence'; element: ValueType }
  | { kind: 'map'; keyType: ElementType; value: ValueType }
  | { kind: 'optional'; element: ValueType }
  /** An opaque type, or a ValueInfo with no type at all. */
  | { kind: 'unknown'; description: string };

/** A graph input or output. */
export interface GraphValue {
  name: string;
  type: ValueType;
}

export function graphValue(info: ValueInfoProto): GraphValue {
  return { name: info.name, type: valueType(info.type) };
}

export function valueType(type: TypeProto | undefined): ValueType {
  // protobufjs sets a decoded oneof member as an own property; unset members read null or undefined.
  if (type?.tensorType) return { kind: 'tensor', elementType: elementType(type.tensorType.elemType), shape: dims(type.tensorType.shape) };
  if (type?.sparseTensorType) {
    const sparse = type.sparseTensorType;
    return { kind: 'sparse-tensor', elementType: elementType(sparse.elemType), shape: dims(sparse.shape) };
  }
  if (type?.sequenceType) return { kind: 'sequence', element: valueType(type.sequenceType.elemType) };
  if (type?.mapType) return { kind: 'map', keyType: elementType(type.mapType.keyType), value: valueType(type.mapType.valueType) };
  if (type?.optionalType) return { kind: 'optional', element: valueType(type.optionalType.elemType) };
  if (type?.opaqueType)
    return { kind: 'unknown', description: `opaque(${[type.opaqueType.domain, type.opaqueType.name].filter(Boolean).join('.')})` };
  return { kind: 'unknown', description: 'no type' };
}

export function elementType(elemType: number | undefined): ElementType {
  if (elemType === 1) return 'float32';
  if (elemType === 11) return 'float64';
  const name = elemType === undefined ? undefined : dataTypeName(elemType);
  return name === undefined ? `data type ${elemType}` : name.toLowerCase();
}

/**
 * e.g. 'float32 [N, 2]', 'string [?]', 'int64 (any shape)', 'seq(map(string, float32))': inside a
 * sequence or a map, a tensor of no stated shape is written as its element type alone, as ONNX
 * prints the types of ZipMap's and DictVectorizer's values.
 */
export function describeType(type: ValueType, nested = false): string {
  switch (type.kind) {
    case 'tensor':
      return nested && type.shape === undefined ? type.elementType : `${type.elementType} ${describeShape(type.shape)}`;
    case 'sparse-tensor':
      return `sparse ${type.elementType} ${describeShape(type.shape)}`;
    case 'sequence':
      return `seq(${describeType(type.element, true)})`;
    case 'map':
      return `map(${type.keyType}, ${describeType(type.value, true)})`;
    case 'optional':
      return `optional(${describeType(type.element, true)})`;
    case 'unknown':
      return type.description;
  }
}

function describeShape(shape: Dim[] | undefined): string {
  return shape === undefined ? '(any shape)' : `[${shape.map((dim) => dim ?? '?').join(', ')}]`;
}

// A dimension is a oneof { dim_value, dim_param }, and either may be missing. protobufjs puts
// scalar defaults (0, '') on the prototype: only an own property was in the file.
function dims(shape: { dim: DimensionProto[] } | undefined | null): Dim[] | undefined {
  if (!shape) return undefined;
  return shape.dim.map((dim) => {
    if (Object.hasOwn(dim, 'dimValue')) return int64(dim.dimValue) ?? null;
    return Object.hasOwn(dim, 'dimParam') && dim.dimParam ? dim.dimParam : null;
  });
}
