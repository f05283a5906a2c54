/**
 * Server configuration from the environment. Every value is checked at start; a bad one stops
 * the server with a message that states the contract and echoes what was given.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ExecutionProviderName, GraphOptimizationLevel, SessionSettings } from './inference/session-options.ts';
import type { TraceMode } from './plugins/use-prediction-trace.ts';

export interface Config {
  port: number;
  host: string;
  modelsDir: string;
  samplesFile: string;
  defaultModel: string;
  trace: TraceMode;
  session: SessionSettings;
}

export const defaultModelsDir = fileURLToPath(new URL('../models', import.meta.url));

/** Documented in README "Configuration"; keep both in step. */
export const configVariables = {
  PORT: 'TCP port to listen on (1-65535). Default 4000.',
  HOST: 'Address to bind. Default 0.0.0.0.',
  PREDICTQL_MODELS_DIR: 'Folder with one sub-folder per model. Default ./models.',
  PREDICTQL_SAMPLES_FILE: 'Sample catalog JSON. Default <models dir>/sample-requests.json.',
  PREDICTQL_DEFAULT_MODEL: 'Model used when a field names none; it also defines the schema\'s features. Default request-latency.',
  PREDICTQL_TRACE: 'header (trace when x-predictql-trace: 1), always, or off. Default header.',
  PREDICTQL_INTRA_OP_THREADS: 'onnxruntime intra-op threads per model (1-64). Default 1 (measured fastest on 2 cores).',
  PREDICTQL_GRAPH_OPTIMIZATION: 'onnxruntime graph optimization: disabled, basic, extended or all. Default all.',
  PREDICTQL_EXECUTION_PROVIDERS: 'Comma-separated preference list of cpu, cuda. Default cpu. Unusable CUDA falls back to the next with a warning.',
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
    port: getInteger(env, 'PORT', 4000, 1, 65535),
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
  };
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
