/**
 * Look-ahead for lists: when a list field's items select `predictedLatency`, the list resolver asks
 * the request's loader for every item's row at once (one `loadMany` per model, still one job and
 * one run) and waits for it. The items' prediction fields then find their answer already there and
 * return it synchronously, instead of each creating and awaiting a promise: measured, that promise
 * per field was the largest GraphQL cost of a batched list (npm run bench).
 */
import {
  type GraphQLField,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { SampleRequest } from '../samples/sample-catalog.ts';
import type { PredictQLContext } from './context.ts';

const PREDICTION_FIELD = 'predictedLatency';

/** Resolves to `page` once every prediction its items select has been loaded (or has failed). */
export function primePagePredictions(
  page: readonly SampleRequest[],
  info: GraphQLResolveInfo,
  context: PredictQLContext,
): readonly SampleRequest[] | Promise<readonly SampleRequest[]> {
  if (page.length === 0) return page;
  const models = selectedModels(info, context);
  if (models.length === 0) return page;
  const rows = page.map((s) => s.row);
  const keys = page.map((s) => s.rowKey);
  return Promise.all(models.map((model) => context.predictions.prime(model, rows, keys))).then(() => page);
}

// Private: the models the items' prediction fields will ask for, honouring fragments, aliases and
// @skip/@include. An unknown model is left out: its field reports MODEL_NOT_FOUND itself.
function selectedModels(info: GraphQLResolveInfo, context: PredictQLContext): string[] {
  const itemType = getNamedType(info.returnType) as GraphQLObjectType;
  const field = itemType.getFields()[PREDICTION_FIELD];
  if (!field) return [];
  const models = new Set<string>();
  const visitedFragments = new Set<string>();
  const walk = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!isIncluded(selection, info)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === PREDICTION_FIELD) addModel(models, field, selection, info, context);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else if (!visitedFragments.has(selection.name.value)) {
        visitedFragments.add(selection.name.value);
        walk(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return [...models];
}

function addModel(
  models: Set<string>,
  field: GraphQLField<unknown, unknown>,
  node: Parameters<typeof getArgumentValues>[1],
  info: GraphQLResolveInfo,
  context: PredictQLContext,
): void {
  const args = getArgumentValues(field, node, info.variableValues) as { model?: string | null };
  const name = args.model ?? context.defaultModel;
  if (context.registry.get(name)) models.add(name);
}

function isIncluded(node: Parameters<typeof getDirectiveValues>[1], info: GraphQLResolveInfo): boolean {
  return (
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false
  );
}
