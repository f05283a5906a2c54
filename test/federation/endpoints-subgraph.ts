/**
 * The example "endpoints" subgraph: it owns `Endpoint` and the traffic averages that predictql's
 * shipped binding (schema/entity-bindings.json) reads as features. Its catalog is deterministic:
 * one endpoint per row of models/latency.examples.json (`ep-req-0001` ...), under other field
 * names than the model's, plus `ep-unmeasured`, whose cache hit ratio is null (so it cannot be
 * predicted). `node test/federation/endpoints-subgraph.ts` serves it on PORT (default 4001).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { sampleEntries } from '../support/models.ts';

export const endpointsSdlFile = fileURLToPath(new URL('../../schema/example-endpoints.graphql', import.meta.url));
export const endpointsSdl = readFileSync(endpointsSdlFile, 'utf8');
export const UNMEASURED_ID = 'ep-unmeasured';

export interface Endpoint {
  id: string;
  service: string;
  route: string;
  avgPayloadKb: number;
  inFlightRequests: number;
  cpuUtilization: number;
  memoryUtilization: number;
  cacheHitRatio: number | null;
  dbQueriesPerRequest: number;
  downstreamCallsPerRequest: number;
  localHour: number;
}

const SERVICES = ['checkout', 'search', 'catalog', 'accounts', 'payments'] as const;

/** Every sample request as an endpoint, then the unmeasured one. */
export function endpointCatalog(): Endpoint[] {
  const endpoints = sampleEntries().map(
    ({ id, features: f }, i): Endpoint => ({
      id: `ep-${id}`,
      service: SERVICES[i % SERVICES.length]!,
      route: `/v1/${SERVICES[i % SERVICES.length]}/${i}`,
      avgPayloadKb: f.payloadKb,
      inFlightRequests: f.concurrency,
      cpuUtilization: f.cpuUtilization,
      memoryUtilization: f.memoryUtilization,
      cacheHitRatio: f.cacheHitRatio,
      dbQueriesPerRequest: f.dbQueries,
      downstreamCallsPerRequest: f.downstreamCalls,
      localHour: f.hourOfDay,
    }),
  );
  const first = endpoints[0]!;
  endpoints.push({ ...first, id: UNMEASURED_ID, route: '/v1/unmeasured', cacheHitRatio: null });
  return endpoints;
}

/** The model features of an endpoint, as a direct `predictLatency` input would give them. */
export function featuresOf(e: Endpoint): Record<string, number | null> {
  return {
    payloadKb: e.avgPayloadKb,
    concurrency: e.inFlightRequests,
    cpuUtilization: e.cpuUtilization,
    memoryUtilization: e.memoryUtilization,
    cacheHitRatio: e.cacheHitRatio,
    dbQueries: e.dbQueriesPerRequest,
    downstreamCalls: e.downstreamCallsPerRequest,
    hourOfDay: e.localHour,
  };
}

export function createEndpointsSubgraph(
  catalog: readonly Endpoint[] = endpointCatalog(),
): YogaServerInstance<Record<string, unknown>, Record<string, unknown>> {
  const byId = new Map(catalog.map((e) => [e.id, e]));
  const schema = buildSubgraphSchema({
    typeDefs: parse(endpointsSdl),
    resolvers: {
      Query: {
        endpoints: (_root: unknown, args: { first: number; offset: number }) => catalog.slice(args.offset, args.offset + args.first),
        endpointsById: (_root: unknown, args: { ids: string[] }) => args.ids.map((id) => byId.get(id) ?? null),
        endpoint: (_root: unknown, args: { id: string }) => byId.get(args.id) ?? null,
      },
      Endpoint: {
        __resolveReference: (reference: { id: string }) => byId.get(reference.id) ?? null,
      },
    } as never,
  });
  return createYoga({ schema, graphqlEndpoint: '/graphql', landingPage: false, logging: false });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 4001);
  const yoga = createEndpointsSubgraph();
  createServer(yoga).listen(port, () => console.log(`endpoints subgraph: http://localhost:${port}${yoga.graphqlEndpoint}`));
}
