/**
 * Server configuration from the environment and the command line (`--port 4000` sets PORT,
 * `--max-batch-size 512` sets PREDICTQL_MAX_BATCH_SIZE; a flag wins over the variable). Every
 * value is checked at start; a bad one stops the server with a message that states the contract
 * and echoes what was given. `--help` lists every variable (helpText).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  defaultGraphQLThreads,
  defaultHost,
  defaultPort,
  defaultShutdownTimeoutMs,
  flagName,
  maxGraphQLThreads,
  parseCommandLine,
} from './config-variables.ts';
import { type CorsOrigins, defaultCorsOrigins, isOrigin } from './cors-policy.ts';
import { defaultGraphQLEngine, type GraphQLEngine, graphQLEngines } from './graphql-engine.ts';
import {
  defaultInferenceOptions,
  defaultSchedulerOptions,
  defaultSessionSettings,
  type ExecutionProviderName,
  type ExecutorChoice,
  type GraphOptimizationLevel,
  type SchedulerOptions,
  type SessionSettings,
} from './inference/index.ts';
import { defaultInferenceReportMode, type InferenceReportMode } from './inference-report/inference-report.ts';
import { defaultModelControlOptions, type ModelControlOptions, modelControlModes } from './model-control/model-control-options.ts';
import { defaultPersistedOperationsMode, type PersistedOperationsMode, persistedOperationsModes } from './persisted-documents.ts';
import { defaultRequestLimits, type RequestLimits } from './request-limits.ts';

export {
  type CommandLine,
  ConfigError,
  type ConfigVariable,
  configVariables,
  flagName,
  helpText,
  parseCommandLine,
} from './config-variables.ts';

/**
 * `cross-request` (default): per-request loaders, and a scheduler merging concurrent requests.
 * `per-request`: loaders only. `per-field`: one run per field. The last two exist for benchmarks.
 */
export type BatchingMode = 'cross-request' | 'per-request' | 'per-field';

export interface Config {
  port: number;
  host: string;
  /** One sub-folder per model; `*.examples.json` files beside them give tasks their examples. */
  modelsDir: string;
  /**
   * The entity bindings file; `explicit` when it was asked for (then it must exist). Unset, the
   * shipped file binds the shipped models, so it is read only with the shipped models folder.
   */
  entityBindings: { file: string; explicit: boolean } | undefined;
  /** Models that answer their task's fields when `model:` is not given (else each task's manifests decide). */
  defaultModels: string[];
  /** When responses carry `extensions.inference` (the inference report). */
  inferenceReport: InferenceReportMode;
  session: SessionSettings;
  batching: BatchingMode;
  /** How a text model's runs are padded: to their longest row, or to maxTokens (a benchmark baseline). */
  textPadding: 'longest' | 'max';
  scheduler: Omit<SchedulerOptions, 'mergeRequests' | 'isolateFailures'>;
  executors: { default: ExecutorChoice; perModel: Record<string, ExecutorChoice> };
  /** Worker executors: fail a run (and replace the worker) after this long; 0 = never. */
  runTimeoutMs: number;
  /** The response cache's bound in bytes; 0 = off. */
  responseCacheBytes: number;
  /** Threads that execute GraphQL (`auto` resolved); 1 = everything on the main thread, as before threads existed. */
  graphqlThreads: number;
  /** On SIGTERM/SIGINT: the most time to finish in-flight work before exiting 1. */
  shutdownTimeoutMs: number;
  /** What may change the served models while serving (src/model-control/). */
  modelControl: ModelControlOptions;
  /** Serve GET /metrics. */
  metrics: boolean;
  /** OpenTelemetry spans (exported elsewhere), from the standard OTEL_* variables. */
  openTelemetry: OpenTelemetryConfig;
  /** Per-request limits: body size, tokens, depth, aliases, directives, batch, page size, predictions. */
  limits: RequestLimits;
  /** Answer `__schema`/`__type` (GraphiQL needs it); off also hides "Did you mean" suggestions. */
  introspection: boolean;
  /** How operations execute (use-compiled-execution.ts). */
  engine: GraphQLEngine;
  /** Web origins whose pages may read answers: `*` (without credentials) or a list (with). */
  cors: CorsOrigins;
  /** What persisted operations are accepted: off, apq, trusted-only. */
  persistedOperations: PersistedOperationsMode;
  /** The trusted documents manifest file, if any (required by trusted-only). */
  trustedDocuments?: string;
}

/** OpenTelemetry tracing, from the standard OTEL_* variables: off unless an exporter is asked for. */
export interface OpenTelemetryConfig {
  exporters: ('otlp' | 'console')[];
}

export const defaultModelsDir = fileURLToPath(new URL('../models', import.meta.url));
/** The shipped example bindings (PREDICTQL_ENTITY_BINDINGS); a missing default file binds nothing. */
export const defaultEntityBindingsFile = fileURLToPath(new URL('../schema/entity-bindings.json', import.meta.url));

/**
 * The configuration from `env` and the command line `argv` (flags win). Throws ConfigError naming
 * the variable (or the flag, when the value came from one).
 */
export function readConfig(environment: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): Config {
  const { values } = parseCommandLine(argv);
  const env: NodeJS.ProcessEnv = { ...environment, ...values };
  const label = (name: string) => (name in values ? `${flagName(name)} (${name})` : name);
  const modelsDir = env.PREDICTQL_MODELS_DIR || defaultModelsDir;
  return {
    port: getInteger(env, 'PORT', defaultPort, 0, 65535, label),
    host: env.HOST || defaultHost,
    modelsDir,
    entityBindings: env.PREDICTQL_ENTITY_BINDINGS
      ? { file: env.PREDICTQL_ENTITY_BINDINGS, explicit: true }
      : resolve(modelsDir) === defaultModelsDir
        ? { file: defaultEntityBindingsFile, explicit: false }
        : undefined,
    defaultModels: getNames(env, 'PREDICTQL_DEFAULT_MODEL', label),
    inferenceReport: getChoice(env, 'PREDICTQL_INFERENCE_REPORT', ['header', 'always', 'off'] as const, defaultInferenceReportMode, label),
    session: {
      intraOpThreads: getInteger(env, 'PREDICTQL_INTRA_OP_THREADS', defaultSessionSettings.intraOpThreads, 1, 64, label),
      interOpThreads: defaultSessionSettings.interOpThreads,
      graphOptimization: getChoice<GraphOptimizationLevel>(
        env,
        'PREDICTQL_GRAPH_OPTIMIZATION',
        ['disabled', 'basic', 'extended', 'all'],
        defaultSessionSettings.graphOptimization,
        label,
      ),
      executionProviders: getProviders(env, label),
    },
    batching: getChoice(env, 'PREDICTQL_BATCHING', ['cross-request', 'per-request', 'per-field'] as const, 'cross-request', label),
    textPadding: getChoice(env, 'PREDICTQL_TEXT_PADDING', ['longest', 'max'] as const, 'longest', label),
    scheduler: {
      maxBatchSize: getInteger(env, 'PREDICTQL_MAX_BATCH_SIZE', defaultSchedulerOptions.maxBatchSize, 1, 1_048_576, label),
      maxQueueDelayMs: getInteger(env, 'PREDICTQL_MAX_QUEUE_DELAY_MS', defaultSchedulerOptions.maxQueueDelayMs, 0, 10_000, label),
      maxQueueSize: getInteger(env, 'PREDICTQL_MAX_QUEUE_SIZE', defaultSchedulerOptions.maxQueueSize, 1, 16_777_216, label),
      queueTimeoutMs: getInteger(env, 'PREDICTQL_QUEUE_TIMEOUT_MS', defaultSchedulerOptions.queueTimeoutMs, 0, 600_000, label),
      maxBatchTokens: getInteger(env, 'PREDICTQL_MAX_BATCH_TOKENS', defaultSchedulerOptions.maxBatchTokens, 16, 16_777_216, label),
    },
    executors: getExecutors(env, label),
    runTimeoutMs: getInteger(env, 'PREDICTQL_RUN_TIMEOUT_MS', defaultInferenceOptions.runTimeoutMs, 0, 600_000, label),
    responseCacheBytes: getInteger(
      env,
      'PREDICTQL_RESPONSE_CACHE_BYTES',
      defaultInferenceOptions.responseCacheBytes,
      0,
      1_099_511_627_776,
      label,
    ),
    graphqlThreads: getGraphQLThreads(env, label),
    shutdownTimeoutMs: getInteger(env, 'PREDICTQL_SHUTDOWN_TIMEOUT_MS', defaultShutdownTimeoutMs, 100, 600_000, label),
    modelControl: {
      ...defaultModelControlOptions,
      mode: getChoice(env, 'PREDICTQL_MODEL_CONTROL', modelControlModes, defaultModelControlOptions.mode, label),
      pollIntervalMs: getInteger(env, 'PREDICTQL_MODEL_POLL_INTERVAL_MS', defaultModelControlOptions.pollIntervalMs, 100, 3_600_000, label),
      adminPort: getInteger(env, 'PREDICTQL_ADMIN_PORT', defaultModelControlOptions.adminPort, 0, 65535, label),
    },
    metrics: getChoice(env, 'PREDICTQL_METRICS', ['on', 'off'] as const, 'on', label) === 'on',
    openTelemetry: getOpenTelemetry(env),
    limits: getLimits(env, label),
    introspection: getChoice(env, 'PREDICTQL_INTROSPECTION', ['on', 'off'] as const, 'on', label) === 'on',
    engine: getChoice(env, 'PREDICTQL_GRAPHQL_ENGINE', graphQLEngines, defaultGraphQLEngine, label),
    ...getClientSettings(env, label),
  };
}

// Private: a comma-separated list of model names (empty when unset).
function getNames(env: NodeJS.ProcessEnv, name: string, label: Label): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const names = raw.split(',').map((s) => s.trim());
  if (names.some((n) => !/^[a-z0-9][a-z0-9._-]*$/.test(n)) || new Set(names).size !== names.length) {
    throw new ConfigError(`${label(name)} must be a comma-separated list of distinct model names, but got: ${JSON.stringify(raw)}`);
  }
  return names;
}

// Clients: CORS and persisted operations.
function getClientSettings(env: NodeJS.ProcessEnv, label: Label): Pick<Config, 'cors' | 'persistedOperations' | 'trustedDocuments'> {
  const persistedOperations = getChoice(
    env,
    'PREDICTQL_PERSISTED_OPERATIONS',
    persistedOperationsModes,
    defaultPersistedOperationsMode,
    label,
  );
  const trustedDocuments = env.PREDICTQL_TRUSTED_DOCUMENTS || undefined;
  if (persistedOperations === 'trusted-only' && !trustedDocuments) {
    throw new ConfigError(
      `${label('PREDICTQL_PERSISTED_OPERATIONS')}=trusted-only needs ${label('PREDICTQL_TRUSTED_DOCUMENTS')}, the manifest of ` +
        `trusted documents (a persisted-documents.json), but got: nothing`,
    );
  }
  return { cors: getCorsOrigins(env, label), persistedOperations, ...(trustedDocuments ? { trustedDocuments } : {}) };
}

function getCorsOrigins(env: NodeJS.ProcessEnv, label: Label): CorsOrigins {
  const raw = env.PREDICTQL_CORS_ORIGINS;
  if (raw === undefined || raw.trim() === '') return defaultCorsOrigins;
  if (raw.trim() === '*') return '*';
  const origins = raw.split(',').map((s) => s.trim());
  const bad = origins.filter((o) => !isOrigin(o));
  if (bad.length > 0) {
    throw new ConfigError(
      `${label('PREDICTQL_CORS_ORIGINS')} must be * or a comma-separated list of origins as browsers send them ` +
        `(scheme://host[:port], lowercase, no path or trailing slash, e.g. https://app.example.com), but got: ${JSON.stringify(raw)}`,
    );
  }
  return [...new Set(origins)];
}

function getOpenTelemetry(env: NodeJS.ProcessEnv): OpenTelemetryConfig {
  const disabled = getChoice(env, 'OTEL_SDK_DISABLED', ['true', 'false'] as const, 'false');
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
    const raw = env[name];
    if (raw && !/^https?:\/\/[^\s/]+/.test(raw)) {
      throw new ConfigError(`${name} must be an http:// or https:// URL, but got: ${JSON.stringify(raw)}`);
    }
  }
  const raw = env.OTEL_TRACES_EXPORTER;
  let names: string[];
  if (raw === undefined || raw.trim() === '') {
    // The SDK's own default is otlp; predictql traces only when asked, and an endpoint is asking.
    names = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ['otlp'] : [];
  } else {
    names = raw.split(',').map((s) => s.trim().toLowerCase());
    if (names.some((n) => !['otlp', 'console', 'none'].includes(n)) || new Set(names).size !== names.length) {
      throw new ConfigError(
        `OTEL_TRACES_EXPORTER must be a comma-separated list of distinct exporters from otlp, console, ` +
          `none, but got: ${JSON.stringify(raw)}`,
      );
    }
    if (names.includes('none')) names = [];
  }
  return { exporters: disabled === 'true' ? [] : (names as OpenTelemetryConfig['exporters']) };
}

/** Where Node's listen({ reusePort }) works (its docs: Linux 3.9+, FreeBSD 12.0+, …). */
const reusePortPlatforms: readonly string[] = ['linux', 'freebsd', 'sunos', 'aix'];

type Label = (name: string) => string;
const plain: Label = (name) => name;

function getLimits(env: NodeJS.ProcessEnv, label: Label): RequestLimits {
  const d = defaultRequestLimits;
  return {
    maxBodyBytes: getInteger(env, 'PREDICTQL_MAX_BODY_BYTES', d.maxBodyBytes, 1024, 1_073_741_824, label),
    maxTokens: getInteger(env, 'PREDICTQL_MAX_TOKENS', d.maxTokens, 100, 10_000_000, label),
    maxDepth: getInteger(env, 'PREDICTQL_MAX_DEPTH', d.maxDepth, 2, 1000, label),
    maxAliases: getInteger(env, 'PREDICTQL_MAX_ALIASES', d.maxAliases, 0, 1_000_000, label),
    maxDirectives: getInteger(env, 'PREDICTQL_MAX_DIRECTIVES', d.maxDirectives, 0, 100_000, label),
    maxBatchOperations: getInteger(env, 'PREDICTQL_MAX_BATCH_OPERATIONS', d.maxBatchOperations, 0, 1000, label),
    maxPageSize: getInteger(env, 'PREDICTQL_MAX_PAGE_SIZE', d.maxPageSize, 1, 1_000_000, label),
    maxPredictionsPerOperation: getInteger(
      env,
      'PREDICTQL_MAX_PREDICTIONS_PER_OPERATION',
      d.maxPredictionsPerOperation,
      1,
      16_777_216,
      label,
    ),
    maxTextTokensPerOperation: getInteger(
      env,
      'PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION',
      d.maxTextTokensPerOperation,
      2,
      1_073_741_824,
      label,
    ),
  };
}

// An integer, or auto: one thread per core this process may use (a container's CPU limit included),
// where the threads can share the port (SO_REUSEPORT for Node's listen); elsewhere one.
function getGraphQLThreads(env: NodeJS.ProcessEnv, label: Label): number {
  const raw = env.PREDICTQL_GRAPHQL_THREADS;
  const value = raw === undefined || raw.trim() === '' ? defaultGraphQLThreads : raw.trim();
  if (value === 'auto') return reusePortPlatforms.includes(process.platform) ? Math.min(availableParallelism(), maxGraphQLThreads) : 1;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > maxGraphQLThreads) {
    throw new ConfigError(
      `${label('PREDICTQL_GRAPHQL_THREADS')} must be auto or an integer within [1, ${maxGraphQLThreads}], but got: ${JSON.stringify(raw)}`,
    );
  }
  return Number(value);
}

function getExecutors(env: NodeJS.ProcessEnv, label: Label): Config['executors'] {
  const raw = env.PREDICTQL_EXECUTOR;
  const choices = ['auto', 'main', 'worker'];
  const result: Config['executors'] = { default: defaultInferenceOptions.defaultExecutor, perModel: {} };
  if (raw === undefined || raw === '') return result;
  const fail = (): never => {
    throw new ConfigError(
      `${label('PREDICTQL_EXECUTOR')} must be one of auto, main, worker, or a list like "model-a=main,model-b=worker", ` +
        `but got: ${JSON.stringify(raw)}`,
    );
  };
  for (const part of raw.split(',').map((s) => s.trim())) {
    const [name, choice] = part.includes('=') ? part.split('=').map((s) => s.trim()) : [undefined, part];
    if (!choice || !choices.includes(choice) || name === '') fail();
    if (name === undefined) result.default = choice as ExecutorChoice;
    else result.perModel[name] = choice as ExecutorChoice;
  }
  return result;
}

function getInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, label: Label = plain): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${label(name)} must be an integer within [${min}, ${max}], but got: ${JSON.stringify(raw)}`);
  }
  return value;
}

function getChoice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T, label: Label = plain): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${label(name)} must be one of ${choices.join(', ')}, but got: ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function getProviders(env: NodeJS.ProcessEnv, label: Label): ExecutionProviderName[] {
  const raw = env.PREDICTQL_EXECUTION_PROVIDERS;
  if (raw === undefined || raw === '') return [...defaultSessionSettings.executionProviders];
  const names = raw.split(',').map((s) => s.trim().toLowerCase());
  const bad = names.filter((n) => n !== 'cpu' && n !== 'cuda');
  if (bad.length > 0 || new Set(names).size !== names.length) {
    throw new ConfigError(
      `${label('PREDICTQL_EXECUTION_PROVIDERS')} must be a comma-separated list of distinct providers ` +
        `from cpu, cuda, but got: ${JSON.stringify(raw)}`,
    );
  }
  return names as ExecutionProviderName[];
}
