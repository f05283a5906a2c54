/**
 * Server configuration from the environment and the command line (`--port 4000` sets PORT,
 * `--max-batch-size 512` sets PREDICTQL_MAX_BATCH_SIZE; a flag wins over the variable). Every
 * value is checked at start; a bad one stops the server with a message that states the contract
 * and echoes what was given. `--help` lists every variable (helpText).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ExecutionProviderName, GraphOptimizationLevel, SessionSettings } from './inference/session-options.ts';
import type { TraceMode } from './plugins/use-prediction-trace.ts';
import type { ExecutorChoice } from './inference/inference-service.ts';
import type { SchedulerOptions } from './inference/scheduler/scheduler-options.ts';
import { defaultRequestLimits, type RequestLimits } from './request-limits.ts';

/**
 * `cross-request` (default): per-request loaders, and a scheduler merging concurrent requests.
 * `per-request`: loaders only. `per-field`: one run per field. The last two exist for benchmarks.
 */
export type BatchingMode = 'cross-request' | 'per-request' | 'per-field';

export interface Config {
  port: number;
  host: string;
  modelsDir: string;
  samplesFile: string;
  defaultModel: string;
  trace: TraceMode;
  session: SessionSettings;
  batching: BatchingMode;
  scheduler: Omit<SchedulerOptions, 'mergeRequests' | 'isolateFailures'>;
  executors: { default: ExecutorChoice; perModel: Record<string, ExecutorChoice> };
  /** On SIGTERM/SIGINT: the most time to finish in-flight work before exiting 1. */
  shutdownTimeoutMs: number;
  /** Serve GET /metrics. */
  metrics: boolean;
  tracing: TracingConfig;
  /** Per-request limits: body size, tokens, depth, aliases, directives, batch, page size, predictions. */
  limits: RequestLimits;
  /** Answer `__schema`/`__type` (GraphiQL needs it); off also hides "Did you mean" suggestions. */
  introspection: boolean;
}

/** OpenTelemetry tracing, from the standard OTEL_* variables: off unless an exporter is asked for. */
export interface TracingConfig {
  exporters: ('otlp' | 'console')[];
}

export const defaultModelsDir = fileURLToPath(new URL('../models', import.meta.url));

/** Documented in README "Configuration"; keep both in step. */
export const configVariables = {
  PORT: 'TCP port to listen on (0-65535; 0 = any free port). Default 4000.',
  HOST: 'Address to bind. Default 0.0.0.0.',
  PREDICTQL_MODELS_DIR: 'Folder with one sub-folder per model. Default ./models.',
  PREDICTQL_SAMPLES_FILE: 'Sample catalog JSON. Default <models dir>/sample-requests.json.',
  PREDICTQL_DEFAULT_MODEL: 'Model used when a field names none; it also defines the schema\'s features. Default request-latency.',
  PREDICTQL_TRACE: 'header (trace when x-predictql-trace: 1), always, or off. Default header.',
  PREDICTQL_INTRA_OP_THREADS: 'onnxruntime intra-op threads per model (1-64). Default 1 (measured fastest on 2 cores).',
  PREDICTQL_GRAPH_OPTIMIZATION: 'onnxruntime graph optimization: disabled, basic, extended or all. Default all.',
  PREDICTQL_EXECUTION_PROVIDERS: 'Comma-separated preference list of cpu, cuda. Default cpu. Unusable CUDA falls back to the next with a warning.',
  PREDICTQL_BATCHING: 'cross-request (default), per-request or per-field. The last two are baselines for benchmarks.',
  PREDICTQL_MAX_BATCH_SIZE: 'Most rows in one model run; larger jobs are split (1-1048576). Default 4096.',
  PREDICTQL_MAX_QUEUE_DELAY_MS: 'Extra wait for more work before running an idle model (0-10000 ms). Default 0: no timer.',
  PREDICTQL_MAX_QUEUE_SIZE: 'Most rows queued per model before new work is refused with OVERLOADED (1-16777216). Default 65536.',
  PREDICTQL_QUEUE_TIMEOUT_MS: 'Refuse (OVERLOADED) work still queued after this long (0-600000 ms; 0 = never). Default 0.',
  PREDICTQL_EXECUTOR: 'auto, main or worker, or per model: "request-latency=main,request-latency-gbdt=worker". Default auto: worker when a 1000-row run takes > 2 ms.',
  PREDICTQL_SHUTDOWN_TIMEOUT_MS: 'On SIGTERM/SIGINT, the most time to finish in-flight requests and batches; past it the server exits 1 (100-600000 ms). Default 10000.',
  PREDICTQL_METRICS: 'on or off: serve Prometheus metrics at GET /metrics. Default on.',
  PREDICTQL_MAX_BODY_BYTES: 'Largest request body in bytes; larger ones get 413 REQUEST_ENTITY_TOO_LARGE before they are read (1024-1073741824). Default 1048576 (1 MiB).',
  PREDICTQL_MAX_TOKENS: 'Most lexical tokens in a GraphQL document; more is 400 TOKEN_LIMIT_EXCEEDED (100-10000000). Default 50000 (1000 aliased predictions with inline inputs take 37000).',
  PREDICTQL_MAX_DEPTH: 'Deepest selection, fragments flattened and introspection included; deeper is 400 DEPTH_LIMIT_EXCEEDED (2-1000). Default 20 (GraphiQL\'s introspection query has depth 15).',
  PREDICTQL_MAX_ALIASES: 'Most aliases in one operation; more is 400 ALIAS_LIMIT_EXCEEDED (0-1000000). Default 2000.',
  PREDICTQL_MAX_DIRECTIVES: 'Most directives in one document; more is 400 DIRECTIVE_LIMIT_EXCEEDED (0-100000). Default 50.',
  PREDICTQL_MAX_BATCH_OPERATIONS: 'Most operations in one HTTP batch (a JSON array body); more is 413 BATCH_LIMIT_EXCEEDED; 0 refuses batches (0-1000). Default 10.',
  PREDICTQL_MAX_PAGE_SIZE: 'Largest sampleRequests(first:); more is BAD_USER_INPUT on that field (1-1000000). Default 5000.',
  PREDICTQL_MAX_PREDICTIONS_PER_OPERATION: 'Most predictions one operation may compute (prediction fields × list sizes, counted before execution); more is 400 PREDICTION_LIMIT_EXCEEDED (1-16777216). Default 10000.',
  PREDICTQL_INTROSPECTION: 'on or off: answer __schema/__type queries (GraphiQL needs them); off also hides "Did you mean" suggestions. Default on; consider off for a public endpoint.',
  OTEL_TRACES_EXPORTER: 'Comma-separated list of otlp, console, none. Setting otlp or console turns OpenTelemetry tracing on. Default: none (tracing off), or otlp when an OTLP endpoint is set.',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'OTLP/HTTP collector base URL (spans go to <url>/v1/traces); setting it turns tracing on. Default unset.',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'Full OTLP/HTTP traces URL, overriding the above; setting it turns tracing on. Default unset.',
  OTEL_SERVICE_NAME: 'service.name of the spans. Default predictql.',
  OTEL_TRACES_SAMPLER: 'Standard sampler name (e.g. parentbased_traceidratio, with OTEL_TRACES_SAMPLER_ARG=0.1). Default parentbased_always_on.',
  OTEL_SDK_DISABLED: 'true turns tracing off whatever else is set. Default false.',
} as const;

export type ConfigVariable = keyof typeof configVariables;

/** Variables read by the OpenTelemetry SDK itself: documented, but not command-line flags. */
const environmentOnly = (name: string): boolean => name.startsWith('OTEL_');

/** `PREDICTQL_MAX_BATCH_SIZE` → `--max-batch-size`, `PORT` → `--port`. */
export function flagName(variable: string): string {
  return `--${variable.replace(/^PREDICTQL_/, '').toLowerCase().replace(/_/g, '-')}`;
}


export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface CommandLine {
  help: boolean;
  /** Variable values given as flags. */
  values: Record<string, string>;
}

/** Reads `--name value`, `--name=value` and `--help`/`-h`; throws ConfigError on anything else. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const byFlag = new Map<string, string>();
  for (const name of Object.keys(configVariables)) if (!environmentOnly(name)) byFlag.set(flagName(name), name);
  const result: CommandLine = { help: false, values: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      result.help = true;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const variable = byFlag.get(flag);
    if (!variable) {
      throw new ConfigError(
        arg.startsWith('-')
          ? `Unknown option ${JSON.stringify(flag)}; run with --help to list the options.`
          : `Arguments must be options like --port 4000, but got: ${JSON.stringify(arg)}`,
      );
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new ConfigError(`${flag} must be followed by a value (${flag} <value> or ${flag}=<value>), but got: nothing`);
    }
    result.values[variable] = value;
  }
  return result;
}

/** What `--help` prints: usage, then every variable with its flag, contract and default. */
export function helpText(): string {
  const lines = [
    'Usage: npm start -- [options]    (or: node src/main.ts [options])',
    '',
    'predictql: a GraphQL prediction API. Each option is also an environment variable; a flag wins',
    'over the variable. Metrics at GET /metrics, health at GET /health and GET /ready.',
    '',
  ];
  for (const [name, description] of Object.entries(configVariables)) {
    lines.push(environmentOnly(name) ? `  ${name} (environment only)` : `  ${flagName(name)} <value>, ${name}`);
    lines.push(`      ${description}`);
  }
  lines.push('  --help, -h', '      Print this help and exit.', '');
  return lines.join('\n');
}

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
    port: getInteger(env, 'PORT', 4000, 0, 65535, label),
    host: env.HOST || '0.0.0.0',
    modelsDir,
    samplesFile: env.PREDICTQL_SAMPLES_FILE || join(modelsDir, 'sample-requests.json'),
    defaultModel: env.PREDICTQL_DEFAULT_MODEL || 'request-latency',
    trace: getChoice(env, 'PREDICTQL_TRACE', ['header', 'always', 'off'] as const, 'header', label),
    session: {
      intraOpThreads: getInteger(env, 'PREDICTQL_INTRA_OP_THREADS', 1, 1, 64, label),
      interOpThreads: 1,
      graphOptimization: getChoice<GraphOptimizationLevel>(
        env,
        'PREDICTQL_GRAPH_OPTIMIZATION',
        ['disabled', 'basic', 'extended', 'all'],
        'all',
        label,
      ),
      executionProviders: getProviders(env, label),
    },
    batching: getChoice(env, 'PREDICTQL_BATCHING', ['cross-request', 'per-request', 'per-field'] as const, 'cross-request', label),
    scheduler: {
      maxBatchSize: getInteger(env, 'PREDICTQL_MAX_BATCH_SIZE', 4096, 1, 1_048_576, label),
      maxQueueDelayMs: getInteger(env, 'PREDICTQL_MAX_QUEUE_DELAY_MS', 0, 0, 10_000, label),
      maxQueueSize: getInteger(env, 'PREDICTQL_MAX_QUEUE_SIZE', 65_536, 1, 16_777_216, label),
      queueTimeoutMs: getInteger(env, 'PREDICTQL_QUEUE_TIMEOUT_MS', 0, 0, 600_000, label),
    },
    executors: getExecutors(env, label),
    shutdownTimeoutMs: getInteger(env, 'PREDICTQL_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000, label),
    metrics: getChoice(env, 'PREDICTQL_METRICS', ['on', 'off'] as const, 'on', label) === 'on',
    tracing: getTracing(env),
    limits: getLimits(env, label),
    introspection: getChoice(env, 'PREDICTQL_INTROSPECTION', ['on', 'off'] as const, 'on', label) === 'on',
  };
}

function getTracing(env: NodeJS.ProcessEnv): TracingConfig {
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
      throw new ConfigError(`OTEL_TRACES_EXPORTER must be a comma-separated list of distinct exporters from otlp, console, none, but got: ${JSON.stringify(raw)}`);
    }
    if (names.includes('none')) names = [];
  }
  return { exporters: disabled === 'true' ? [] : (names as TracingConfig['exporters']) };
}

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
    maxPredictionsPerOperation: getInteger(env, 'PREDICTQL_MAX_PREDICTIONS_PER_OPERATION', d.maxPredictionsPerOperation, 1, 16_777_216, label),
  };
}

function getExecutors(env: NodeJS.ProcessEnv, label: Label): Config['executors'] {
  const raw = env.PREDICTQL_EXECUTOR;
  const choices = ['auto', 'main', 'worker'];
  const result: Config['executors'] = { default: 'auto', perModel: {} };
  if (raw === undefined || raw === '') return result;
  const fail = (): never => {
    throw new ConfigError(
      `${label('PREDICTQL_EXECUTOR')} must be one of auto, main, worker, or a list like "model-a=main,model-b=worker", but got: ${JSON.stringify(raw)}`,
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
  if (raw === undefined || raw === '') return ['cpu'];
  const names = raw.split(',').map((s) => s.trim().toLowerCase());
  const bad = names.filter((n) => n !== 'cpu' && n !== 'cuda');
  if (bad.length > 0 || new Set(names).size !== names.length) {
    throw new ConfigError(
      `${label('PREDICTQL_EXECUTION_PROVIDERS')} must be a comma-separated list of distinct providers from cpu, cuda, but got: ${JSON.stringify(raw)}`,
    );
  }
  return names as ExecutionProviderName[];
}
