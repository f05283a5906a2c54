/**
 * An in-process supergraph for tests and measurements: Hive Gateway over predictql (one or more
 * replicas) and the example endpoints subgraph, composed from the SDL each serves at
 * `_service { sdl }`. The gateway's fetch is routed to the apps' `yoga.fetch` (no network); every
 * subgraph call is recorded with its operation, time and response body.
 */
import { createGatewayRuntime, type GatewayRuntime, useCustomFetch } from '@graphql-hive/gateway-runtime';
import { composeSupergraph, EXAMPLE_SUBGRAPH_URLS } from '../../scripts/compose-supergraph.ts';
import { INFERENCE_REPORT_HEADER } from '../../src/inference-report/inference-report.ts';
import type { Fetcher, Result } from '../support/graphql.ts';
import { createEndpointsSubgraph } from './endpoints-subgraph.ts';

/** Anything that answers `fetch`: a yoga app in process, or a served app over HTTP. */
type FetchingApp = Fetcher;

export interface SubgraphCall {
  subgraph: 'predictql' | 'endpoints';
  /** Which predictql replica answered (0 for the endpoints subgraph). */
  replica: number;
  query: string;
  /** Representations sent, for `_entities` calls. */
  representations: number;
  durationMs: number;
  body: Result<Record<string, unknown>>;
}

export interface Federation {
  gateway: GatewayRuntime;
  supergraphSdl: string;
  calls: SubgraphCall[];
  /** Sends an operation to the gateway (the trace header is propagated to predictql). */
  query<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<Result<TData>>;
  close(): Promise<void>;
}

/** `_service { sdl }` of an in-process subgraph. */
export async function servedSdl(app: FetchingApp, url: string): Promise<string> {
  const response = await app.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await response.json()) as { data?: { _service: { sdl: string } }; errors?: unknown };
  if (!body.data) throw new Error(`_service { sdl } failed at ${url}: ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}

/**
 * Composes and starts the gateway. Requests to predictql go to `replicas` in turn, as a load
 * balancer would send them; the subgraph keeps no state, so any replica may answer any call.
 */
export async function startFederation(
  replicas: readonly FetchingApp[],
  endpoints: FetchingApp = createEndpointsSubgraph(),
): Promise<Federation> {
  if (replicas.length === 0) throw new Error('startFederation needs at least one predictql replica');
  const composition = composeSupergraph([
    { name: 'predictql', url: EXAMPLE_SUBGRAPH_URLS.predictql, sdl: await servedSdl(replicas[0]!, EXAMPLE_SUBGRAPH_URLS.predictql) },
    { name: 'endpoints', url: EXAMPLE_SUBGRAPH_URLS.endpoints, sdl: await servedSdl(endpoints, EXAMPLE_SUBGRAPH_URLS.endpoints) },
  ]);
  if (!composition.ok) throw new Error(`composition failed:\n${composition.errors.join('\n')}`);

  const calls: SubgraphCall[] = [];
  let nextReplica = 0;
  const route = async (url: string, init: RequestInit | undefined): Promise<Response> => {
    const toPredictql = url === EXAMPLE_SUBGRAPH_URLS.predictql;
    if (!toPredictql && url !== EXAMPLE_SUBGRAPH_URLS.endpoints) throw new Error(`no in-process subgraph at ${url}`);
    const replica = toPredictql ? nextReplica++ % replicas.length : 0;
    const app: FetchingApp = toPredictql ? replicas[replica]! : endpoints;
    const startMs = performance.now();
    const response = await app.fetch(url, init);
    const text = await response.text();
    const durationMs = performance.now() - startMs;
    const request = JSON.parse(String(init?.body ?? '{}')) as { query?: string; variables?: { representations?: unknown[] } };
    calls.push({
      subgraph: toPredictql ? 'predictql' : 'endpoints',
      replica,
      query: request.query ?? '',
      representations: request.variables?.representations?.length ?? 0,
      durationMs,
      body: { status: response.status, ...(JSON.parse(text) as object) },
    });
    return new Response(text, { status: response.status, headers: response.headers });
  };

  const gateway = createGatewayRuntime({
    supergraph: composition.supergraphSdl,
    // FEDERATION_DEBUG=1: the gateway's debug log and unmasked errors, for when a query fails oddly.
    logging: process.env.FEDERATION_DEBUG ? 'debug' : false,
    maskedErrors: !process.env.FEDERATION_DEBUG,
    plugins: () => [useCustomFetch((url, init) => route(url, init as RequestInit))],
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({ [INFERENCE_REPORT_HEADER]: request.headers.get(INFERENCE_REPORT_HEADER) }),
    },
  });

  return {
    gateway,
    supergraphSdl: composition.supergraphSdl,
    calls,
    async query<TData>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
      const response = await gateway.fetch('http://gateway/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as Omit<Result<TData>, 'status'>) };
    },
    close: () => Promise.resolve(gateway.dispose()),
  };
}

/** The calls to predictql that carried `_entities`. */
export function entitiesCalls(calls: readonly SubgraphCall[]): SubgraphCall[] {
  return calls.filter((c) => c.subgraph === 'predictql' && c.query.includes('_entities'));
}
