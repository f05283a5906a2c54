/**
 * Look-ahead for example lists: when a page's items select their prediction field, the list
 * resolver asks the request's loader for every item's row at once (one `loadMany` per model, still
 * one job and one run) and waits for it. The items' prediction fields then find their answer
 * already there and return it synchronously, instead of each creating and awaiting a promise:
 * measured, that promise per field was the largest GraphQL cost of a batched list (npm run bench).
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
import type { Example } from '../examples/example-set.ts';
import type { ModelView } from '../inference/index.ts';
import type { PredictQLContext } from './context.ts';
import type { TaskApi } from './tasks.ts';

/** Resolves to `page` once every prediction its items select has been loaded (or has failed). */
export function primeExamplePage(
  page: readonly Example[],
  task: TaskApi,
  info: GraphQLResolveInfo,
  context: PredictQLContext,
): readonly Example[] | Promise<readonly Example[]> {
  const field = task.names.examples?.prediction;
  if (page.length === 0 || !field) return page;
  const models = selectedModels(field, task, info, context);
  if (models.length === 0) return page;
  return Promise.all(
    models.map((model) => {
      const encoded = page.map((example) => example.rowFor(model));
      return context.predictions.prime(
        model,
        encoded.map((e) => e.row),
        encoded.map((e) => e.key),
      );
    }),
  ).then(() => page);
}

// Private: the models the items' prediction fields will ask for, honouring fragments, aliases and
// @skip/@include. A model of another task (or none) is left out: its field reports MODEL_NOT_FOUND itself.
function selectedModels(fieldName: string, task: TaskApi, info: GraphQLResolveInfo, context: PredictQLContext): ModelView[] {
  const itemType = getNamedType(info.returnType) as GraphQLObjectType;
  const field = itemType.getFields()[fieldName];
  if (!field) return [];
  const models = new Set<ModelView>();
  const visitedFragments = new Set<string>();
  const walk = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!isIncluded(selection, info)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === fieldName) addModel(models, field, selection, task, info, context);
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
  models: Set<ModelView>,
  field: GraphQLField<unknown, unknown>,
  node: Parameters<typeof getArgumentValues>[1],
  task: TaskApi,
  info: GraphQLResolveInfo,
  context: PredictQLContext,
): void {
  const args = getArgumentValues(field, node, info.variableValues) as { model?: string | null; version?: number | null };
  const model = context.registry.get(args.model ?? task.defaultModel, args.version ?? undefined);
  if (model?.manifest.task === task.name) models.add(model);
}

function isIncluded(node: Parameters<typeof getDirectiveValues>[1], info: GraphQLResolveInfo): boolean {
  return (
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.if !== false
  );
}
