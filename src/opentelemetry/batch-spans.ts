/**
 * OpenTelemetry spans for model runs, linked to the GraphQL operations they served.
 *
 * One run (batch) serves rows of many requests, so it has no single parent: the OpenTelemetry way
 * to model batching is a span with a link to each request's span. Every `predictql.batch` span
 * links to the operation span of each request whose rows it ran; when it served one request only,
 * that operation is also its parent, so the batch shows inside the request's trace.
 *
 * The scheduler knows nothing of OpenTelemetry: each request's loaders pass an OperationSpanRef as
 * the jobs' opaque `traceContext`, and the run observation hands the distinct ones back. A job from
 * a GraphQL thread (src/threads/) carries its operation's SpanContextData instead: plain data that
 * crosses threads; its batch span is made in the owner thread, by the owner's tracer.
 */
import {
  createTraceState,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
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

/** An operation span's identity as plain data (W3C trace context), for a job that crosses threads. */
export interface SpanContextData {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: string;
}

/** The operation span of a job's `traceContext` as plain data, when it is being recorded (else undefined). */
export function spanContextData(traceContext: unknown): SpanContextData | undefined {
  if (!(traceContext instanceof OperationSpanRef) || !traceContext.span?.isRecording()) return undefined;
  const { traceId, spanId, traceFlags, traceState } = traceContext.span.spanContext();
  return { traceId, spanId, traceFlags, ...(traceState ? { traceState: traceState.serialize() } : {}) };
}

const installed = new WeakSet<InferenceService>();

/**
 * Makes a span for every run of `service` that served a traced operation (once per service).
 * `tracer` makes the spans of jobs that came from GraphQL threads (their contexts are data).
 */
export function installBatchSpans(service: InferenceService, tracer?: Tracer): void {
  if (installed.has(service)) return;
  installed.add(service);
  service.onRun((run) => recordBatchSpan(run, tracer));
}

export function recordBatchSpan(run: RunObservation, remoteTracer?: Tracer): void {
  const operations: SpanContext[] = [];
  let tracer: Tracer | undefined;
  for (const ref of run.traceContexts) {
    if (ref instanceof OperationSpanRef) {
      if (!ref.span?.isRecording()) continue;
      operations.push(ref.span.spanContext());
      tracer ??= ref.tracer;
    } else if (remoteTracer && isSpanContextData(ref)) {
      // Sent only for a recording span: the GraphQL thread sampled it in.
      const { traceId, spanId, traceFlags, traceState } = ref;
      operations.push({ traceId, spanId, traceFlags, isRemote: true, ...(traceState ? { traceState: createTraceState(traceState) } : {}) });
      tracer ??= remoteTracer;
    }
  }
  // No operation is traced (tracing off, or sampled out): no span, no cost.
  if (!tracer) return;
  const startTime = performance.timeOrigin + run.startedAtMs;
  const links: Link[] = operations.map((context) => ({ context }));
  const parent = operations.length === 1 ? trace.setSpanContext(ROOT_CONTEXT, operations[0]!) : undefined;
  const span = tracer.startSpan(
    BATCH_SPAN_NAME,
    {
      kind: SpanKind.INTERNAL,
      startTime,
      root: parent === undefined,
      links,
      attributes: {
        'predictql.model': run.model,
        'predictql.model.version': run.version,
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

function isSpanContextData(value: unknown): value is SpanContextData {
  const data = value as Partial<SpanContextData> | null;
  return typeof data?.traceId === 'string' && typeof data.spanId === 'string' && typeof data.traceFlags === 'number';
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
