/**
 * Builds the predictql yoga app from loaded models. No port here: tests call `yoga.fetch`, and
 * `main.ts` serves it.
 */
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.ts';
import { ModelRegistry } from './inference/registry.ts';
import type { BatchingMode } from './loaders/prediction-loaders.ts';
import { SampleCatalog } from './samples/sample-catalog.ts';
import type { PredictQLContext } from './graphql/context.ts';
import { buildSchema } from './graphql/schema.ts';
import { assertSameTask, taskFromManifest } from './graphql/task.ts';
import { usePredictionLoaders } from './plugins/use-prediction-loaders.ts';
import { TRACE_HEADER, usePredictionTrace, type TraceMode } from './plugins/use-prediction-trace.ts';
import { defaultQuery } from './graphql/default-query.ts';

export interface Services {
  registry: ModelRegistry;
  catalog: SampleCatalog;
  defaultModel: string;
}

export interface AppOptions extends Services {
  trace?: TraceMode;
  /** Bench only: `per-field` makes the naive one-run-per-field server for comparison. */
  batching?: BatchingMode;
  logError?: (message: string, error: unknown) => void;
}

export type PredictQLApp = YogaServerInstance<Record<string, unknown>, PredictQLContext>;

/** Loads every model and the sample catalog; throws (naming the file) if anything is broken. */
export async function loadServices(
  config: Pick<Config, 'modelsDir' | 'samplesFile' | 'defaultModel' | 'session'>,
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
  return { registry, catalog, defaultModel: config.defaultModel };
}

export function createApp(options: AppOptions): PredictQLApp {
  const { registry, catalog, defaultModel, trace = 'header', batching = 'per-request', logError } = options;
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
      usePredictionLoaders({ registry, catalog, defaultModel, batching, logError }),
    ],
  });
}
