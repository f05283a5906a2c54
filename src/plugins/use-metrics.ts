/**
 * `GET /metrics` in the Prometheus text format: model runs (inference-metrics.ts), GraphQL
 * operations (@graphql-yoga/plugin-prometheus, renamed to Prometheus conventions) and the
 * process (prom-client's default Node.js metrics). Each app has its own registry, never
 * prom-client's global one, so several apps (tests) never collide. In a GraphQL thread the scrape
 * answers for the whole server: `gather` collects every thread's registry and the owner's.
 */
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { InferenceService } from '../inference/index.ts';
import { InferenceMetrics } from '../metrics/inference-metrics.ts';

export interface MetricsOptions {
  /** Default: a new registry for this app. */
  registry?: Registry;
  /** Whose model runs to report; without it only GraphQL and process metrics are served. */
  inference?: InferenceService | undefined;
  endpoint?: string;
  /** prom-client's process_* and nodejs_* metrics. Default true. */
  processMetrics?: boolean;
  /** Operation counts, durations and errors, from @graphql-yoga/plugin-prometheus. Default true. */
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
      if (graphqlMetrics) addPlugin(graphqlPrometheus(registry));
    },
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint || request.method !== 'GET') return;
      return gather(registry).then((text) => {
        endResponse(new fetchAPI.Response(text, { status: 200, headers: { 'content-type': registry.contentType } }));
      });
    },
  };
}

// Private: the plugin's defaults carry envelop's names (no units, no _total), a summary, and labels
// whose values are unbounded (the request URL with its query string, error paths with list
// indexes). Keep four metrics under conventional names and labels of bounded cardinality.
function graphqlPrometheus(registry: Registry): Plugin {
  return usePrometheus({
    registry,
    endpoint: false,
    skipIntrospection: true,
    labels: { url: false, path: false },
    metrics: {
      graphql_envelop_request: 'predictql_graphql_operations_total',
      graphql_envelop_request_duration: 'predictql_graphql_operation_duration_seconds',
      graphql_envelop_error_result: 'predictql_graphql_errors_total',
      graphql_yoga_http_duration: 'predictql_http_request_duration_seconds',
      graphql_envelop_request_time_summary: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_schema_change: false,
    },
  });
}
