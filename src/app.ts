/**
 * Builds the predictql yoga app from loaded models. No port here: tests call `yoga.fetch`, and
 * `main.ts` serves it.
 */
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.ts';
import { ModelRegistry } from './inference/registry.ts';
import { InferenceService } from './inference/inference-service.ts';
import type { Predictor } from './loaders/prediction-loaders.ts';
import { SampleCatalog } from './samples/sample-catalog.ts';
import type { PredictQLContext } from './graphql/context.ts';
import { buildSchema } from './graphql/schema.ts';
import { assertSameTask, taskFromManifest } from './graphql/task.ts';
import { usePredictionLoaders } from './plugins/use-prediction-loaders.ts';
import { TRACE_HEADER, usePredictionTrace, type TraceMode } from './plugins/use-prediction-trace.ts';
import { useOverloadStatus } from './plugins/use-overload-status.ts';
import { defaultQuery } from './graphql/default-query.ts';
import type { BatchingMode } from './config.ts';

export interface Services {
  registry: ModelRegistry;
  /** Schedules every model run (batching across requests unless configured otherwise). */
  inference: InferenceService;
  catalog: SampleCatalog;
  defaultModel: string;
  /** How the server batches; the loaders follow it (per-field = one run per field). */
  batching: BatchingMode;
}

export interface AppOptions {
  registry: ModelRegistry;
  catalog: SampleCatalog;
  defaultModel: string;
  /** Runs the loaders' jobs. Default: `inference` if it batches as `batching` asks, else an in-thread service that does. */
  predictor?: Predictor;
  inference?: InferenceService;
  /** Bench only: `per-field` gives the naive one-run-per-field server for comparison. */
  batching?: BatchingMode;
  trace?: TraceMode;
  logError?: (message: string, error: unknown) => void;
}

export type PredictQLApp = YogaServerInstance<Record<string, unknown>, PredictQLContext>;

/** Loads every model and the sample catalog; throws (naming the file) if anything is broken. */
export async function loadServices(
  config: Pick<Config, 'modelsDir' | 'samplesFile' | 'defaultModel' | 'session'> & Partial<Pick<Config, 'batching' | 'scheduler' | 'executors'>>,
  warn: (message: string) => void = console.warn,
): Promise<Services> {
  const registry = await ModelRegistry.load(config.modelsDir, { settings: config.session, warn });
  const defaultRunner = registry.get(config.defaultModel);
  if (!defaultRunner) {
    throw new Error(`The default model "${config.defaultModel}" is not among the loaded models: ${registry.names.join(', ')}.`);
  }
  const task = taskFromManifest(defaultRunner.manifest);
  for (const model of registry.list()) assertSameTask(task, model.manifest);
  const catalog = await SampleCatalog.load(config.samplesFile, task.features);
  const batching = config.batching ?? 'cross-request';
  const inference = await InferenceService.create(registry, {
    scheduler: { ...config.scheduler, mergeRequests: batching === 'cross-request' },
    defaultExecutor: config.executors?.default ?? 'auto',
    executors: config.executors?.perModel ?? {},
  });
  return { registry, inference, catalog, defaultModel: config.defaultModel, batching };
}

/** The app options for loaded services: the usual way to build the app. */
export function appOptions(services: Services, extra: Partial<AppOptions> = {}): AppOptions {
  const { registry, catalog, defaultModel, inference, batching } = services;
  return { registry, catalog, defaultModel, predictor: inference, batching, ...extra };
}

// Private: per-field and per-request baselines need a scheduler that does not merge requests.
function predictorFor(batching: BatchingMode, registry: ModelRegistry, inference: InferenceService | undefined): Predictor {
  const merge = batching === 'cross-request';
  if (inference && inference.mergesRequests === merge) return inference;
  return InferenceService.inThread(registry, { scheduler: { mergeRequests: merge } });
}

export function createApp(options: AppOptions): PredictQLApp {
  const { registry, catalog, defaultModel, trace = 'header', batching = 'cross-request', logError } = options;
  const predictor = options.predictor ?? predictorFor(batching, registry, options.inference);
  const task = taskFromManifest(registry.get(defaultModel)!.manifest);
  return createYoga<Record<string, unknown>, PredictQLContext>({
    schema: buildSchema(task),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: {
      title: 'predictql',
      defaultQuery: defaultQuery(task),
      // A person exploring should see the batches that served their query.
      headers: JSON.stringify({ [TRACE_HEADER]: '1' }, null, 2),
    },
    plugins: [
      usePredictionTrace({ mode: trace }),
      usePredictionLoaders({ registry, predictor, catalog, defaultModel, batch: batching !== 'per-field', logError }),
      useOverloadStatus(),
    ],
  });
}
