/**
 * OpenTelemetry spans for model runs, linked to the GraphQL operations they served.
 *
 * One run (batch) serves rows of many requests, so it has no single parent: the OpenTelemetry way
 * to model batching is a span with a link to each request's span. Every `predictql.batch` span
 * links to the operation span of each request whose rows it ran; when it served one request only,
 * that operation is also its parent, so the batch shows inside the request's trace.
 *
 * The scheduler knows nothing of OpenTelemetry: each request's loaders pass an OperationSpanRef as
 * the jobs' opaque `traceContext`, and the run observation hands the distinct ones back.
 */
import { type Link, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { InferenceService, RunObservation } from '../inference/index.ts';

export const BATCH_SPAN_NAME = 'predictql.batch';

/** A request's operation span, filled in when execution starts (after the loaders were made). */
export class OperationSpanRef {
  readonly tracer: Tracer;
  span: Span | undefined;

  constructor(tracer: Tracer) {
    this.tracer = tracer;
  }
}

const installed = new WeakSet<InferenceService>();

/** Makes a span for every run of `service` that served a traced operation (once per service). */
export function installBatchSpans(service: InferenceService): void {
  if (installed.has(service)) return;
  installed.add(service);
  service.onRun(recordBatchSpan);
}

export function recordBatchSpan(run: RunObservation): void {
  const operations: Span[] = [];
  let tracer: Tracer | undefined;
  for (const ref of run.traceContexts) {
    if (!(ref instanceof OperationSpanRef) || !ref.span?.isRecording()) continue;
    operations.push(ref.span);
    tracer ??= ref.tracer;
  }
  // No operation is traced (tracing off, or sampled out): no span, no cost.
  if (!tracer) return;
  const startTime = performance.timeOrigin + run.startedAtMs;
  const links: Link[] = operations.map((span) => ({ context: span.spanContext() }));
  const parent = operations.length === 1 ? trace.setSpan(ROOT_CONTEXT, operations[0]!) : undefined;
  const span = tracer.startSpan(
    BATCH_SPAN_NAME,
    {
      kind: SpanKind.INTERNAL,
      startTime,
      root: parent === undefined,
      links,
      attributes: {
        'predictql.model': run.model,
        'predictql.run_id': run.runId,
        'predictql.batch.size': run.size,
        'predictql.batch.requests': run.requests,
        'predictql.queue_ms': round(longest(run.queueMs)),
        'predictql.compute_ms': round(run.computeMs),
        'predictql.executor': run.executor,
        'predictql.execution_provider': run.executionProvider,
        'predictql.batch.failed': run.failed,
      },
    },
    parent,
  );
  if (run.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `the run of ${run.size} row(s) failed` });
  span.end(startTime + run.computeMs);
}

// Private: a run may hold thousands of jobs; no spread into Math.max.
function longest(values: readonly number[]): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
