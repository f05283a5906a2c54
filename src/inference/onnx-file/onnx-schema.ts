/**
 * ONNX's protobuf messages, decoded and encoded by protobufjs from ONNX's own schema
 * (onnx-ml.proto beside this file: onnx v1.22.0's onnx/onnx-ml.proto, unmodified, Apache-2.0).
 *
 * Why protobufjs with the official schema rather than the `onnx-proto` package: onnx-proto 8.0.1
 * (Dec 2024) is generated from ONNX v1.10.2 (2021) on protobufjs 6; it would pull a second, old
 * protobufjs and silently drop, when a model is written back, the fields later ONNX versions added
 * (node, graph and function metadata_props, overloads, FunctionProto attribute defaults). Measured
 * here on the shipped 1 MB TreeEnsemble (Node 24, 2 loaded cores, medians of 10): onnx-proto
 * decode 42 ms + encode 12 ms, output 719 KB, not byte-identical (it repacks repeated fields);
 * protobufjs 8.8.1 + onnx-ml.proto, full decode 43 ms + encode 14 ms, byte-identical on all five
 * shipped models. protobufjs 8 is maintained (seven releases June–October 2026), has one
 * dependency (`long`), no install script, 4 MB on disk; parsing the .proto once costs ~10 ms.
 *
 * Why a lazy variant of the schema: a full decode of a 5 MB tree ensemble took 250–340 ms (one
 * Long object per int64 of its node arrays), too long to block a serving thread. With the lazy
 * schema a 10 MB model decodes in ~1 ms, and a whole rewrite costs 50–75 ms on a cold process,
 * ~30 ms after (test/bench/onnx-rewrite.ts), a fifth of its InferenceSession.create. The serving
 * schema reads the three heavy fields, node attributes and graph initializers (dense and sparse),
 * as raw bytes: both are length-delimited on the wire, so a field declared `bytes` holds the
 * message's exact encoding, views into the file without copying, and is written back verbatim.
 * What the module needs from an attribute or an initializer is decoded on demand with the full
 * types, found by its name, which is read alone (stringField).
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/** An int64 as protobufjs decodes it: a `long` Long (it is installed), or a number we wrote. */
export type Int64 = number | { toNumber(): number };

export function int64(value: Int64 | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'number' ? value : value.toNumber();
}

// The subset of the messages this module reads or writes (field names as protobufjs camel-cases
// them). Decoded messages keep every other field; encoding writes them back.

export interface DimensionProto {
  dimValue?: Int64;
  dimParam?: string;
  denotation?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim: DimensionProto[] } };
  sparseTensorType?: { elemType?: number; shape?: { dim: DimensionProto[] } };
  sequenceType?: { elemType?: TypeProto };
  mapType?: { keyType?: number; valueType?: TypeProto };
  optionalType?: { elemType?: TypeProto };
  opaqueType?: { domain?: string; name?: string };
}

export interface ValueInfoProto {
  name: string;
  type?: TypeProto;
  docString?: string;
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  /** Each attribute's exact encoding (the lazy field): see attributesOf(). */
  attribute: Uint8Array[];
}

export interface GraphProto {
  node: NodeProto[];
  name: string;
  /** Each initializer's exact encoding (the lazy field). */
  initializer: Uint8Array[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}

export interface ModelProto {
  irVersion?: Int64;
  opsetImport: { domain?: string; version?: Int64 }[];
  graph?: GraphProto;
}

/** AttributeProto, fully decoded: the fields this module reads. */
export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
}

/** TensorProto, fully decoded: the fields this module reads. */
export interface TensorProto {
  dims: Int64[];
  dataType: number;
  name: string;
  int32Data: number[];
  int64Data: Int64[];
  floatData: number[];
  stringData: Uint8Array[];
  rawData: Uint8Array;
}

const schemaText = readFileSync(new URL('./onnx-ml.proto', import.meta.url), 'utf8');
const full = protobuf.parse(schemaText).root;
const lazy = protobuf.parse(schemaText).root;
asBytes(lazy.lookupType('onnx.NodeProto'), 'attribute');
asBytes(lazy.lookupType('onnx.GraphProto'), 'initializer');
asBytes(lazy.lookupType('onnx.GraphProto'), 'sparseInitializer');
lazy.resolveAll();
full.resolveAll();

const LazyModel = lazy.lookupType('onnx.ModelProto');
const FullModel = full.lookupType('onnx.ModelProto');
const Attribute = full.lookupType('onnx.AttributeProto');
const Tensor = full.lookupType('onnx.TensorProto');
const dataTypes = full.lookupEnum('onnx.TensorProto.DataType');

/** Decodes model bytes, the heavy fields kept as bytes; throws protobufjs's error on bad bytes. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return LazyModel.decode(bytes) as unknown as ModelProto;
}

/**
 * Encodes a model decoded by decodeModel (or built as plain objects in the same shape).
 * `sizeHint`: about how many bytes it will take (the size of the file it was decoded from).
 *
 * Why the hint: protobufjs's writer starts at 128 bytes and doubles, then copies into an exact
 * buffer at finish(), so a 10 MB model touches ~40 MB of fresh memory; on a cold process here that
 * made the first rewrite of a 10 MB model ~110 ms, mostly page faults. Reserving the size once and
 * returning the writer's own buffer (finish(true): no one else holds it) touches ~10 MB. The
 * reservation is protobufjs's internal `_reserve`: where a later version lacks it, the writer
 * grows as it always did, only slower.
 */
export function encodeModel(model: ModelProto, sizeHint = 0): Uint8Array {
  const writer = protobuf.Writer.create();
  const reserve = (writer as unknown as { _reserve?: (bytes: number) => void })._reserve;
  const presized = typeof reserve === 'function' && sizeHint > 0;
  // The slack covers a rewrite that adds a little (an opset, a longer node name); more is grown.
  if (presized) reserve.call(writer, sizeHint + 4096);
  LazyModel.encode(model as unknown as protobuf.Message, writer);
  if (!presized) return ownBytes(writer.finish());
  const encoded = writer.finish(true);
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/**
 * Encodes a model given with fully typed attributes and initializers (plain objects): how the
 * tests build models, as a converter would. The bytes decode with decodeModel.
 */
export function encodeFullModel(model: object): Uint8Array {
  const problem = FullModel.verify(model);
  if (problem) throw new Error(`not an ONNX ModelProto: ${problem}`);
  return ownBytes(FullModel.encode(model as protobuf.Message).finish());
}

/** The name of an attribute's encoding (AttributeProto.name, field 1), its payload not decoded. */
export function attributeName(encoded: Uint8Array): string {
  return stringField(encoded, 1);
}

/** The name of an initializer's encoding (TensorProto.name, field 8), its data not decoded. */
export function tensorName(encoded: Uint8Array): string {
  return stringField(encoded, 8);
}

export function decodeAttribute(encoded: Uint8Array): AttributeProto {
  return Attribute.decode(encoded) as unknown as AttributeProto;
}

export function decodeTensor(encoded: Uint8Array): TensorProto {
  return Tensor.decode(encoded) as unknown as TensorProto;
}

/** TensorProto.DataType's name for an element type number, e.g. 1 → 'FLOAT'; undefined if unknown. */
export function dataTypeName(elemType: number): string | undefined {
  return dataTypes.valuesById[elemType];
}

/**
 * One string field of an encoded message, read with protobufjs's wire Reader: fields before it
 * are skipped, and the read stops there. Serializers write fields in number order, so an
 * attribute's name comes first and a 2 MB nodes_values is never walked (a decode of a header type
 * with only `name` still walked each of its unpacked floats: 20–40 ms for a 10 MB tree ensemble).
 * '' when absent, as a decode would give.
 */
function stringField(encoded: Uint8Array, fieldNumber: number): string {
  const reader = protobuf.Reader.create(encoded);
  let found = '';
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === fieldNumber && (tag & 7) === 2) found = reader.string();
    else reader.skipType(tag & 7);
    // A later occurrence of a field would win in protobuf; the name is written once.
    if (found) return found;
  }
  return found;
}

// Private: protobufjs writes into a Node Buffer, and a small one (< 4 KiB) is a view into Node's
// shared pool. Bytes that own their ArrayBuffer can be transferred to a worker thread; a plain
// Uint8Array compares equal to a decoded copy.
function ownBytes(encoded: Uint8Array): Uint8Array {
  if (encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength) return new Uint8Array(encoded.buffer);
  const copy = new Uint8Array(encoded.byteLength);
  copy.set(encoded);
  return copy;
}

// Private: replaces a message field of `type` by a bytes field with the same number and label.
function asBytes(type: protobuf.Type, fieldName: string): void {
  const field = type.fields[fieldName];
  if (!field) throw new Error(`onnx-ml.proto has no ${type.name}.${fieldName}`);
  type.remove(field);
  type.add(new protobuf.Field(field.name, field.id, 'bytes', field.repeated ? 'repeated' : 'optional'));
}
