/**
 * `GET /metrics` in the Prometheus text format: model runs (inference-metrics.ts), GraphQL
 * operations and HTTP requests (use-graphql-metrics.ts) and the
 * process (prom-client's default Node.js metrics). Each app has its own registry, never
 * prom-client's global one, so several apps (tests) never collide. In a GraphQL thread the scrape
 * answers for the whole server: `gather` collects every thread's registry and the owner's.
 */
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { InferenceService } from '../inference/index.ts';
import { InferenceMetrics } from '../metrics/inference-metrics.ts';
import { useGraphQLMetrics } from './use-graphql-metrics.ts';

export interface MetricsOptions {
  /** Default: a new registry for this app. */
  registry?: Registry;
  /** Whose model runs to report; without it only GraphQL and process metrics are served. */
  inference?: InferenceService | undefined;
  endpoint?: string;
  /** prom-client's process_* and nodejs_* metrics. Default true. */
  processMetrics?: boolean;
  /** Operation counts, durations and errors, and HTTP request durations (use-graphql-metrics.ts). Default true. */
  graphqlMetrics?: boolean;
  /** What a scrape answers. Default: this registry's text. A GraphQL thread's: the whole server's (src/threads/). */
  gather?: (registry: Registry) => Promise<string>;
}

export function useMetrics({
  registry = new Registry(),
  inference,
  endpoint = '/metrics',
  processMetrics = true,
  graphqlMetrics = true,
  gather = (own) => own.metrics(),
}: MetricsOptions = {}): Plugin {
  if (inference) InferenceMetrics.for(inference).registerIn(registry);
  if (processMetrics) collectDefaultMetrics({ register: registry });
  return {
    onPluginInit({ addPlugin }) {
      if (graphqlMetrics) addPlugin(useGraphQLMetrics(registry));
    },
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint || request.method !== 'GET') return;
      return gather(registry).then((text) => {
        endResponse(new fetchAPI.Response(text, { status: 200, headers: { 'content-type': registry.contentType } }));
      });
    },
  };
}
