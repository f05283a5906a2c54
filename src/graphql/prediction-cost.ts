/**
 * Counts the predictions an operation would compute, before it runs: every field returning a
 * prediction type (any task's; the type says so in its extensions) counts once per object it is
 * selected on, and list fields multiply what they select by their size: a predict-many field by
 * its `inputs`, an examples list by the page it would return (both say so in their extensions),
 * `_entities` by its representations (per `__typename`). Aliases and fragments count as written
 * (so a field repeated under two aliases counts twice, even if GraphQL merges them).
 *
 * Variables are the raw JSON values (coercion runs later): a value of the wrong type counts as
 * nothing, and coercion refuses the request anyway. Fragments are counted once per type they
 * apply to (memoised), so a fragment "bomb" cannot make the count itself expensive.
 */
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  GraphQLIncludeDirective,
  type GraphQLNamedType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getDirectiveValues,
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

/** What a list field says of its size in its extensions (`predictqlCost`): the cost walk reads it. */
export type PredictionCost = { kind: 'inputs'; argument: string } | { kind: 'page'; size: number };

export interface PredictionCostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/** Predictions the operation would compute; 0 when the operation cannot be found (execution will say why). */
export function countPredictions(input: PredictionCostInput): number {
  const operation = findOperation(input.document, input.operationName);
  const rootType = operation && input.schema.getRootType(operation.operation);
  if (!operation || !rootType) return 0;
  return new CostWalk(input, operation).selectionSet(operation.selectionSet, rootType);
}

function findOperation(document: DocumentNode, name: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (name) return operations.find((o) => o.name?.value === name);
  return operations.length === 1 ? operations[0] : undefined;
}

class CostWalk {
  readonly #schema: GraphQLSchema;
  readonly #variables: Record<string, unknown>;
  readonly #fragments = new Map<string, FragmentDefinitionNode>();
  /** "Fragment@Type" → cost, or -1 while being counted (a cycle: validation refuses those). */
  readonly #memo = new Map<string, number>();

  constructor(input: PredictionCostInput, operation: OperationDefinitionNode) {
    this.#schema = input.schema;
    for (const d of input.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) this.#fragments.set(d.name.value, d);
    // Defaults of the operation's variables apply where the request gives none.
    this.#variables = {};
    for (const v of operation.variableDefinitions ?? []) {
      const given = input.variables?.[v.variable.name.value];
      this.#variables[v.variable.name.value] =
        given !== undefined ? given : v.defaultValue ? valueFromASTUntyped(v.defaultValue) : undefined;
    }
  }

  /** Predictions of one object of `type` selecting `set`. */
  selectionSet(set: SelectionSetNode, type: GraphQLNamedType): number {
    let total = 0;
    for (const selection of set.selections) {
      if (this.#excluded(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        total += this.#field(selection, type);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        if (!condition || this.#applies(condition, type)) total += this.selectionSet(selection.selectionSet, type);
      } else {
        const fragment = this.#fragments.get(selection.name.value);
        if (fragment && this.#applies(fragment.typeCondition.name.value, type)) total += this.#fragment(fragment, type);
      }
    }
    return total;
  }

  #fragment(fragment: FragmentDefinitionNode, type: GraphQLNamedType): number {
    const key = `${fragment.name.value}@${type.name}`;
    const known = this.#memo.get(key);
    if (known !== undefined) return Math.max(known, 0);
    this.#memo.set(key, -1);
    const cost = this.selectionSet(fragment.selectionSet, type);
    this.#memo.set(key, cost);
    return cost;
  }

  #field(node: FieldNode, parent: GraphQLNamedType): number {
    const definition = isObjectType(parent) ? parent.getFields()[node.name.value] : undefined;
    if (!definition) return 0; // __typename, introspection, or a field validation has refused
    const named = getNamedType(definition.type);
    const own = named.extensions?.predictqlPrediction === true ? 1 : 0;
    if (node.name.value === '_entities' && parent === this.#schema.getQueryType()) return this.#entities(node, definition);
    const size = this.#listSize(node, definition);
    const below =
      node.selectionSet && !isAbstractType(named)
        ? this.selectionSet(node.selectionSet, named)
        : node.selectionSet
          ? this.#mostOfPossible(node.selectionSet, named)
          : 0;
    return size * (own + below);
  }

  // Private: how many objects a field yields. Only the lists whose size a client chooses matter.
  #listSize(node: FieldNode, definition: GraphQLField<unknown, unknown>): number {
    const cost = definition.extensions?.predictqlCost as PredictionCost | undefined;
    if (cost?.kind === 'inputs') {
      const inputs = this.#argument(node, definition, cost.argument);
      return Array.isArray(inputs) ? inputs.length : inputs == null ? 0 : 1;
    }
    if (cost?.kind === 'page') {
      const first = this.#argument(node, definition, 'first');
      const offset = this.#argument(node, definition, 'offset');
      if (!Number.isInteger(first) || !Number.isInteger(offset)) return 0;
      return Math.max(0, Math.min(first as number, cost.size - Math.max(0, offset as number)));
    }
    return 1;
  }

  // Private: `_entities` answers each representation as the type its `__typename` names.
  #entities(node: FieldNode, definition: GraphQLField<unknown, unknown>): number {
    const representations = this.#argument(node, definition, 'representations');
    if (!Array.isArray(representations) || !node.selectionSet) return 0;
    const byType = new Map<string, number>();
    for (const r of representations) {
      const name = typeof r === 'object' && r !== null ? (r as Record<string, unknown>).__typename : undefined;
      if (typeof name === 'string') byType.set(name, (byType.get(name) ?? 0) + 1);
    }
    let total = 0;
    for (const [name, count] of byType) {
      const type = this.#schema.getType(name);
      if (type) total += count * this.selectionSet(node.selectionSet, type);
    }
    return total;
  }

  // Private: an object of an abstract type is one of its possible types: count the dearest.
  #mostOfPossible(set: SelectionSetNode, type: GraphQLNamedType): number {
    if (!isAbstractType(type)) return 0;
    let most = 0;
    for (const possible of this.#schema.getPossibleTypes(type)) most = Math.max(most, this.selectionSet(set, possible));
    return most;
  }

  #applies(condition: string, type: GraphQLNamedType): boolean {
    if (condition === type.name) return true;
    const conditionType = this.#schema.getType(condition);
    return !!conditionType && isAbstractType(conditionType) && isObjectType(type) && this.#schema.isSubType(conditionType, type);
  }

  #argument(node: FieldNode, definition: GraphQLField<unknown, unknown>, name: string): unknown {
    const given = node.arguments?.find((a) => a.name.value === name);
    if (given) return valueFromASTUntyped(given.value, this.#variables);
    return definition.args.find((a) => a.name === name)?.defaultValue;
  }

  // Private: @skip(if: true) / @include(if: false) fields are not executed, so they cost nothing.
  #excluded(node: Parameters<typeof getDirectiveValues>[1]): boolean {
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, this.#variables)?.if === true) return true;
      return getDirectiveValues(GraphQLIncludeDirective, node, this.#variables)?.if === false;
    } catch {
      return false; // a bad `if` value: coercion will refuse the request; count the field
    }
  }
}
