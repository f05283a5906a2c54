/**
 * The graph as the readers walk it: who produces and who consumes each value, the graph's own
 * inputs and outputs, and a node's attributes by name, decoded only when asked for (a tree
 * ensemble's node arrays are megabytes that no reader here needs).
 */
import {
  type AttributeProto,
  attributeName,
  decodeAttribute,
  decodeTensor,
  type GraphProto,
  int64,
  type NodeProto,
  type TensorProto,
  tensorName,
} from './onnx-schema.ts';

/** The domain of the classical ML operators; '' and 'ai.onnx' are the default domain. */
export const ML_DOMAIN = 'ai.onnx.ml';

export class GraphIndex {
  readonly graph: GraphProto;
  readonly graphOutputs: ReadonlySet<string>;
  private readonly producers = new Map<string, NodeProto>();
  private readonly consumers = new Map<string, NodeProto[]>();
  private readonly attributes = new Map<NodeProto, Map<string, Uint8Array>>();
  private initializers: Map<string, Uint8Array> | undefined;

  constructor(graph: GraphProto) {
    this.graph = graph;
    this.graphOutputs = new Set(graph.output.map((output) => output.name));
    for (const node of graph.node) {
      for (const output of node.output) if (output) this.producers.set(output, node);
      for (const input of node.input) {
        if (!input) continue; // '' is an omitted optional input
        const list = this.consumers.get(input);
        if (list) list.push(node);
        else this.consumers.set(input, [node]);
      }
    }
  }

  producer(value: string): NodeProto | undefined {
    return this.producers.get(value);
  }

  consumersOf(value: string): readonly NodeProto[] {
    return this.consumers.get(value) ?? [];
  }

  /** The graph inputs a caller feeds: since IR 4 an initializer may also be listed as an input. */
  feedInputs(): GraphProto['input'] {
    const initialized = this.initializerNames();
    return this.graph.input.filter((input) => !initialized.has(input.name));
  }

  attribute(node: NodeProto, name: string): AttributeProto | undefined {
    let byName = this.attributes.get(node);
    if (!byName) {
      byName = new Map(node.attribute.map((encoded) => [attributeName(encoded), encoded]));
      this.attributes.set(node, byName);
    }
    const encoded = byName.get(name);
    return encoded === undefined ? undefined : decodeAttribute(encoded);
  }

  /** A string-list attribute (bytes, UTF-8), e.g. classlabels_strings; undefined when absent. */
  strings(node: NodeProto, name: string): string[] | undefined {
    const attribute = this.attribute(node, name);
    return attribute?.strings.map((bytes) => utf8.decode(bytes));
  }

  /** An int-list attribute, e.g. classlabels_int64s; undefined when absent. */
  ints(node: NodeProto, name: string): number[] | undefined {
    const attribute = this.attribute(node, name);
    return attribute?.ints.map((value) => int64(value)!);
  }

  int(node: NodeProto, name: string): number | undefined {
    const attribute = this.attribute(node, name);
    return attribute && int64(attribute.i);
  }

  string(node: NodeProto, name: string): string | undefined {
    const attribute = this.attribute(node, name);
    return attribute && utf8.decode(attribute.s);
  }

  float(node: NodeProto, name: string): number | undefined {
    return this.attribute(node, name)?.f;
  }

  floats(node: NodeProto, name: string): number[] | undefined {
    return this.attribute(node, name)?.floats;
  }

  /**
   * The single integer a value holds when it is a constant: an initializer or a Constant node's
   * `value` (or `value_int`) with one int32/int64 element, e.g. a Gather's column index.
   */
  constantInt(value: string): number | undefined {
    const producer = this.producer(value);
    if (producer) {
      if (producer.opType !== 'Constant' || (producer.domain !== '' && producer.domain !== 'ai.onnx')) return undefined;
      const scalar = this.int(producer, 'value_int');
      if (scalar !== undefined) return scalar;
      const tensor = this.attribute(producer, 'value')?.t;
      return tensor ? singleInt(tensor) : undefined;
    }
    const encoded = this.initializerMap().get(value);
    return encoded ? singleInt(decodeTensor(encoded)) : undefined;
  }

  private initializerNames(): ReadonlySet<string> {
    return new Set(this.initializerMap().keys());
  }

  private initializerMap(): Map<string, Uint8Array> {
    this.initializers ??= new Map(this.graph.initializer.map((encoded) => [tensorName(encoded), encoded]));
    return this.initializers;
  }
}

const utf8 = new TextDecoder();

// Private: the one int32/int64 element of a tensor (in its typed field or its raw little-endian bytes).
function singleInt(tensor: TensorProto): number | undefined {
  const count = tensor.dims.reduce<number>((product, dim) => product * int64(dim)!, 1);
  if (count !== 1) return undefined;
  if (tensor.dataType === 7) {
    if (tensor.int64Data.length === 1) return int64(tensor.int64Data[0]);
    if (tensor.rawData.length === 8) return Number(readInt64(tensor.rawData));
  }
  if (tensor.dataType === 6) {
    if (tensor.int32Data.length === 1) return tensor.int32Data[0];
    if (tensor.rawData.length === 4) return new DataView(tensor.rawData.buffer, tensor.rawData.byteOffset, 4).getInt32(0, true);
  }
  return undefined;
}

function readInt64(bytes: Uint8Array): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true);
}
