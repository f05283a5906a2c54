/** Builds the GraphQL schema for a prediction task: one definition function per type. */
import type { GraphQLSchema } from 'graphql';
import { createBuilder } from './builder.ts';
import type { PredictionTask } from './task.ts';
import { defineModelTypes } from './types/model.ts';
import { defineLatencyFeatures } from './types/latency-features.ts';
import { defineLatencyPrediction } from './types/latency-prediction.ts';
import { defineSampleRequest } from './types/sample-request.ts';
import { defineQuery } from './types/query.ts';

export function buildSchema(task: PredictionTask): GraphQLSchema {
  const builder = createBuilder();
  const Model = defineModelTypes(builder);
  const { LatencyFeaturesInput, LatencyFeatures } = defineLatencyFeatures(builder, task);
  const LatencyPrediction = defineLatencyPrediction(builder, task, Model);
  const SampleRequest = defineSampleRequest(builder, LatencyFeatures, LatencyPrediction);
  defineQuery(builder, task, { Model, LatencyFeaturesInput, LatencyPrediction, SampleRequest });
  return builder.toSchema({ sortSchema: false });
}
