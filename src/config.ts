/**
 * Server configuration from the environment. Every value is checked at start; a bad one stops
 * the server with a message that states the contract and echoes what was given.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ExecutionProviderName, GraphOptimizationLevel, SessionSettings } from './inference/session-options.ts';
import type { TraceMode } from './plugins/use-prediction-trace.ts';
import type { ExecutorChoice } from './inference/inference-service.ts';
import type { SchedulerOptions } from './inference/scheduler/scheduler-options.ts';

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
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const modelsDir = env.PREDICTQL_MODELS_DIR || defaultModelsDir;
  return {
    port: getInteger(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    modelsDir,
    samplesFile: env.PREDICTQL_SAMPLES_FILE || join(modelsDir, 'sample-requests.json'),
    defaultModel: env.PREDICTQL_DEFAULT_MODEL || 'request-latency',
    trace: getChoice(env, 'PREDICTQL_TRACE', ['header', 'always', 'off'] as const, 'header'),
    session: {
      intraOpThreads: getInteger(env, 'PREDICTQL_INTRA_OP_THREADS', 1, 1, 64),
      interOpThreads: 1,
      graphOptimization: getChoice<GraphOptimizationLevel>(
        env,
        'PREDICTQL_GRAPH_OPTIMIZATION',
        ['disabled', 'basic', 'extended', 'all'],
        'all',
      ),
      executionProviders: getProviders(env),
    },
    batching: getChoice(env, 'PREDICTQL_BATCHING', ['cross-request', 'per-request', 'per-field'] as const, 'cross-request'),
    scheduler: {
      maxBatchSize: getInteger(env, 'PREDICTQL_MAX_BATCH_SIZE', 4096, 1, 1_048_576),
      maxQueueDelayMs: getInteger(env, 'PREDICTQL_MAX_QUEUE_DELAY_MS', 0, 0, 10_000),
      maxQueueSize: getInteger(env, 'PREDICTQL_MAX_QUEUE_SIZE', 65_536, 1, 16_777_216),
      queueTimeoutMs: getInteger(env, 'PREDICTQL_QUEUE_TIMEOUT_MS', 0, 0, 600_000),
    },
    executors: getExecutors(env),
  };
}

function getExecutors(env: NodeJS.ProcessEnv): Config['executors'] {
  const raw = env.PREDICTQL_EXECUTOR;
  const choices = ['auto', 'main', 'worker'];
  const result: Config['executors'] = { default: 'auto', perModel: {} };
  if (raw === undefined || raw === '') return result;
  const fail = (): never => {
    throw new ConfigError(
      `PREDICTQL_EXECUTOR must be one of auto, main, worker, or a list like "model-a=main,model-b=worker", but got: ${JSON.stringify(raw)}`,
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

function getInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer within [${min}, ${max}], but got: ${JSON.stringify(raw)}`);
  }
  return value;
}

function getChoice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, but got: ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function getProviders(env: NodeJS.ProcessEnv): ExecutionProviderName[] {
  const raw = env.PREDICTQL_EXECUTION_PROVIDERS;
  if (raw === undefined || raw === '') return ['cpu'];
  const names = raw.split(',').map((s) => s.trim().toLowerCase());
  const bad = names.filter((n) => n !== 'cpu' && n !== 'cuda');
  if (bad.length > 0 || new Set(names).size !== names.length) {
    throw new ConfigError(
      `PREDICTQL_EXECUTION_PROVIDERS must be a comma-separated list of distinct providers from cpu, cuda, but got: ${JSON.stringify(raw)}`,
    );
  }
  return names as ExecutionProviderName[];
}
