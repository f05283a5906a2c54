import { availableParallelism } from 'node:os';
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

  it('reads the GraphQL threads: auto (one per core, on Linux) by default, an integer, or the flag', () => {
    const auto = process.platform === 'linux' ? Math.min(availableParallelism(), 256) : 1;
    expect(readConfig({}).graphqlThreads).toBe(auto);
    expect(readConfig({ PREDICTQL_GRAPHQL_THREADS: 'auto' }).graphqlThreads).toBe(auto);
    expect(readConfig({ PREDICTQL_GRAPHQL_THREADS: '1' }).graphqlThreads).toBe(1);
    expect(readConfig({}, ['--graphql-threads', '16']).graphqlThreads).toBe(16);
    for (const bad of ['0', '257', '2.5', '-1', 'many']) {
      expect(() => readConfig({ PREDICTQL_GRAPHQL_THREADS: bad })).toThrow(
        `PREDICTQL_GRAPHQL_THREADS must be auto or an integer within [1, 256], but got: ${JSON.stringify(bad)}`,
      );
    }
    expect(() => readConfig({}, ['--graphql-threads=0'])).toThrow(
      '--graphql-threads (PREDICTQL_GRAPHQL_THREADS) must be auto or an integer within [1, 256], but got: "0"',
    );
  });

  it('reads a provider preference list', () => {
    expect(readConfig({ PREDICTQL_EXECUTION_PROVIDERS: 'cuda, cpu' }).session.executionProviders).toEqual(['cuda', 'cpu']);
  });

  it('reads the CORS origins: * by default, or a list of exact origins', () => {
    expect(readConfig({}).cors).toBe('*');
    expect(readConfig({ PREDICTQL_CORS_ORIGINS: '*' }).cors).toBe('*');
    expect(readConfig({ PREDICTQL_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).cors).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of [
      'https://app.example.com/',
      'app.example.com',
      'https://App.example.com',
      'https://a.example/path',
      'ftp://a.example',
      '*,https://a.example',
    ]) {
      expect(() => readConfig({ PREDICTQL_CORS_ORIGINS: bad })).toThrow(
        `PREDICTQL_CORS_ORIGINS must be * or a comma-separated list of origins as browsers send them (scheme://host[:port], ` +
          `lowercase, no path or trailing slash, e.g. https://app.example.com), but got: ${JSON.stringify(bad)}`,
      );
    }
  });

  it('reads the persisted operations mode: apq by default; trusted-only needs a manifest', () => {
    expect(readConfig({}).persistedOperations).toBe('apq');
    expect(readConfig({}).trustedDocuments).toBeUndefined();
    expect(readConfig({ PREDICTQL_PERSISTED_OPERATIONS: 'off' }).persistedOperations).toBe('off');
    expect(readConfig({}, ['--persisted-operations', 'trusted-only', '--trusted-documents', 'm.json'])).toMatchObject({
      persistedOperations: 'trusted-only',
      trustedDocuments: 'm.json',
    });
    expect(() => readConfig({ PREDICTQL_PERSISTED_OPERATIONS: 'trusted' })).toThrow(
      'PREDICTQL_PERSISTED_OPERATIONS must be one of off, apq, trusted-only, but got: "trusted"',
    );
    expect(() => readConfig({}, ['--persisted-operations', 'trusted-only'])).toThrow(
      '--persisted-operations (PREDICTQL_PERSISTED_OPERATIONS)=trusted-only needs PREDICTQL_TRUSTED_DOCUMENTS, the manifest of ' +
        'trusted documents (a persisted-documents.json), but got: nothing',
    );
  });
});
