/**
 * OpenTelemetry: a span per GraphQL operation and per model run, each run span linked to the
 * operation spans of every request it served (the OTel way to model batching), with the run's
 * figures as attributes. Spans go to an in-memory exporter through the app's own tracer.
 */
import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type PredictQLApp, type Services } from '../../src/app.ts';
import { InferenceService } from '../../src/inference/index.ts';
import { BATCH_SPAN_NAME } from '../../src/opentelemetry/batch-spans.ts';
import { loadRealApp } from '../support/app.ts';
import { send, TRACE, traceOf } from '../support/graphql.ts';
import { aliasedVariables, GBDT, MLP, sampleInputs } from '../support/models.ts';
import { HOLD_MARKER, type Probes } from '../support/probe.ts';
import { freePort, startServerProcess, waitForOutput } from '../support/processes.ts';
import { until } from '../support/until.ts';

let services: Services;
let probes: Probes;
/** The in-thread service of the traced app (merging requests, as by default). */
let merging: InferenceService;
let yoga: PredictQLApp;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(async () => {
  // What NodeTracerProvider.register() does in the server (tracing/otel-setup.ts).
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  ({ services, probes } = await loadRealApp());
  merging = InferenceService.inThread(services.registry);
  yoga = createApp({ ...services, inference: merging, predictor: merging, tracer: provider.getTracer('test') });
});

afterAll(async () => {
  propagation.disable();
  await merging.close();
  await services.inference.close();
});

beforeEach(() => exporter.reset());

const query = (name: string, n: number, model = MLP) =>
  `query ${name}(${Array.from({ length: n }, (_, i) => `$i${i}: LatencyFeaturesInput!`).join(', ')}) { ${Array.from(
    { length: n },
    (_, i) => `a${i}: predictLatency(input: $i${i}, model: "${model}") { p50Ms }`,
  ).join(' ')} }`;

const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const linkedSpanIds = (span: ReadableSpan) => span.links.map((l) => l.context.spanId).sort();

describe('OpenTelemetry spans', () => {
  it('links the run that merged two concurrent requests to both operation spans', async () => {
    // A held run keeps the model busy: the two requests queue behind it and can only run together.
    const mlp = probes.probe(MLP);
    mlp.hold();
    const blocker = send(yoga, query('Blocker', 1), aliasedVariables([{ ...sampleInputs(1, 99)[0]!, payloadKb: HOLD_MARKER }]));
    await mlp.holding();
    const pending = [
      send(yoga, query('PredictA', 3), aliasedVariables(sampleInputs(3, 0)), TRACE),
      send(yoga, query('PredictB', 4), aliasedVariables(sampleInputs(4, 10)), TRACE),
    ] as const;
    await until(() => merging.batcher(MLP).queuedRows === 7);
    mlp.release();
    const [a, b] = await Promise.all(pending);
    expect((await blocker).errors).toBeUndefined();
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    // The responses' own traces say the two requests shared one run.
    const [runA] = traceOf(a).batches;
    const [runB] = traceOf(b).batches;
    expect(runA!.runId).toBe(runB!.runId);
    expect(runA!.requests).toBe(2);

    const [opA] = spans('query PredictA');
    const [opB] = spans('query PredictB');
    expect(opA).toBeDefined();
    expect(opB).toBeDefined();
    expect(opA!.kind).toBe(SpanKind.SERVER);
    expect(opA!.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'PredictA' });

    const batches = spans(BATCH_SPAN_NAME);
    expect(batches).toHaveLength(2); // the blocker's run, and the merged one
    const batch = batches.find((s) => s.attributes['predictql.run_id'] === runA!.runId);
    expect(linkedSpanIds(batch!)).toEqual([opA!.spanContext().spanId, opB!.spanContext().spanId].sort());
    expect(batch!.links.map((l) => l.context.traceId).sort()).toEqual([opA!.spanContext().traceId, opB!.spanContext().traceId].sort());
    // Serving two traces, it belongs to neither: a root span of its own.
    expect(batch!.parentSpanContext).toBeUndefined();
    expect(batch!.attributes).toMatchObject({
      'predictql.model': MLP,
      'predictql.run_id': runA!.runId,
      'predictql.batch.size': 7,
      'predictql.batch.requests': 2,
      'predictql.executor': 'main',
      'predictql.execution_provider': 'cpu',
      'predictql.batch.failed': false,
    });
    expect(batch!.attributes['predictql.queue_ms']).toBeGreaterThanOrEqual(0);
    expect(batch!.attributes['predictql.compute_ms']).toBeGreaterThan(0);
    expect(batch!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('makes the run of a single request a child of its operation, and links one span per run per model', async () => {
    const vars = aliasedVariables(sampleInputs(4, 50));
    const twoModels = `query TwoModels($i0: LatencyFeaturesInput!, $i1: LatencyFeaturesInput!, $i2: LatencyFeaturesInput!, $i3: LatencyFeaturesInput!) {
      a0: predictLatency(input: $i0, model: "${MLP}") { p50Ms } a1: predictLatency(input: $i1, model: "${MLP}") { p50Ms }
      a2: predictLatency(input: $i2, model: "${GBDT}") { p50Ms } a3: predictLatency(input: $i3, model: "${GBDT}") { p50Ms } }`;
    const result = await send(yoga, twoModels, vars);
    expect(result.errors).toBeUndefined();
    const [operation] = spans('query TwoModels');
    const batches = spans(BATCH_SPAN_NAME);
    expect(batches.map((s) => s.attributes['predictql.model']).sort()).toEqual([MLP, GBDT].sort());
    for (const batch of batches) {
      expect(batch.parentSpanContext?.spanId).toBe(operation!.spanContext().spanId);
      expect(batch.spanContext().traceId).toBe(operation!.spanContext().traceId);
      expect(linkedSpanIds(batch)).toEqual([operation!.spanContext().spanId]);
      expect(batch.attributes['predictql.batch.size']).toBe(2);
    }
  });

  it("continues the caller's trace from its traceparent header", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await send(yoga, query('Traced', 1), aliasedVariables(sampleInputs(1, 70)), { traceparent: `00-${traceId}-${parentId}-01` });
    const [operation] = spans('query Traced');
    expect(operation!.spanContext().traceId).toBe(traceId);
    expect(operation!.parentSpanContext?.spanId).toBe(parentId);
  });

  it('marks an operation with errors, and makes no batch span when nothing ran', async () => {
    const result = await send(yoga, query('Bad', 1, 'nope'), aliasedVariables(sampleInputs(1, 90)));
    expect(result.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_FOUND');
    const [operation] = spans('query Bad');
    expect(operation).toBeDefined();
    expect(operation!.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans(BATCH_SPAN_NAME)).toHaveLength(0);
  });

  it('uses the global tracer by default: spans while a provider is registered, none once tracing is off', async () => {
    const global = new InMemorySpanExporter();
    const globalProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(global)] });
    const plain = () => createApp({ ...services, inference: merging, predictor: merging });
    try {
      trace.setGlobalTracerProvider(globalProvider);
      expect((await send(plain(), query('Started', 2), aliasedVariables(sampleInputs(2, 80)))).errors).toBeUndefined();
      expect(
        global
          .getFinishedSpans()
          .map((s) => s.name)
          .sort(),
      ).toEqual([BATCH_SPAN_NAME, 'query Started']);
    } finally {
      trace.disable();
    }
    global.reset();
    // A server whose tracing was never started (the default) gets the no-op tracer.
    expect((await send(plain(), query('Stopped', 2), aliasedVariables(sampleInputs(2, 85)))).errors).toBeUndefined();
    expect(global.getFinishedSpans()).toHaveLength(0);
    expect(exporter.getFinishedSpans()).toHaveLength(0); // nor did it use the other app's tracer
  });
});

describe('tracing started from the OTEL_* variables (real process)', () => {
  it('OTEL_TRACES_EXPORTER=console: prints the operation and its linked batch span', async () => {
    const port = await freePort();
    const server = startServerProcess({
      PORT: String(port),
      HOST: '127.0.0.1',
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_SERVICE_NAME: 'predictql-test',
    });
    try {
      await waitForOutput(server, 'GraphiQL at');
      expect(server.output().stdout).toContain('OpenTelemetry tracing on (console)');
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: query('FromProcess', 2), variables: aliasedVariables(sampleInputs(2, 95)) }),
      });
      expect(response.status).toBe(200);
      // With GraphQL threads the operation span is printed by its thread and the batch span by the
      // main thread, in either order: wait for both.
      await waitForOutput(server, `name: '${BATCH_SPAN_NAME}'`);
      await waitForOutput(server, "name: 'query FromProcess'");
      const { stdout } = server.output();
      expect(stdout).toContain("'service.name': 'predictql-test'");
      expect(stdout).toContain("'predictql.batch.size': 2");
      expect(stdout).toMatch(/links: \[\s*\{\s*context: \{/);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });
});
