/**
 * Builds the GraphQL schema for a prediction task: one definition function per type. The schema is
 * a Federation v2 subgraph (`_service`, and `_entities` plus one type per bound entity when there
 * are entity bindings); served alone it answers every query as before.
 */
import type { GraphQLSchema } from 'graphql';
import type { EntityBinding } from '../federation/entity-bindings.ts';
import { createBuilder } from './builder.ts';
import type { PredictionTask } from './task.ts';
import { defineEntityTypes } from './types/entities.ts';
import { defineLatencyFeatures } from './types/latency-features.ts';
import { defineLatencyPrediction } from './types/latency-prediction.ts';
import { defineModelTypes } from './types/model.ts';
import { defineQuery } from './types/query.ts';
import { defineSampleRequest } from './types/sample-request.ts';

/** The Federation spec version of the `@link` the subgraph SDL carries. */
export const FEDERATION_LINK_URL = 'https://specs.apollo.dev/federation/v2.6';

export interface SchemaOptions {
  /** Largest `sampleRequests(first:)`. Default: defaultRequestLimits.maxPageSize. */
  maxPageSize?: number;
}

export function buildSchema(
  task: PredictionTask,
  entityBindings: readonly EntityBinding[] = [],
  options: SchemaOptions = {},
): GraphQLSchema {
  const builder = createBuilder();
  const Model = defineModelTypes(builder);
  const { LatencyFeaturesInput, LatencyFeatures } = defineLatencyFeatures(builder, task);
  const LatencyPrediction = defineLatencyPrediction(builder, task, Model);
  const SampleRequest = defineSampleRequest(builder, LatencyFeatures, LatencyPrediction);
  defineQuery(builder, task, { Model, LatencyFeaturesInput, LatencyPrediction, SampleRequest }, options.maxPageSize);
  defineEntityTypes(builder, entityBindings, LatencyPrediction);
  // Sorted by name (the plugin sorts), so the printed SDL does not depend on definition order.
  return builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK_URL });
}
