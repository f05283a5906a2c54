/**
 * The one path every prediction field takes: pick the model of the field's task, encode the
 * input with that model's codec, then ask the request's loader. Errors are GraphQL errors for this
 * field alone.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { badFeatureInput, modelNotFound, modelVersionNotFound, textTokenLimit } from '../errors.ts';
import type { EncodedRow, ModelView, OutputRow } from '../inference/index.ts';
import type { PredictionSite } from '../inference-report/inference-report.ts';
import type { PredictQLContext } from './context.ts';
import type { TaskApi } from './tasks.ts';

/** A model's outputs for one input, as the prediction types read them. */
export interface Prediction {
  output: OutputRow;
  model: ModelView;
  /** Text features cut to their model's maxTokens (overflow: truncate). */
  truncated?: readonly string[];
}

/** Which model a prediction field asks for: `model:` and `version:`, each defaulted when left out. */
export interface ModelChoice {
  model?: string | null | undefined;
  version?: number | null | undefined;
}

/**
 * The model `model` (or the task's default) in `version` (or its default version) if it serves
 * `task`; else MODEL_NOT_FOUND. Read from the request's snapshot of the registry: every field of a
 * request gets the same default version, whatever a reload publishes meanwhile.
 */
export function resolveModel(context: PredictQLContext, task: TaskApi, choice: ModelChoice): ModelView {
  const modelName = choice.model ?? task.defaultModel;
  const model = context.registry.get(modelName);
  if (!model || model.manifest.task !== task.name) throw modelNotFound(modelName, task.name, task.models);
  if (choice.version === undefined || choice.version === null) return model;
  const version = context.registry.get(modelName, choice.version);
  if (!version) throw modelVersionNotFound(modelName, choice.version, context.registry.versions(modelName));
  return version;
}

/** Encodes named feature values and loads their prediction. Throws for bad input (sync, this field only). */
export function predictFromFeatures(
  context: PredictQLContext,
  task: TaskApi,
  choice: ModelChoice,
  values: Readonly<Record<string, unknown>>,
  info: GraphQLResolveInfo,
  pathSuffix?: number,
): Prediction | Promise<Prediction> {
  const model = resolveModel(context, task, choice);
  const encoded = model.codec.encode(values);
  if (!encoded.ok) throw badFeatureInput(model.manifest.name, encoded.problems);
  if (encoded.tokens !== undefined) {
    const over = context.predictions.takeTextTokens(encoded.tokens);
    if (over) throw textTokenLimit(encoded.tokens, over.used, over.limit);
  }
  const prediction = predictRow(context, model, encoded.row, encoded.key, info, pathSuffix);
  if (!encoded.truncated) return prediction;
  const truncated = encoded.truncated;
  return prediction instanceof Promise ? prediction.then((p) => ({ ...p, truncated })) : { ...prediction, truncated };
}

/**
 * Loads the prediction of an encoded row: synchronously when a list resolver primed it
 * (prime-predictions.ts), else through the loader.
 */
export function predictRow(
  context: PredictQLContext,
  model: ModelView,
  row: EncodedRow,
  key: string,
  info: GraphQLResolveInfo,
  pathSuffix?: number,
): Prediction | Promise<Prediction> {
  const site = context.inferenceReport ? siteOf(info, pathSuffix) : undefined;
  const primed = context.predictions.peek(model, key, site);
  if (primed) return { output: primed, model };
  return context.predictions.load(model, row, key, site).then((output) => ({ output, model }));
}

// Private: the field coordinate and response path, computed only when the response is reported.
function siteOf(info: GraphQLResolveInfo, pathSuffix?: number): PredictionSite {
  const keys: (string | number)[] = [];
  for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p; p = p.prev) keys.push(p.key);
  keys.reverse();
  if (pathSuffix !== undefined) keys.push(pathSuffix);
  return { coordinate: `${info.parentType.name}.${info.fieldName}`, path: keys.join('.') };
}
