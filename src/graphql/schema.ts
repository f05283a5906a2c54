/**
 * Builds the GraphQL schema of the loaded tasks: the model types, each task's types and Query
 * fields, and the entity types of the federation bindings. The schema is a Federation v2 subgraph
 * (`_service`, and `_entities` plus one type per bound entity when there are entity bindings);
 * served alone it answers every query as well.
 */
import type { GraphQLSchema } from 'graphql';
import type { EntityBinding } from '../federation/entity-bindings.ts';
import { createBuilder } from './builder.ts';
import { type TaskApi, TaskError, taskTypeNames } from './tasks.ts';
import { defineEntityTypes } from './types/entities.ts';
import { defineModelTypes } from './types/model.ts';
import { defineQuery } from './types/query.ts';
import { defineTaskTypes } from './types/task-types.ts';

/** The Federation spec version of the `@link` the subgraph SDL carries. */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.6';

export interface SchemaOptions {
  /** Largest `first` of an examples list. Default: defaultRequestLimits.maxPageSize. */
  maxPageSize?: number;
}

export function buildSchema(
  tasks: readonly TaskApi[],
  entityBindings: readonly EntityBinding[] = [],
  options: SchemaOptions = {},
): GraphQLSchema {
  for (const binding of entityBindings) {
    const owner = tasks.find((task) => taskTypeNames(task).includes(binding.entity));
    if (owner)
      throw new TaskError(`An entity binding names entity ${binding.entity}, which is a type of task ${owner.name}: bind another entity`);
  }
  const builder = createBuilder();
  const Model = defineModelTypes(builder);
  const typed = tasks.map((task) => ({ task, types: defineTaskTypes(builder, task, Model) }));
  defineQuery(builder, typed, Model, options.maxPageSize);
  defineEntityTypes(builder, entityBindings, (model) => {
    const found = typed.find(({ task }) => task.models.includes(model));
    if (!found) throw new TaskError(`An entity binding names model "${model}", which no task serves`);
    return found;
  });
  // Sorted by name (the plugin sorts), so the printed SDL does not depend on definition order.
  return builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK_URL });
}
