/**
 * Every code of the error catalog (src/errors.ts), provoked through the real app and models: the
 * response carries the code, with a status the catalog (and so docs/errors.md) documents. The
 * table is typed by ErrorCode, so a new code without a case here does not compile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppOptions, appOptions, createApp, loadServices, type PredictQLApp, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { type ErrorCode, errorCatalog } from '../../src/errors.ts';
import { HttpServer } from '../../src/http-server.ts';
import { InferenceService, ModelRegistry } from '../../src/inference/index.ts';
import { ServerLifecycle } from '../../src/lifecycle.ts';
import { TrustedDocuments } from '../../src/persisted-documents.ts';
import { GBDT, inputLiteral, MLP, sampleInputs } from '../support/models.ts';
import { BrokenGetterRunner, FailingRunner } from '../support/runners.ts';

let services: Services;
beforeAll(async () => {
  services = await loadServices(readConfig({}));
});
afterAll(() => services.inference.close());

interface Answer {
  status: number;
  codes: (string | undefined)[];
}

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

async function answer(app: PredictQLApp, init: RequestInit & { path?: string }): Promise<Answer> {
  const response = await app.fetch(`http://yoga${init.path ?? '/graphql'}`, init);
  const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] } | { errors?: unknown }[];
  const results = Array.isArray(body) ? body : [body];
  const codes = results.flatMap((r) =>
    ((r.errors as { extensions?: { code?: string } }[] | undefined) ?? []).map((e) => e.extensions?.code),
  );
  return { status: response.status, codes };
}

function post(app: PredictQLApp, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(app, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const app = (extra: Partial<AppOptions> = {}) => createApp(appOptions(services, { metrics: false, ...extra }));
const input = () => inputLiteral(sampleInputs(1)[0]!);
const predictOne = (args = '') => `{ predictLatency(input: ${input()}${args}) { p50Ms } }`;

const cases: Record<ErrorCode, () => Promise<Answer>> = {
  BAD_USER_INPUT: () =>
    post(app(), { query: `{ predictLatency(input: ${inputLiteral({ ...sampleInputs(1)[0]!, cpuUtilization: 2 })}) { p50Ms } }` }),
  MODEL_NOT_FOUND: () => post(app(), { query: predictOne(', model: "nope"') }),
  INFERENCE_FAILED: () => {
    const registry = new ModelRegistry([services.registry.get(MLP)!, new FailingRunner(services.registry.get(GBDT)!)]);
    const inference = InferenceService.inThread(registry);
    return post(createApp({ registry, inference, tasks: services.tasks, logError: () => {} }), {
      query: predictOne(`, model: "${GBDT}"`),
    });
  },
  OVERLOADED: () => {
    const inference = InferenceService.inThread(services.registry, { scheduler: { maxQueueSize: 1 } });
    const overloaded = createApp({ registry: services.registry, inference, tasks: services.tasks });
    return post(overloaded, {
      query: 'query ($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms } }',
      variables: { inputs: sampleInputs(2) },
    });
  },
  TOKEN_LIMIT_EXCEEDED: () => post(app({ limits: { maxTokens: 100 } }), { query: predictOne().repeat(3).replace(/} {/g, ' ') }),
  DEPTH_LIMIT_EXCEEDED: () => post(app({ limits: { maxDepth: 2 } }), { query: '{ models { inputs { name } } }' }),
  ALIAS_LIMIT_EXCEEDED: () => post(app({ limits: { maxAliases: 1 } }), { query: '{ a: __typename b: __typename }' }),
  DIRECTIVE_LIMIT_EXCEEDED: () =>
    post(app({ limits: { maxDirectives: 1 } }), { query: '{ a: __typename @skip(if: false) b: __typename @skip(if: false) }' }),
  PREDICTION_LIMIT_EXCEEDED: () =>
    post(app({ limits: { maxPredictionsPerOperation: 1 } }), { query: `{ sampleRequests(first: 2) { predictedLatency { p50Ms } } }` }),
  BATCH_LIMIT_EXCEEDED: () => post(app({ limits: { maxBatchOperations: 1 } }), [{ query: '{ __typename }' }, { query: '{ __typename }' }]),
  INTROSPECTION_DISABLED: () => post(app({ introspection: false }), { query: '{ __schema { queryType { name } } }' }),
  CSRF_HEADER_REQUIRED: () =>
    answer(app(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: GRAPHQL_RESPONSE },
      body: 'query=%7B__typename%7D',
    }),
  UNSUPPORTED_MEDIA_TYPE: () => post(app(), '<query/>', { 'content-type': 'application/xml' }),
  REQUEST_ENTITY_TOO_LARGE: () => post(app({ limits: { maxBodyBytes: 1024 } }), { query: `{ __typename }${' '.repeat(2000)}` }),
  PERSISTED_QUERY_NOT_FOUND: () => post(app(), { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }),
  PERSISTED_QUERY_NOT_SUPPORTED: () =>
    post(app({ persistedOperations: 'off' }), { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }),
  PERSISTED_QUERY_ID_REQUIRED: () =>
    post(app({ persistedOperations: 'trusted-only', trustedDocuments: new TrustedDocuments(new Map()) }), { query: '{ __typename }' }),
  SERVER_STARTING: async () => {
    // Before the app exists (models loading), main.ts's HTTP server answers alone.
    const http = new HttpServer(new ServerLifecycle('starting'));
    const port = await http.listen(0, '127.0.0.1');
    try {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' });
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      return { status: response.status, codes: body.errors.map((e) => e.extensions.code) };
    } finally {
      await http.close();
    }
  },
  BAD_REQUEST: () => post(app(), '{ not json'),
  GRAPHQL_PARSE_FAILED: () => post(app(), { query: '{' }),
  GRAPHQL_VALIDATION_FAILED: () => post(app(), { query: '{ nope }' }),
  OPERATION_RESOLUTION_FAILURE: () => post(app(), { query: 'query A { __typename } query B { __typename }' }),
  INTERNAL_SERVER_ERROR: async () => {
    const registry = new ModelRegistry([services.registry.get(MLP)!, new BrokenGetterRunner(services.registry.get(GBDT)!)]);
    const broken = createApp({ registry, inference: InferenceService.inThread(registry), tasks: services.tasks });
    const error = console.error;
    console.error = () => {}; // yoga logs the masked cause; it is the expected outcome here
    try {
      return await post(broken, { query: '{ models { warmedUp } }' });
    } finally {
      console.error = error;
    }
  },
};

describe('the error catalog', () => {
  it('has a case here for every code', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(errorCatalog).sort());
  });

  it.each(Object.keys(errorCatalog) as ErrorCode[])(
    '%s: provoked through the server, it carries its code and a documented status',
    async (code) => {
      const { status, codes } = await cases[code]();
      expect(codes).toContain(code);
      expect(errorCatalog[code].statuses).toContain(status);
    },
  );
});
