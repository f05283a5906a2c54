/**
 * Builds the predictql yoga app from loaded models. No port here: tests call `yoga.fetch`, and
 * `main.ts` serves it.
 */
import type { Tracer } from '@opentelemetry/api';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { type BatchingMode, type Config, ConfigError, defaultEntityBindingsFile } from './config.ts';
import { type CorsOrigins, defaultCorsOrigins } from './cors-policy.ts';
import { maskErrorKeepingLocations } from './errors.ts';
import { checkExamples, readExampleSets } from './examples/example-set.ts';
import { checkBindingConstants, checkBindingsAgainstModels, type EntityBinding, readEntityBindings } from './federation/entity-bindings.ts';
import { renderGraphiQLPage } from './graphiql/page.ts';
import type { PredictQLContext } from './graphql/context.ts';
import { defaultQuery } from './graphql/default-query.ts';
import { buildSchema } from './graphql/schema.ts';
import { assertSameVersionApi, buildTasks, type TaskApi } from './graphql/tasks.ts';
import { defaultGraphQLEngine, type GraphQLEngine } from './graphql-engine.ts';
import {
  assertSomeProviderInstalled,
  defaultInferenceOptions,
  InferenceService,
  ModelRegistry,
  type ModelView,
  providerFallbackWarning,
  runnersOf,
} from './inference/index.ts';
import { INFERENCE_REPORT_HEADER, type InferenceReportMode } from './inference-report/inference-report.ts';
import { ServerLifecycle } from './lifecycle.ts';
import type { Predictor } from './loaders/prediction-loaders.ts';
import { defaultPersistedOperationsMode, type PersistedOperationsMode, TrustedDocuments } from './persisted-documents.ts';
import { useBatchLimit } from './plugins/use-batch-limit.ts';
import { useBodySizeLimit } from './plugins/use-body-size-limit.ts';
import { useCompiledExecution } from './plugins/use-compiled-execution.ts';
import { useCorsPolicy } from './plugins/use-cors-policy.ts';
import { useCsrfHeader } from './plugins/use-csrf-header.ts';
import { useErrorStatus } from './plugins/use-error-status.ts';
import { useGraphiQLAssets } from './plugins/use-graphiql-assets.ts';
import { useHealth } from './plugins/use-health.ts';
import { useInferenceReport } from './plugins/use-inference-report.ts';
import { useMediaTypeCheck } from './plugins/use-media-type-check.ts';
import { type MetricsOptions, useMetrics } from './plugins/use-metrics.ts';
import { useOpenTelemetrySpans } from './plugins/use-opentelemetry-spans.ts';
import { useOverloadStatus } from './plugins/use-overload-status.ts';
import { usePersistedOperations } from './plugins/use-persisted-operations.ts';
import { usePredictionCost } from './plugins/use-prediction-cost.ts';
import { usePredictionLoaders } from './plugins/use-prediction-loaders.ts';
import { useRootRedirect } from './plugins/use-root-redirect.ts';
import { useTokenLimit } from './plugins/use-token-limit.ts';
import { useValidationLimits } from './plugins/use-validation-limits.ts';
import { defaultRequestLimits, type RequestLimits } from './request-limits.ts';

export interface Services {
  registry: ModelRegistry;
  /** Schedules every model run (batching across requests unless configured otherwise). */
  inference: InferenceService;
  /** The tasks the models serve, one typed GraphQL API each, with their examples. */
  tasks: readonly TaskApi[];
  /** How the server batches; the loaders follow it (per-field = one run per field). */
  batching: BatchingMode;
  /** Entities of a supergraph that get prediction fields (checked against the loaded models). */
  entityBindings: readonly EntityBinding[];
  /** The trusted documents manifest (PREDICTQL_TRUSTED_DOCUMENTS), when one is configured. */
  trustedDocuments?: TrustedDocuments;
}

export interface AppOptions {
  /** The models; views without a session (a GraphQL thread's) need a `predictor` that runs them elsewhere. */
  registry: ModelRegistry<ModelView>;
  tasks: readonly TaskApi[];
  /** Runs the loaders' jobs. Default: `inference` if it batches as `batching` asks, else an in-thread service that does. */
  predictor?: Predictor;
  inference?: InferenceService;
  /** Bench only: `per-field` gives the naive one-run-per-field server for comparison. */
  batching?: BatchingMode;
  /** When responses carry `extensions.inference`. Default: on request (the x-predictql-trace header). */
  inferenceReport?: InferenceReportMode;
  /** Federation entity bindings (see `src/federation/entity-bindings.ts`). Default: none. */
  entityBindings?: readonly EntityBinding[];
  logError?: (message: string, error: unknown) => void;
  /** GET /metrics (Prometheus). Default: on, with a registry of this app's own. */
  metrics?: boolean | Omit<MetricsOptions, 'inference'>;
  /** Where operation and batch spans go. Default: the global tracer (no-op unless tracing was started). */
  tracer?: Tracer;
  /** Draining (SIGTERM) makes /ready 503 and `Model.ready` false. Default: always serving. */
  lifecycle?: ServerLifecycle;
  /** Per-request limits (docs/security.md); each one not given keeps its default. */
  limits?: Partial<RequestLimits>;
  /** Answer introspection (`__schema`, `__type`). Default true: GraphiQL needs it. */
  introspection?: boolean;
  /** How operations execute: compiled by graphql-jit (default), or interpreted by graphql-js. */
  engine?: GraphQLEngine;
  /** Web origins whose pages may read answers (docs/security.md). Default: any, without credentials. */
  cors?: CorsOrigins;
  /** Persisted operations accepted: off, apq (default) or trusted-only (needs `trustedDocuments`). */
  persistedOperations?: PersistedOperationsMode;
  /** Trusted documents (their hashes resolve under apq; the only documents under trusted-only). */
  trustedDocuments?: TrustedDocuments;
  /** Bench only (bench:plugins, which measures what each plugin costs a request): plugins left out, by name. */
  omitPlugins?: readonly AppPluginName[];
}

/** The app's plugins in the order they run (appPlugins builds each; its comments say why it sits where it does). */
export const appPluginNames = [
  'compiledExecution',
  'errorStatus',
  'corsPolicy',
  'rootRedirect',
  'graphiqlAssets',
  'bodySizeLimit',
  'mediaTypeCheck',
  'csrfHeader',
  'batchLimit',
  'persistedOperations',
  'tokenLimit',
  'validationLimits',
  'health',
  'metrics',
  'inferenceReport',
  'openTelemetrySpans',
  'predictionCost',
  'predictionLoaders',
  'overloadStatus',
] as const;
export type AppPluginName = (typeof appPluginNames)[number];
type AppPlugins = NonNullable<Parameters<typeof createYoga<Record<string, unknown>, PredictQLContext>>[0]['plugins']>;

export type PredictQLApp = YogaServerInstance<Record<string, unknown>, PredictQLContext>;

/** What tests may change in `loadServices`: the models stay real, wrappers only observe or inject faults. */
export interface LoadOverrides {
  /** Wraps the loaded models (e.g. to count their runs) before the service is built over them. */
  wrapModels?: (registry: ModelRegistry) => ModelRegistry;
  /** The worker script of worker executors. */
  workerFile?: URL;
}

/** Loads every model and the examples, and builds the tasks; throws (naming the file) if anything is broken. */
export async function loadServices(
  config: Pick<Config, 'modelsDir' | 'defaultModels' | 'session'> &
    Partial<
      Pick<
        Config,
        | 'batching'
        | 'scheduler'
        | 'executors'
        | 'entityBindings'
        | 'runTimeoutMs'
        | 'trustedDocuments'
        | 'textPadding'
        | 'responseCacheBytes'
      >
    > & {
      /** Overrides `config.entityBindings` with a file that must exist. */
      entityBindingsFile?: string;
    },
  warn: (message: string) => void = console.warn,
  overrides: LoadOverrides = {},
): Promise<Services> {
  assertSomeProviderInstalled(config.session.executionProviders);
  // Sessions do not warn one by one: a CUDA fallback is one warning for all models (below).
  const loaded = await ModelRegistry.load(config.modelsDir, {
    settings: config.session,
    ...(config.textPadding ? { textPadding: config.textPadding } : {}),
  });
  const registry = overrides.wrapModels?.(loaded) ?? loaded;
  const fallback = providerFallbackWarning(
    registry.all().map((m) => ({
      name: registry.labelOf(m),
      executionProvider: m.executionProvider,
      providerFailures: m.providerFailures,
    })),
    config.session.executionProviders,
  );
  if (fallback) warn(fallback);
  // Checked before the inference service starts its workers, so a bad file leaves nothing running.
  const { tasks, entityBindings, trustedDocuments } = await loadGraphQLParts(config, registry);
  for (const name of Object.keys(config.executors?.perModel ?? {})) {
    if (!registry.get(name)) {
      throw new ConfigError(
        `PREDICTQL_EXECUTOR names a model that is not loaded (loaded: ${registry.names.join(', ')}), but got: ${JSON.stringify(name)}`,
      );
    }
  }
  const batching = config.batching ?? 'cross-request';
  const inference = await InferenceService.create(registry, {
    scheduler: { ...config.scheduler, mergeRequests: batching === 'cross-request' },
    defaultExecutor: config.executors?.default ?? defaultInferenceOptions.defaultExecutor,
    executors: config.executors?.perModel ?? {},
    runTimeoutMs: config.runTimeoutMs ?? defaultInferenceOptions.runTimeoutMs,
    responseCacheBytes: config.responseCacheBytes ?? defaultInferenceOptions.responseCacheBytes,
    workerFile: overrides.workerFile,
  });
  return { registry, inference, tasks, batching, entityBindings, ...(trustedDocuments && { trustedDocuments }) };
}

/** What the schema is built from besides the models. */
export interface GraphQLParts {
  tasks: readonly TaskApi[];
  entityBindings: EntityBinding[];
  trustedDocuments: TrustedDocuments | undefined;
}

/**
 * The tasks (with their examples), the entity bindings and the trusted documents, read and checked
 * against `registry`: by loadServices, and again by each GraphQL thread from the same files (their
 * classes do not cross threads; the owner checked them first, so a thread finds them as it did).
 */
export async function loadGraphQLParts(
  config: Pick<Config, 'modelsDir' | 'defaultModels'> &
    Partial<Pick<Config, 'entityBindings' | 'trustedDocuments'>> & {
      entityBindingsFile?: string;
    },
  registry: ModelRegistry<ModelView>,
): Promise<GraphQLParts> {
  const exampleSets = await readExampleSets(config.modelsDir);
  const tasks = buildTasks(
    registry.list().map((m) => m.manifest),
    exampleSets,
    config.defaultModels,
  );
  for (const model of registry.all()) assertSameVersionApi(registry.get(model.manifest.name)!, model);
  for (const task of tasks) {
    if (task.examples)
      checkExamples(
        task.examples,
        task.models.flatMap((name) => registry.versions(name).map((v) => registry.get(name, v)!)),
      );
  }
  const bindingsFile =
    config.entityBindingsFile !== undefined
      ? { file: config.entityBindingsFile, explicit: true }
      : 'entityBindings' in config
        ? config.entityBindings
        : { file: defaultEntityBindingsFile, explicit: false };
  let entityBindings: EntityBinding[] = [];
  if (bindingsFile) {
    entityBindings = await readEntityBindings(bindingsFile.file, { explicit: bindingsFile.explicit });
    checkBindingsAgainstModels(bindingsFile.file, entityBindings, (name) => registry.get(name)?.manifest, registry.names);
    checkBindingConstants(bindingsFile.file, entityBindings, (name) => registry.get(name)!.codec);
  }
  const trustedDocuments = config.trustedDocuments ? await TrustedDocuments.read(config.trustedDocuments) : undefined;
  return { tasks, entityBindings, trustedDocuments };
}

/**
 * The app options a server takes from its configuration, the same on the main thread (server.ts)
 * and in every GraphQL thread (threads/graphql-thread.ts): a setting added here reaches both.
 */
export function configuredAppOptions(
  config: Pick<Config, 'inferenceReport' | 'limits' | 'introspection' | 'engine' | 'cors' | 'persistedOperations'>,
): Pick<AppOptions, 'inferenceReport' | 'limits' | 'introspection' | 'engine' | 'cors' | 'persistedOperations'> {
  const { inferenceReport, limits, introspection, engine, cors, persistedOperations } = config;
  return { inferenceReport, limits, introspection, engine, cors, persistedOperations };
}

/** The app options for loaded services: the usual way to build the app. */
export function appOptions(services: Services, extra: Partial<AppOptions> = {}): AppOptions {
  const { registry, tasks, inference, batching, entityBindings, trustedDocuments } = services;
  return { registry, tasks, predictor: inference, batching, entityBindings, trustedDocuments, ...extra };
}

// Private: per-field and per-request baselines need a scheduler that does not merge requests.
function predictorFor(batching: BatchingMode, registry: ModelRegistry<ModelView>, inference: InferenceService | undefined): Predictor {
  const merge = batching === 'cross-request';
  if (inference && inference.mergesRequests === merge) return inference;
  return InferenceService.inThread(runnersOf(registry), { scheduler: { mergeRequests: merge } });
}

export function createApp(options: AppOptions): PredictQLApp {
  const { registry, tasks, batching = 'cross-request' } = options;
  const predictor = options.predictor ?? predictorFor(batching, registry, options.inference);
  // Metrics and batch spans observe the service that actually runs the jobs.
  const inference = predictor instanceof InferenceService ? predictor : options.inference;
  const lifecycle = options.lifecycle ?? new ServerLifecycle();
  const metrics = options.metrics ?? true;
  const limits: RequestLimits = { ...defaultRequestLimits, ...options.limits };
  return createYoga<Record<string, unknown>, PredictQLContext>({
    schema: buildSchema(tasks, options.entityBindings, { maxPageSize: limits.maxPageSize }),
    graphqlEndpoint: '/graphql',
    // useBodySizeLimit refuses (413) from Content-Length, or while a chunked body streams past the limit.
    maxRequestBodySize: false,
    // Arrays of operations; useBatchLimit refuses (413) more than the limit, or any when it is 0.
    batching: limits.maxBatchOperations > 0 ? { limit: limits.maxBatchOperations } : false,
    // Yoga's masking: unexpected errors reach clients as "Unexpected error." with the cause logged;
    // NODE_ENV=development would add the cause to the response: never in production.
    maskedErrors: { maskError: maskErrorKeepingLocations },
    // /health and /ready are useHealth's (JSON, readiness); yoga's built-in empty 200 answers any
    // URL ending in its endpoint, so it is moved out of the way.
    healthCheckEndpoint: '/health/yoga',
    landingPage: false,
    graphiql: {
      title: 'predictql',
      defaultQuery: defaultQuery(tasks),
      // A person exploring should see the batches that served their query (the Batches panel also
      // sends the header while it is open, whatever this says).
      headers: JSON.stringify({ [INFERENCE_REPORT_HEADER]: '1' }, null, 2),
    },
    // GraphiQL with the Batches panel, its scripts and styles from this server (no CDN): it works
    // offline and behind firewalls. useGraphiQLAssets serves the bundle.
    renderGraphiQL: renderGraphiQLPage,
    // useCorsPolicy answers CORS (yoga's own would allow any origin with credentials).
    cors: false,
    plugins: appPlugins(options, { predictor, inference, lifecycle, metrics, limits }),
  });
}

/**
 * The app's plugins by name, in the order they run: what every request goes through, in one place.
 * `omitPlugins` leaves some out (bench:plugins only: each one's cost per request is the difference).
 */
function appPlugins(
  options: AppOptions,
  built: {
    predictor: Predictor;
    inference: InferenceService | undefined;
    lifecycle: ServerLifecycle;
    metrics: AppOptions['metrics'];
    limits: RequestLimits;
  },
): AppPlugins {
  const { registry, inferenceReport, batching = 'cross-request', logError } = options;
  const { predictor, inference, lifecycle, metrics, limits } = built;
  const named: Record<AppPluginName, AppPlugins> = {
    // First: its result fixes (graphql-js's variable errors, error positions) come before the
    // plugins that read errors (statuses, metrics, spans).
    compiledExecution:
      (options.engine ?? defaultGraphQLEngine) === 'jit'
        ? [
            useCompiledExecution({
              onFallback: (reason) => logError?.(`graphql-jit cannot compile an operation, graphql-js runs it: ${reason}`, undefined),
            }).plugin,
          ]
        : [],
    errorStatus: [useErrorStatus()],
    corsPolicy: [useCorsPolicy(options.cors ?? defaultCorsOrigins)],
    rootRedirect: [useRootRedirect('/graphql')],
    graphiqlAssets: [useGraphiQLAssets()],
    bodySizeLimit: [useBodySizeLimit(limits.maxBodyBytes)],
    mediaTypeCheck: [useMediaTypeCheck()],
    csrfHeader: [useCsrfHeader()],
    batchLimit: [useBatchLimit(limits.maxBatchOperations)],
    // Before the limits: a persisted operation is held to them once its document is known.
    persistedOperations: [
      usePersistedOperations({ mode: options.persistedOperations ?? defaultPersistedOperationsMode, trusted: options.trustedDocuments }),
    ],
    tokenLimit: [useTokenLimit(limits.maxTokens)],
    validationLimits: useValidationLimits({ limits, introspection: options.introspection ?? true }),
    health: [useHealth({ lifecycle, models: () => registry.all() })],
    metrics: metrics === false ? [] : [useMetrics({ ...(metrics === true ? {} : metrics), inference })],
    inferenceReport: [useInferenceReport({ mode: inferenceReport })],
    // Before the loaders: they hand the operation's span reference to their jobs.
    openTelemetrySpans: [useOpenTelemetrySpans({ tracer: options.tracer, inference })],
    // After metrics and spans, which then see the refusal; before any prediction is asked for.
    predictionCost: [usePredictionCost({ maxPredictions: limits.maxPredictionsPerOperation })],
    predictionLoaders: [
      usePredictionLoaders({
        registry,
        predictor,
        batch: batching !== 'per-field',
        logError,
        maxTextTokens: limits.maxTextTokensPerOperation,
      }),
    ],
    overloadStatus: [useOverloadStatus()],
  };
  const omitted = new Set(options.omitPlugins ?? []);
  return appPluginNames.flatMap((name) => (omitted.has(name) ? [] : named[name]));
}
