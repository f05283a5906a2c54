/**
 * Which field of a run each of its response paths is: the report gives a run's paths
 * (`orderExamples.3.prediction`, `busy`) and its fields counted per coordinate
 * (`OrderExample.prediction: 5`), not which is which. The query that got the response says
 * it: walking the operation along a path turns each response key (an alias, perhaps) into its
 * field, and the schema (when GraphiQL has it) gives the parent type. A path that cannot be
 * placed stays unattributed rather than guessed.
 */
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getNamedType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
} from 'graphql';
import type { ReportBatch } from './report.ts';

/** The query a response answered, as GraphiQL sent it. */
export interface SentOperation {
  query: string;
  operationName?: string | null;
}

/** A run's paths grouped by field coordinate; `unattributed` holds those no field could be found for. */
export interface FieldPaths {
  byCoordinate: Map<string, string[]>;
  unattributed: string[];
}

export function fieldPathsOf(batch: ReportBatch, operation: SentOperation | undefined, schema?: GraphQLSchema | null): FieldPaths {
  const byCoordinate = new Map<string, string[]>(Object.keys(batch.fields).map((c) => [c, []]));
  const unattributed: string[] = [];
  const coordinates = [...byCoordinate.keys()];
  const walker = operation ? documentWalker(operation, schema ?? undefined) : undefined;
  for (const path of batch.paths ?? []) {
    const coordinate = coordinates.length === 1 ? coordinates[0] : walker && coordinateOf(walker(path), coordinates);
    if (coordinate) byCoordinate.get(coordinate)!.push(path);
    else unattributed.push(path);
  }
  return { byCoordinate, unattributed };
}

/** The last field on a response path: its name, and its parent type when the schema says it. */
export interface PathField {
  fieldName: string;
  parentType?: string;
}

// Private: with the parent type the coordinate is exact; without it, the field name must belong
// to one coordinate of the run.
function coordinateOf(field: PathField | undefined, coordinates: string[]): string | undefined {
  if (!field) return undefined;
  if (field.parentType) {
    const exact = `${field.parentType}.${field.fieldName}`;
    if (coordinates.includes(exact)) return exact;
  }
  const named = coordinates.filter((c) => c.slice(c.lastIndexOf('.') + 1) === field.fieldName);
  return named.length === 1 ? named[0] : undefined;
}

/** Returns a function from a response path to the field it ends on, or undefined if the query has no such path. */
export function documentWalker(operation: SentOperation, schema?: GraphQLSchema): (path: string) => PathField | undefined {
  let document: DocumentNode;
  try {
    document = parse(operation.query);
  } catch {
    return () => undefined;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = operation.operationName ? operations.find((o) => o.name?.value === operation.operationName) : operations[0];
  if (!op) return () => undefined;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f] as const),
  );
  const rootType = op.operation === 'query' ? schema?.getQueryType() : undefined;
  return (path) => {
    let selections: SelectionSetNode[] = [op.selectionSet];
    let parentType = rootType?.name;
    let field: PathField | undefined;
    for (const key of path.split('.')) {
      if (/^\d+$/.test(key)) continue; // a list index: same field, same selections
      const found = selections.flatMap((s) => fieldsWithKey(s, key, parentType, fragments));
      if (found.length === 0) return undefined;
      const fieldName = found[0]!.node.name.value;
      const owner = found[0]!.parentType;
      field = { fieldName, parentType: owner };
      const ownerType = owner ? schema?.getType(owner) : undefined;
      const fieldType = isObjectType(ownerType) ? ownerType.getFields()[fieldName]?.type : undefined;
      parentType = fieldType ? getNamedType(fieldType).name : undefined;
      selections = found.flatMap((f) => (f.node.selectionSet ? [f.node.selectionSet] : []));
    }
    return field;
  };
}

// Private: the fields answering a response key in a selection set, through inline fragments and
// fragment spreads; a fragment on another type names the parent type its fields run on.
function fieldsWithKey(
  set: SelectionSetNode,
  key: string,
  parentType: string | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): { node: FieldNode; parentType?: string }[] {
  return set.selections.flatMap((s) => {
    if (s.kind === Kind.FIELD) return (s.alias?.value ?? s.name.value) === key ? [{ node: s, parentType }] : [];
    if (s.kind === Kind.INLINE_FRAGMENT)
      return fieldsWithKey(s.selectionSet, key, s.typeCondition?.name.value ?? parentType, fragments, seen);
    const fragment = fragments.get(s.name.value);
    if (!fragment || seen.has(s.name.value)) return [];
    seen.add(s.name.value);
    return fieldsWithKey(fragment.selectionSet, key, fragment.typeCondition.name.value, fragments, seen);
  });
}
