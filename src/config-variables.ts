/**
 * Every setting predictql reads, documented once: the environment variables, their command-line
 * flags (`PREDICTQL_MAX_BATCH_SIZE` is `--max-batch-size`), and `--help`. docs/configuration.md
 * is generated from this table (`npm run docs`) and drift-checked by `npm test`. Defaults are
 * read from the module that owns each setting, so the text cannot disagree with the code.
 */
import { defaultCorsOrigins } from './cors-policy.ts';
import { defaultInferenceOptions, defaultSchedulerOptions, defaultSessionSettings } from './inference/index.ts';
import { defaultInferenceReportMode } from './inference-report/inference-report.ts';
import { defaultModelControlOptions, modelControlModes } from './model-control/model-control-options.ts';
import { apqStoreLimits, defaultPersistedOperationsMode } from './persisted-documents.ts';
import { defaultRequestLimits } from './request-limits.ts';

/** Defaults of the server's own settings (the others come from the modules they configure). */
export const defaultPort = 4000;
export const defaultHost = '0.0.0.0';
export const defaultShutdownTimeoutMs = 10_000;
/** GraphQL threads: one per core the process may use (os.availableParallelism()), at most maxGraphQLThreads. */
export const defaultGraphQLThreads = 'auto';
export const maxGraphQLThreads = 256;

/** One setting: what it does (its contract and range), and its default as text (from the module that owns it). */
export interface VariableDoc {
  help: string;
  default: string;
}

const limits = defaultRequestLimits;
const scheduler = defaultSchedulerOptions;

export const configVariables = {
  PORT: { help: 'TCP port to listen on (0-65535; 0 = any free port).', default: String(defaultPort) },
  HOST: { help: 'Address to bind.', default: defaultHost },
  PREDICTQL_MODELS_DIR: {
    help: 'Folder with one sub-folder per model (manifest.json + model.onnx), and optional <name>.examples.json files of examples per task.',
    default: './models',
  },
  PREDICTQL_ENTITY_BINDINGS: {
    help:
      'Federation entity bindings (JSON, see docs/federation.md). When unset, the default file binds the shipped models, ' +
      'so it is read only when PREDICTQL_MODELS_DIR is unset too (and binds nothing if absent).',
    default: 'schema/entity-bindings.json',
  },
  PREDICTQL_DEFAULT_MODEL: {
    help: "Comma-separated models that answer their task's fields when a field names none (one per task at most).",
    default: 'the model whose manifest says "default": true, else the first of the task by name',
  },
  PREDICTQL_INFERENCE_REPORT: {
    help:
      'When responses carry extensions.inference (the runs that served them): header (when the request ' +
      'sends x-predictql-trace: 1), always, or off.',
    default: defaultInferenceReportMode,
  },
  PREDICTQL_INTRA_OP_THREADS: {
    help: 'onnxruntime intra-op threads per model (1-64); 1 was measured fastest under load on 2 cores.',
    default: String(defaultSessionSettings.intraOpThreads),
  },
  PREDICTQL_GRAPH_OPTIMIZATION: {
    help: 'onnxruntime graph optimization: disabled, basic, extended or all.',
    default: defaultSessionSettings.graphOptimization,
  },
  PREDICTQL_EXECUTION_PROVIDERS: {
    help: 'Comma-separated preference list of cpu, cuda. Unusable CUDA falls back to the next with a warning.',
    default: defaultSessionSettings.executionProviders.join(','),
  },
  PREDICTQL_BATCHING: {
    help: 'cross-request, per-request or per-field. The last two are baselines for benchmarks.',
    default: 'cross-request',
  },
  PREDICTQL_TEXT_PADDING: {
    help: "longest or max: a text model's runs are padded to their longest row, or to maxTokens (a baseline for benchmarks).",
    default: 'longest',
  },
  PREDICTQL_MAX_BATCH_SIZE: {
    help: 'Most rows in one model run; larger jobs are split (1-1048576).',
    default: String(scheduler.maxBatchSize),
  },
  PREDICTQL_MAX_BATCH_TOKENS: {
    help: "A text model's most padded tokens in one run: rows × the run's longest row (16-16777216); a model's manifest may set its own (maxBatchTokens).",
    default: String(scheduler.maxBatchTokens),
  },
  PREDICTQL_MAX_QUEUE_DELAY_MS: {
    help: 'Extra wait for more work before running an idle model (0-10000 ms); 0 = no timer.',
    default: String(scheduler.maxQueueDelayMs),
  },
  PREDICTQL_MAX_QUEUE_SIZE: {
    help: 'Most rows queued per model before new work is refused with OVERLOADED (1-16777216).',
    default: String(scheduler.maxQueueSize),
  },
  PREDICTQL_QUEUE_TIMEOUT_MS: {
    help: 'Refuse (OVERLOADED) work still queued after this long (0-600000 ms; 0 = never).',
    default: String(scheduler.queueTimeoutMs),
  },
  PREDICTQL_RUN_TIMEOUT_MS: {
    help:
      'A run on a worker thread that takes longer fails (INFERENCE_FAILED, its rows isolated as for ' +
      'any failed run) and its worker is replaced (0-600000 ms; 0 = never).',
    default: String(defaultInferenceOptions.runTimeoutMs),
  },
  PREDICTQL_EXECUTOR: {
    help:
      `auto, main or worker, or per model: "model-a=main,model-b=worker" (a model that is not loaded ` +
      `is refused). auto: worker when a ${defaultInferenceOptions.autoProbeRows}-row run takes > ` +
      `${defaultInferenceOptions.autoWorkerThresholdMs} ms.`,
    default: defaultInferenceOptions.defaultExecutor,
  },
  PREDICTQL_GRAPHQL_THREADS: {
    help:
      `Threads that execute GraphQL and serve HTTP on the port (1-${maxGraphQLThreads}, or auto: one per core, ` +
      'os.availableParallelism(), on Linux; 1 where the threads cannot share a port). The main thread runs the models ' +
      'for all of them, so batches merge across threads. ' +
      '1 serves everything on the main thread (no GraphQL threads). See docs/threads.md.',
    default: defaultGraphQLThreads,
  },
  PREDICTQL_RESPONSE_CACHE_BYTES: {
    help:
      "Bound in bytes of the response cache of prediction rows, keyed by model, version (its load) and the row's encoded inputs, " +
      "shared by every GraphQL thread: a repeated row is answered without a run (the report's `cached` entries; " +
      "predictql_response_cache_* metrics); rows not used lately go first (CLOCK); a retired version's rows are dropped. 0 = off (0-1099511627776).",
    default: String(defaultInferenceOptions.responseCacheBytes),
  },
  PREDICTQL_MODEL_CONTROL: {
    help:
      `${modelControlModes.join(', ')}: none loads the models once; poll reloads a model whose folder changed (new version folders, ` +
      'changed files, versions.json), checked every PREDICTQL_MODEL_POLL_INTERVAL_MS; explicit reloads a model when asked at the ' +
      'admin endpoint (POST /v2/repository/models/<name>/load). poll and explicit serve the admin endpoint on 127.0.0.1:PREDICTQL_ADMIN_PORT. ' +
      'A version that fails to load is refused and what served keeps serving. See docs/operations.md.',
    default: defaultModelControlOptions.mode,
  },
  PREDICTQL_MODEL_POLL_INTERVAL_MS: {
    help: 'poll: how often each model folder is compared with what is served (100-3600000 ms); a change is loaded once two polls saw it alike.',
    default: String(defaultModelControlOptions.pollIntervalMs),
  },
  PREDICTQL_ADMIN_PORT: {
    help: 'poll and explicit: the admin endpoint, on 127.0.0.1 only (0-65535; 0 = any free port, logged at start).',
    default: String(defaultModelControlOptions.adminPort),
  },
  PREDICTQL_SHUTDOWN_TIMEOUT_MS: {
    help: 'On SIGTERM/SIGINT, the most time to finish in-flight requests and batches; past it the server exits 1 (100-600000 ms).',
    default: String(defaultShutdownTimeoutMs),
  },
  PREDICTQL_METRICS: { help: 'on or off: serve Prometheus metrics at GET /metrics.', default: 'on' },
  PREDICTQL_MAX_BODY_BYTES: {
    help: 'Largest request body in bytes; larger ones get 413 REQUEST_ENTITY_TOO_LARGE before they are read (1024-1073741824).',
    default: String(limits.maxBodyBytes),
  },
  PREDICTQL_MAX_TOKENS: {
    help:
      'Most lexical tokens in a GraphQL document; more is 400 TOKEN_LIMIT_EXCEEDED (100-10000000). ' +
      '1000 aliased predictions with inline inputs take 37000.',
    default: String(limits.maxTokens),
  },
  PREDICTQL_MAX_DEPTH: {
    help:
      'Deepest selection, fragments flattened and introspection included; deeper is 400 DEPTH_LIMIT_EXCEEDED ' +
      "(2-1000). GraphiQL's introspection query has depth 15.",
    default: String(limits.maxDepth),
  },
  PREDICTQL_MAX_ALIASES: {
    help: 'Most aliases in one operation; more is 400 ALIAS_LIMIT_EXCEEDED (0-1000000).',
    default: String(limits.maxAliases),
  },
  PREDICTQL_MAX_DIRECTIVES: {
    help: 'Most directives in one document; more is 400 DIRECTIVE_LIMIT_EXCEEDED (0-100000).',
    default: String(limits.maxDirectives),
  },
  PREDICTQL_MAX_BATCH_OPERATIONS: {
    help: 'Most operations in one HTTP batch (a JSON array body); more is 413 BATCH_LIMIT_EXCEEDED; 0 refuses batches (0-1000).',
    default: String(limits.maxBatchOperations),
  },
  PREDICTQL_MAX_PAGE_SIZE: {
    help: 'Largest first: of an examples list; more is BAD_USER_INPUT on that field (1-1000000).',
    default: String(limits.maxPageSize),
  },
  PREDICTQL_MAX_PREDICTIONS_PER_OPERATION: {
    help:
      'Most predictions one operation may compute (prediction fields × list sizes, counted before ' +
      'execution); more is 400 PREDICTION_LIMIT_EXCEEDED (1-16777216).',
    default: String(limits.maxPredictionsPerOperation),
  },
  PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION: {
    help:
      "Most tokens one operation's texts may take, counted as they are tokenized; a text past it is " +
      'PREDICTION_LIMIT_EXCEEDED on its field, the texts before it are answered (2-1073741824).',
    default: String(limits.maxTextTokensPerOperation),
  },
  // Clients (docs/api.md, docs/security.md): CORS and persisted operations.
  PREDICTQL_CORS_ORIGINS: {
    help:
      'Web origins whose pages may read answers (CORS): * (any origin, without credentials) or a comma-separated list ' +
      'like "https://app.example.com,http://localhost:5173" (only those, with credentials).',
    default: defaultCorsOrigins === '*' ? '*' : defaultCorsOrigins.join(','),
  },
  PREDICTQL_PERSISTED_OPERATIONS: {
    help:
      'off (documents only), apq (documents, automatic persisted queries and trusted documents) or trusted-only ' +
      `(only the hashes of PREDICTQL_TRUSTED_DOCUMENTS). APQ keeps at most ${apqStoreLimits.maxBytes / 1024 / 1024} MiB of documents.`,
    default: defaultPersistedOperationsMode,
  },
  PREDICTQL_TRUSTED_DOCUMENTS: {
    help:
      'Trusted documents manifest: JSON of sha256 hash -> document, as GraphQL Code Generator writes it ' +
      '(persisted-documents.json, hashAlgorithm sha256). Required by trusted-only; with apq its hashes resolve too.',
    default: 'unset (none)',
  },
  PREDICTQL_GRAPHQL_ENGINE: {
    help:
      'jit (operations compiled once by graphql-jit; one it cannot compile runs on graphql-js, logged) or ' +
      'graphql-js (the reference interpreter, several times slower on large responses).',
    default: 'jit',
  },
  PREDICTQL_INTROSPECTION: {
    help:
      'on or off: answer __schema/__type queries (GraphiQL needs them); off also hides "Did you mean" ' +
      'suggestions. Consider off for a public endpoint.',
    default: 'on',
  },
  OTEL_TRACES_EXPORTER: {
    help: 'OpenTelemetry: comma-separated list of otlp, console, none. Setting otlp or console turns tracing on.',
    default: 'none (tracing off), or otlp when an OTLP endpoint is set',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    help: 'OTLP/HTTP collector base URL (spans go to <url>/v1/traces); setting it turns tracing on.',
    default: 'unset',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    help: 'Full OTLP/HTTP traces URL, overriding the above; setting it turns tracing on.',
    default: 'unset',
  },
  OTEL_SERVICE_NAME: { help: 'service.name of the spans.', default: 'predictql' },
  OTEL_TRACES_SAMPLER: {
    help: 'Standard sampler name (e.g. parentbased_traceidratio, with OTEL_TRACES_SAMPLER_ARG=0.1).',
    default: 'parentbased_always_on',
  },
  OTEL_SDK_DISABLED: { help: 'true turns tracing off whatever else is set.', default: 'false' },
} as const satisfies Record<string, VariableDoc>;

export type ConfigVariable = keyof typeof configVariables;

/** Variables read by the OpenTelemetry SDK itself: documented, but not command-line flags. */
const environmentOnly = (name: string): boolean => name.startsWith('OTEL_');

/** `PREDICTQL_MAX_BATCH_SIZE` → `--max-batch-size`, `PORT` → `--port`. */
export function flagName(variable: string): string {
  return `--${variable
    .replace(/^PREDICTQL_/, '')
    .toLowerCase()
    .replace(/_/g, '-')}`;
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
    'Usage: npm start -- [options]    (or: node_modules/.bin/node src/main.ts [options], the pinned Node)',
    '',
    'predictql: a GraphQL prediction API. Each option is also an environment variable; a flag wins',
    'over the variable. Metrics at GET /metrics, health at GET /health and GET /ready.',
    '',
  ];
  for (const [name, doc] of Object.entries(configVariables)) {
    lines.push(environmentOnly(name) ? `  ${name} (environment only)` : `  ${flagName(name)} <value>, ${name}`);
    lines.push(`      ${doc.help} Default: ${doc.default}.`);
  }
  lines.push('  --help, -h', '      Print this help and exit.', '');
  return lines.join('\n');
}
