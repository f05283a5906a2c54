/**
 * One OpenTelemetry span per GraphQL operation (`query Name`, kind SERVER, child of the caller's
 * W3C `traceparent` when it sends one), and the `predictql.batch` spans of the runs that served it,
 * linked to it (opentelemetry/batch-spans.ts). Spans go to `tracer`: by default the global one, which
 * records nothing unless tracing was started (opentelemetry/start-tracing.ts, from the OTEL_* variables).
 */
import { context as otelContext, propagation, SpanKind, SpanStatusCode, type TextMapGetter, type Tracer, trace } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { PredictQLContext } from '../graphql/context.ts';
import type { InferenceService } from '../inference/index.ts';
import { installBatchSpans, OperationSpanRef } from '../opentelemetry/batch-spans.ts';

export interface OpenTelemetrySpansOptions {
  /** Default: `trace.getTracer('predictql')` from the global provider. */
  tracer?: Tracer;
  /** Whose runs become batch spans; without it only operation spans are made. */
  inference?: InferenceService | undefined;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

export function useOpenTelemetrySpans({
  tracer = trace.getTracer('predictql'),
  inference,
}: OpenTelemetrySpansOptions = {}): Plugin<PredictQLContext> {
  if (inference) installBatchSpans(inference);
  return {
    onContextBuilding({ extendContext }) {
      // Made before execution so the loaders (built in the same phase) can hand it to their jobs.
      extendContext({ operationSpan: new OperationSpanRef(tracer) });
    },
    onExecute({ args }) {
      const ctx = args.contextValue as PredictQLContext & YogaInitialContext;
      const ref = ctx.operationSpan;
      if (!ref) return;
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'query';
      const name = operation?.name?.value;
      const parent = propagation.extract(otelContext.active(), ctx.request.headers, headerGetter);
      const span = tracer.startSpan(
        name ? `${type} ${name}` : type,
        {
          kind: SpanKind.SERVER,
          attributes: { 'graphql.operation.type': type, ...(name ? { 'graphql.operation.name': name } : {}) },
        },
        parent,
      );
      ref.span = span;
      return {
        onExecuteDone({ result }) {
          if (!(Symbol.asyncIterator in result) && result.errors?.length) {
            span.setAttribute('graphql.errors.count', result.errors.length);
            span.setStatus({ code: SpanStatusCode.ERROR, message: result.errors[0]!.message });
          }
          span.end();
        },
      };
    },
  };
}
