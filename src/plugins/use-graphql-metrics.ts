/**
 * The GraphQL and HTTP metrics of `GET /metrics`: operations by name and type, their duration,
 * their errors by phase, and each HTTP request's duration with its method and status. Labels have
 * bounded cardinality (no request URL, no error path).
 *
 * Written by hand, with the names, labels and buckets that @graphql-yoga/plugin-prometheus (on
 * @envelop/prometheus) gave these four metrics, because that plugin was the costliest of the app's
 * plugins per request in `npm run bench:plugins` (figures in docs/benchmarks.md). Its generality
 * (a dozen configurable metrics, labels filtered through object copies, handler lists filtered per
 * phase and request) is what each request paid for; here each hook does only its metric's work.
 * Durations come from performance.now(): the plugin's Date.now() made every sub-millisecond
 * operation (most of them) a 0.
 */
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Histogram, type Registry } from 'prom-client';

interface OperationLabels {
  operationName: string;
  operationType: string;
}

const OPERATION_LABELS = ['operationName', 'operationType'] as const;

export function useGraphQLMetrics(registry: Registry): Plugin {
  const registers = [registry];
  const operations = new Counter({
    name: 'predictql_graphql_operations_total',
    help: 'GraphQL operations executed, by name and type (introspection excluded).',
    labelNames: OPERATION_LABELS,
    registers,
  });
  const operationSeconds = new Histogram({
    name: 'predictql_graphql_operation_duration_seconds',
    help: 'Time executing a GraphQL operation, after parsing and validation.',
    labelNames: OPERATION_LABELS,
    registers,
  });
  const errors = new Counter({
    name: 'predictql_graphql_errors_total',
    help: 'GraphQL errors, by the phase that reported them: parse, validate, context or execute.',
    labelNames: [...OPERATION_LABELS, 'phase'],
    registers,
  });
  const httpSeconds = new Histogram({
    name: 'predictql_http_request_duration_seconds',
    help: "Time from a GraphQL request's arrival to its response.",
    labelNames: [...OPERATION_LABELS, 'method', 'statusCode'],
    registers,
  });

  // What a request's hooks hand each other: when it began, and its operation once parsed.
  const startedMs = new WeakMap<Request, number>();
  const operationOfRequest = new WeakMap<Request, OperationLabels>();
  // Introspection (GraphiQL's schema fetch) is not an operation of the API: not counted, as before.
  const operationOfContext = new WeakMap<object, OperationLabels>();

  return {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context }) => {
        const labels = operationOfContext.get(context);
        if (labels) errors.inc({ ...labels, phase: 'context' });
      });
    },
    onRequest({ request }) {
      startedMs.set(request, performance.now());
    },
    onParse({ context, params }) {
      const introspection = (typeof params.source === 'string' ? params.source : params.source.body).includes('__schema');
      return ({ result }) => {
        if (result === null || result instanceof Error) {
          if (!introspection) errors.inc({ phase: 'parse' });
          return;
        }
        const requested = context.params?.operationName ?? undefined;
        const operation = getOperationAST(result, requested);
        const labels = {
          operationName: requested || operation?.name?.value || 'Anonymous',
          operationType: operation?.operation ?? 'unknown',
        };
        operationOfRequest.set(context.request, labels);
        if (!introspection) operationOfContext.set(context, labels);
      };
    },
    onValidate({ context }) {
      const labels = operationOfContext.get(context);
      if (!labels) return;
      return ({ valid }) => {
        if (!valid) errors.inc({ ...labels, phase: 'validate' });
      };
    },
    onExecute({ args }) {
      const labels = operationOfContext.get(args.contextValue as object);
      if (!labels) return;
      const startMs = performance.now();
      return {
        onExecuteDone({ result }) {
          // predictql serves no subscriptions or incremental delivery: a result is one object.
          if (Symbol.asyncIterator in result) return;
          const failed = result.errors?.length ?? 0;
          if (failed > 0) errors.inc({ ...labels, phase: 'execute' }, failed);
          operations.inc(labels);
          operationSeconds.observe(labels, (performance.now() - startMs) / 1000);
        },
      };
    },
    onResponse({ request, response }) {
      const startMs = startedMs.get(request);
      const labels = operationOfRequest.get(request);
      if (startMs === undefined || labels === undefined) return;
      httpSeconds.observe({ ...labels, method: request.method, statusCode: response.status }, (performance.now() - startMs) / 1000);
    },
  };
}
