import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.ts';

describe('readConfig', () => {
  it('has working defaults', () => {
    const config = readConfig({});
    expect(config).toMatchObject({ port: 4000, defaultModels: [], inferenceReport: 'header' });
    expect(config.session).toMatchObject({ intraOpThreads: 1, graphOptimization: 'all', executionProviders: ['cpu'] });
    expect(config.runTimeoutMs).toBe(30_000);
  });

  it.each([
    [{ PORT: '65536' }, 'PORT must be an integer within [0, 65535], but got: "65536"'],
    [{ PORT: '80.5' }, 'PORT must be an integer within [0, 65535], but got: "80.5"'],
    [{ PREDICTQL_RUN_TIMEOUT_MS: '-5' }, 'PREDICTQL_RUN_TIMEOUT_MS must be an integer within [0, 600000], but got: "-5"'],
    [{ PREDICTQL_INFERENCE_REPORT: 'yes' }, 'PREDICTQL_INFERENCE_REPORT must be one of header, always, off, but got: "yes"'],
    [{ PREDICTQL_INTRA_OP_THREADS: '0' }, 'PREDICTQL_INTRA_OP_THREADS must be an integer within [1, 64], but got: "0"'],
    [{ PREDICTQL_GRAPH_OPTIMIZATION: 'max' }, 'PREDICTQL_GRAPH_OPTIMIZATION must be one of disabled, basic, extended, all, but got: "max"'],
    [
      { PREDICTQL_EXECUTION_PROVIDERS: 'cuda,tpu' },
      'PREDICTQL_EXECUTION_PROVIDERS must be a comma-separated list of distinct providers from cpu, cuda, but got: "cuda,tpu"',
    ],
  ])('refuses %j with a message that states the contract', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });

  it('reads a provider preference list', () => {
    expect(readConfig({ PREDICTQL_EXECUTION_PROVIDERS: 'cuda, cpu' }).session.executionProviders).toEqual(['cuda', 'cpu']);
  });
});
