/**
 * Every setting predictql reads, documented once: the environment variables, their command-line
 * flags (`PREDICTQL_MAX_BATCH_SIZE` is `--max-batch-size`), and `--help`. README "Configuration"
 * lists the same; a unit test keeps the two in step.
 */

export const configVariables = {
  PORT: 'TCP port to listen on (0-65535; 0 = any free port). Default 4000.',
  HOST: 'Address to bind. Default 0.0.0.0.',
  PREDICTQL_MODELS_DIR: 'Folder with one sub-folder per model. Default ./models.',
  PREDICTQL_SAMPLES_FILE: 'Sample catalog JSON. Default <models dir>/sample-requests.json.',
  PREDICTQL_ENTITY_BINDINGS: 'Federation entity bindings (JSON, see "Federation"). Default schema/entity-bindings.json; when unset and that file is absent, no entity is bound.',
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
  PREDICTQL_RUN_TIMEOUT_MS: 'A run on a worker thread that takes longer fails (INFERENCE_FAILED, its rows isolated as for any failed run) and its worker is replaced (0-600000 ms; 0 = never). Default 30000.',
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
