/**
 * Each limit at its edge, configured small (through readConfig, as an operator would): the last
 * value allowed passes, the next is refused with its code and status. Also introspection off,
 * masked errors in production, and the defaults with their refusals of bad configuration.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appOptions, createApp, loadServices, type PredictQLApp, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { ModelRegistry } from '../../src/inference/index.ts';
import { defaultRequestLimits } from '../../src/request-limits.ts';
import { send } from '../support/graphql.ts';
import { GBDT, MLP, sampleInputs } from '../support/models.ts';
import { BrokenGetterRunner, SECRET } from '../support/runners.ts';

let services: Services;
let app: PredictQLApp;
const env = {
  PREDICTQL_MAX_BODY_BYTES: '4096',
  PREDICTQL_MAX_TOKENS: '300',
  PREDICTQL_MAX_DEPTH: '4',
  PREDICTQL_MAX_ALIASES: '5',
  PREDICTQL_MAX_DIRECTIVES: '3',
  PREDICTQL_MAX_BATCH_OPERATIONS: '2',
  PREDICTQL_MAX_PAGE_SIZE: '10',
  PREDICTQL_MAX_PREDICTIONS_PER_OPERATION: '12',
  PREDICTQL_INTROSPECTION: 'off',
};

beforeAll(async () => {
  const config = readConfig(env);
  services = await loadServices(config, () => {});
  app = createApp(appOptions(services, { limits: config.limits, introspection: config.introspection, metrics: false }));
});
afterAll(() => services.inference.close());

const codeOf = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;

describe('configured limits, at their edges (Accept: application/json, as most clients send)', () => {
  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await app.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body,
    });
    return {
      status: response.status,
      ...((await response.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] }),
    };
  };
  const query = (q: string, variables?: object) => post(JSON.stringify({ query: q, variables }));

  it.each([
    ['aliases', aliases(5), aliases(6), 'ALIAS_LIMIT_EXCEEDED', 'Aliases limit of 5 exceeded, found 6.'],
    [
      'depth',
      '{ models { inputs { name } } }',
      '{ __schema { types { fields { type { name } } } } }',
      'DEPTH_LIMIT_EXCEEDED',
      'Query depth limit of 4 exceeded, found 5.',
    ],
    [
      'directives',
      '{ __typename @include(if: true) @skip(if: false) a: __typename @skip(if: false) }',
      '{ __typename @include(if: true) @skip(if: false) a: __typename @skip(if: false) b: __typename @skip(if: false) }',
      'DIRECTIVE_LIMIT_EXCEEDED',
      'Directives limit of 3 exceeded, found 4.',
    ],
    [
      'tokens',
      `{ ${'__typename '.repeat(298)}}`,
      `{ ${'__typename '.repeat(299)}}`,
      'TOKEN_LIMIT_EXCEEDED',
      'Token limit of 300 exceeded.',
    ],
    [
      'predictions',
      '{ a: sampleRequests(first: 6) { predictedLatency { p50Ms } } b: sampleRequests(first: 6) { predictedLatency { p50Ms } } }',
      '{ a: sampleRequests(first: 6) { predictedLatency { p50Ms } } b: sampleRequests(first: 7) { predictedLatency { p50Ms } } }',
      'PREDICTION_LIMIT_EXCEEDED',
      'would compute 13 predictions; the limit is 12',
    ],
  ])('%s: the limit passes, one more is 400 with its code', async (_name, ok, over, code, message) => {
    const passed = await query(ok);
    expect(passed.errors).toBeUndefined();
    expect(passed.status).toBe(200);
    const refused = await query(over);
    expect(refused.status).toBe(400);
    expect(codeOf(refused)).toBe(code);
    expect(refused.errors![0]!.message).toContain(message);
    expect(refused.data ?? null).toBeNull();
  });

  it('the page size: first 10 answers, 11 is BAD_USER_INPUT on the field', async () => {
    expect((await query('{ sampleRequests(first: 10) { id } }')).errors).toBeUndefined();
    const refused = await query('{ sampleRequests(first: 11) { id } }');
    expect(codeOf(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0]!.message).toBe('first must be an integer within [0, 10], but got: 11.');
  });

  it('the batch: 2 operations are answered, 3 are 413 with the reason once per operation (as batching clients expect)', async () => {
    const op = { query: '{ __typename }' };
    const two = await post(JSON.stringify([op, op]));
    expect(two.status).toBe(200);
    const response = await app.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify([op, op, op]),
    });
    expect(response.status).toBe(413);
    const three = (await response.json()) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] }[];
    expect(three).toHaveLength(3);
    for (const answer of three) {
      expect(answer.data).toBeUndefined();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors[0]!.extensions).toEqual({ code: 'BATCH_LIMIT_EXCEEDED', limit: 2 });
      expect(answer.errors[0]!.message).toContain('at most 2 operations and this one has 3');
      expect(answer.errors[0]!.message).toContain('PREDICTQL_MAX_BATCH_OPERATIONS');
    }
  });

  it('the body: 4096 bytes are read, 4097 are 413 before parsing', async () => {
    // Padded with whitespace inside the query (yoga refuses unknown body parameters).
    const body = (size: number) => JSON.stringify({ query: `{ __typename ${' '.repeat(size - 26)}}` });
    expect(body(4096)).toHaveLength(4096);
    expect((await post(body(4096))).status).toBe(200);
    const refused = await post(body(4097));
    expect(refused.status).toBe(413);
    expect(codeOf(refused)).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(refused.errors![0]!.message).toBe(
      "Request body too large: the server's body limit is 4096 bytes and this body is 4097 bytes. Send less per request " +
        '(e.g. fewer inputs), or raise the limit on the server: PREDICTQL_MAX_BODY_BYTES (--max-body-bytes).',
    );
  });

  it('introspection off: __schema and __type are INTROSPECTION_DISABLED, __typename still works, no suggestions', async () => {
    for (const q of ['{ __schema { queryType { name } } }', '{ __type(name: "Query") { name } }']) {
      const refused = await query(q);
      expect(refused.status).toBe(400);
      expect(codeOf(refused)).toBe('INTROSPECTION_DISABLED');
    }
    expect((await query('{ __typename }')).errors).toBeUndefined();
    const typo = await query('{ modelz { name } }');
    expect(codeOf(typo)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.errors![0]!.message).not.toContain('Did you mean');
  });

  it('a valid operation within every limit is answered', async () => {
    const [input] = sampleInputs(1);
    const result = await send(app, 'query($i: LatencyFeaturesInput!) { predictLatency(input: $i) { p50Ms } }', { i: input });
    expect(result.errors).toBeUndefined();
  });
});

describe('the default limits agree', () => {
  const predictMany = 'query PredictMany($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms } }';
  const body = (inputs: unknown[], indent?: number) => JSON.stringify({ query: predictMany, variables: { inputs } }, null, indent);

  it('the body limit admits an operation at the prediction limit sent as variables, even pretty-printed', async () => {
    const { maxBodyBytes, maxPredictionsPerOperation } = defaultRequestLimits;
    const inputs = Array.from({ length: maxPredictionsPerOperation }, (_, i) => sampleInputs(1, i % 3000)[0]!);
    const pretty = body(inputs, 2);
    // Measured: 1.6 MB compact, 2.6 MB indented by 2 (the 9000 inputs were 1.3 MB against a 1 MiB limit).
    expect(Buffer.byteLength(pretty)).toBeGreaterThan(2_000_000);
    const app = createApp(appOptions(services, { metrics: false }));
    const answer = async (text: string) => {
      const response = await app.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      return {
        status: response.status,
        ...((await response.json()) as { data?: { predictLatencies: unknown[] }; errors?: { extensions?: { code?: string } }[] }),
      };
    };
    const full = await answer(pretty);
    expect(full.status).toBe(200);
    expect(full.errors).toBeUndefined();
    expect(full.data!.predictLatencies).toHaveLength(maxPredictionsPerOperation);
    // One more input is the prediction limit's refusal, not the body's.
    const over = await answer(body([...inputs, inputs[0]]));
    expect([over.status, codeOf(over)]).toEqual([400, 'PREDICTION_LIMIT_EXCEEDED']);
    // The largest JSON numbers (17 digits and an exponent) in every feature still fit, with room to spare.
    const names = services.registry.get(MLP)!.manifest.features.map((f) => f.name);
    const widest = Object.fromEntries(names.map((name) => [name, -1.2345678901234567e-100]));
    expect(Buffer.byteLength(body(Array(maxPredictionsPerOperation).fill(widest)))).toBeLessThan(maxBodyBytes * 0.8);
  });
});

describe('production behaviour', () => {
  it('masks unexpected errors when NODE_ENV=production: the message, stack and cause stay in the log', async () => {
    // A real model whose `warmedUp` getter throws: a bug the schema did not expect, in a resolver.
    const registry = new ModelRegistry([services.registry.get(MLP)!, new BrokenGetterRunner(services.registry.get(GBDT)!)]);
    const ask = async (nodeEnv: string) => {
      const previous = process.env.NODE_ENV;
      process.env.NODE_ENV = nodeEnv;
      const logged: unknown[] = [];
      const spy = vi.spyOn(console, 'error').mockImplementation((...args) => logged.push(...args));
      try {
        const app = createApp({ registry, tasks: services.tasks, metrics: false });
        return { result: await send(app, '{ models { name warmedUp } }'), logged };
      } finally {
        spy.mockRestore();
        process.env.NODE_ENV = previous;
      }
    };
    const production = await ask('production');
    expect(production.result.errors).toEqual([
      {
        message: 'Unexpected error.',
        locations: [{ line: 1, column: 17 }],
        path: ['models', 1, 'warmedUp'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(production.result)).not.toContain(SECRET);
    expect(production.logged.map(String).join(' ')).toContain(SECRET);
    // The same bug in development shows its cause to the client: the check above would see a leak.
    const development = await ask('development');
    expect(JSON.stringify(development.result)).toContain(SECRET);
  });

  it('has the documented defaults and refuses bad limit values naming the variable', () => {
    expect(readConfig({}).limits).toEqual(defaultRequestLimits);
    expect(readConfig({}).introspection).toBe(true);
    expect(defaultRequestLimits).toEqual({
      maxBodyBytes: 4_194_304,
      maxTokens: 50_000,
      maxDepth: 20,
      maxAliases: 2000,
      maxDirectives: 50,
      maxBatchOperations: 10,
      maxPageSize: 5000,
      maxPredictionsPerOperation: 10_000,
      maxTextTokensPerOperation: 262_144,
    });
    expect(() => readConfig({ PREDICTQL_MAX_TOKENS: '10' })).toThrow(
      'PREDICTQL_MAX_TOKENS must be an integer within [100, 10000000], but got: "10"',
    );
    expect(() => readConfig({}, ['--max-predictions-per-operation', '0'])).toThrow(
      '--max-predictions-per-operation (PREDICTQL_MAX_PREDICTIONS_PER_OPERATION) must be an integer within [1, 16777216], but got: "0"',
    );
    expect(() => readConfig({ PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION: '1' })).toThrow(
      'PREDICTQL_MAX_TEXT_TOKENS_PER_OPERATION must be an integer within [2, 1073741824], but got: "1"',
    );
    expect(() => readConfig({ PREDICTQL_INTROSPECTION: 'no' })).toThrow('PREDICTQL_INTROSPECTION must be one of on, off, but got: "no"');
  });
});
