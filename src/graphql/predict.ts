/**
 * The one path every prediction field takes: pick the model, check the input against its
 * manifest, then ask the request's loader. Errors are GraphQL errors for this field alone.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { badFeatureInput, modelNotFound } from '../errors.ts';
import { type ModelRunner, rowKey, toFeatureRow } from '../inference/index.ts';
import type { PredictionSite } from '../inference-report/inference-report.ts';
import type { PredictQLContext } from './context.ts';

/** A model's output row as the schema sees it: `values[i]` is the manifest's `outputs[i]`. */
export interface Prediction {
  values: Float32Array;
  model: ModelRunner;
}

export function resolveModel(context: PredictQLContext, name: string | null | undefined): ModelRunner {
  const modelName = name ?? context.defaultModel;
  const model = context.registry.get(modelName);
  if (!model) throw modelNotFound(modelName, context.registry.names);
  return model;
}

/** Validates named features and loads their prediction. Throws for bad input (sync, this field only). */
export function predictFromFeatures(
  context: PredictQLContext,
  modelName: string | null | undefined,
  features: Readonly<Record<string, unknown>>,
  info: GraphQLResolveInfo,
  pathSuffix?: number,
): Prediction | Promise<Prediction> {
  const model = resolveModel(context, modelName);
  const result = toFeatureRow(model.manifest.features, features);
  if (!result.ok) throw badFeatureInput(model.manifest.name, result.problems);
  return predictRow(context, model, result.row, rowKey(result.row), info, pathSuffix);
}

/**
 * Loads the prediction of an already-validated row (a catalog sample): synchronously when the list
 * resolver primed it (prime-predictions.ts), else through the loader.
 */
export function predictRow(
  context: PredictQLContext,
  model: ModelRunner,
  row: Float32Array,
  key: string,
  info: GraphQLResolveInfo,
  pathSuffix?: number,
): Prediction | Promise<Prediction> {
  const site = context.inferenceReport ? siteOf(info, pathSuffix) : undefined;
  const primed = context.predictions.peek(model.manifest.name, key, site);
  if (primed) return { values: primed, model };
  return context.predictions.load(model.manifest.name, row, key, site).then((values) => ({ values, model }));
}

// Private: the field coordinate and response path, computed only when the response is reported.
function siteOf(info: GraphQLResolveInfo, pathSuffix?: number): PredictionSite {
  const keys: (string | number)[] = [];
  for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p; p = p.prev) keys.push(p.key);
  keys.reverse();
  if (pathSuffix !== undefined) keys.push(pathSuffix);
  return { coordinate: `${info.parentType.name}.${info.fieldName}`, path: keys.join('.') };
}
