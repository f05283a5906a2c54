/**
 * GET /metrics: model runs (batch sizes, queue and compute time, runs, items, failures,
 * refusals, queue depth), GraphQL operations and the process, in the Prometheus text format,
 * agreeing with the runs counted where they reach the models (probe.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type PredictQLApp, type Services } from '../../src/app.ts';
import { InferenceService } from '../../src/inference/index.ts';
import { PredictManyDocument } from '../generated/graphql.ts';
import { loadRealApp } from '../support/app.ts';
import { gql, send } from '../support/graphql.ts';
import { metricValue, parseMetrics, type Sample } from '../support/metrics.ts';
import { aliasedQuery, aliasedVariables, MLP, sampleInputs } from '../support/models.ts';
import { HOLD_MARKER, type Probes } from '../support/probe.ts';
import { until } from '../support/until.ts';

let services: Services;
let yoga: PredictQLApp;
let probes: Probes;

// Real models, loaded once per file; the scheduler may run them on worker threads, stopped with the file.
beforeAll(async () => ({ services, yoga, probes } = await loadRealApp()));
afterAll(() => services.inference.close());

async function scrape(app: PredictQLApp): Promise<{ status: number; contentType: string | null; text: string; samples: Sample[] }> {
  const response = await app.fetch('http://yoga/metrics');
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    samples: response.ok ? parseMetrics(text) : [],
  };
}

const model = { model: MLP };

describe('GET /metrics', () => {
  it('serves the Prometheus text format with every model metric, named by convention', async () => {
    const { status, contentType, text } = await scrape(yoga);
    expect(status).toBe(200);
    expect(contentType).toContain('text/plain');
    expect(contentType).toContain('version=0.0.4');
    for (const [name, type] of [
      ['predictql_batch_size', 'histogram'],
      ['predictql_queue_duration_seconds', 'histogram'],
      ['predictql_compute_duration_seconds', 'histogram'],
      ['predictql_inference_runs_total', 'counter'],
      ['predictql_inference_items_total', 'counter'],
      ['predictql_inference_failed_runs_total', 'counter'],
      ['predictql_inference_failed_items_total', 'counter'],
      ['predictql_inference_refused_items_total', 'counter'],
      ['predictql_queue_rows', 'gauge'],
      ['predictql_inflight_runs', 'gauge'],
      ['predictql_model_info', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ]) {
      expect(text, name).toContain(`# TYPE ${name} ${type}\n`);
      expect(text, name).toMatch(new RegExp(`# HELP ${name} \\S`));
    }
  });

  it('counts runs and items as the models saw them, and histograms every run and job', async () => {
    const before = (await scrape(yoga)).samples;
    const inputs = sampleInputs(40, 100);
    const { runs } = await probes.counted(async () => {
      await gql(yoga, PredictManyDocument, { inputs: inputs.slice(0, 30) });
      await send(yoga, aliasedQuery(10), aliasedVariables(inputs.slice(30)));
    });
    const after = (await scrape(yoga)).samples;
    const delta = (name: string, labels: Record<string, string> = model) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(runs[MLP]).toEqual({ runs: 2, items: 40, failedRuns: 0 });
    expect(delta('predictql_inference_runs_total')).toBe(2);
    expect(delta('predictql_inference_items_total')).toBe(40);
    expect(delta('predictql_batch_size_count')).toBe(2);
    expect(delta('predictql_batch_size_sum')).toBe(40);
    // 30 rows fall in the le=32 bucket, 10 rows in le=16 (and so le=32 too).
    expect(delta('predictql_batch_size_bucket', { ...model, le: '16' })).toBe(1);
    expect(delta('predictql_batch_size_bucket', { ...model, le: '32' })).toBe(2);
    expect(delta('predictql_compute_duration_seconds_count')).toBe(2);
    expect(delta('predictql_compute_duration_seconds_sum')).toBeGreaterThan(0);
    expect(delta('predictql_queue_duration_seconds_count')).toBe(2); // one job per request
    expect(delta('predictql_inference_failed_runs_total')).toBe(0);
    // At rest: nothing queued, nothing running.
    expect(metricValue(after, 'predictql_queue_rows', model)).toBe(0);
    expect(metricValue(after, 'predictql_inflight_runs', model)).toBe(0);
    const executor = services.inference.batcher(MLP).executorKind;
    expect(
      metricValue(after, 'predictql_model_info', {
        ...model,
        version: '1',
        label: services.registry.get(MLP)!.manifest.version,
        default: 'true',
        executor,
        execution_provider: 'cpu',
      }),
    ).toBe(1);
  });

  it('counts GraphQL operations by name and type, and their errors', async () => {
    const before = (await scrape(yoga)).samples;
    await gql(yoga, PredictManyDocument, { inputs: sampleInputs(2, 200) });
    await send(yoga, '{ predictLatency(input: { payloadKb: -5 }) { p50Ms } }');
    const after = (await scrape(yoga)).samples;
    const operation = { operationName: 'PredictMany', operationType: 'query' };
    expect(
      metricValue(after, 'predictql_graphql_operations_total', operation) -
        metricValue(before, 'predictql_graphql_operations_total', operation),
    ).toBe(1);
    const gained = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(gained('predictql_graphql_operation_duration_seconds_count', operation)).toBe(1);
    expect(gained('predictql_http_request_duration_seconds_count', { ...operation, method: 'POST', statusCode: '200' })).toBe(1);
    const errors = (samples: Sample[]) =>
      samples.filter((s) => s.name === 'predictql_graphql_errors_total').reduce((sum, s) => sum + s.value, 0);
    // The second request (an unnamed operation) fails validation: one error counted.
    expect(errors(after) - errors(before)).toBe(1);
    // Labels of unbounded cardinality are off: no request URL, no error path.
    expect(after.some((s) => 'url' in s.labels || 'path' in s.labels)).toBe(false);
  });

  it('counts errors by the phase that reported them, one per error; introspection is not an operation', async () => {
    const before = (await scrape(yoga)).samples;
    await send(yoga, '{ predictLatency(');
    await send(yoga, 'query Bad { nosuchField }');
    // Two inputs out of range in one list: two field errors of the execute phase, one operation.
    const bad = { ...sampleInputs(1)[0]!, cpuUtilization: 7 };
    await gql(yoga, PredictManyDocument, { inputs: [bad, sampleInputs(1, 10)[0]!, bad] });
    await send(yoga, '{ __schema { queryType { name } } }');
    const after = (await scrape(yoga)).samples;
    const gained = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(gained('predictql_graphql_errors_total', { phase: 'parse' })).toBe(1);
    expect(gained('predictql_graphql_errors_total', { operationName: 'Bad', operationType: 'query', phase: 'validate' })).toBe(1);
    const many = { operationName: 'PredictMany', operationType: 'query' };
    expect(gained('predictql_graphql_errors_total', { ...many, phase: 'execute' })).toBe(2);
    expect(gained('predictql_graphql_operations_total', many)).toBe(1);
    expect(gained('predictql_graphql_operations_total', { operationName: 'Anonymous', operationType: 'query' })).toBe(0);
  });

  it('shows queued rows and the run in flight while a model is busy, and refused rows when its queue is full', async () => {
    const waiting = InferenceService.inThread(services.registry, { scheduler: { maxQueueSize: 64 } });
    const app = createApp({ ...services, inference: waiting, predictor: waiting });
    const mlp = probes.probe(MLP);
    try {
      mlp.hold();
      const blocker = gql(app, PredictManyDocument, { inputs: [{ ...sampleInputs(1)[0]!, payloadKb: HOLD_MARKER }] });
      await mlp.holding();
      const pending = gql(app, PredictManyDocument, { inputs: sampleInputs(50, 300) });
      await until(async () => metricValue((await scrape(app)).samples, 'predictql_queue_rows', model) === 50);
      expect(metricValue((await scrape(app)).samples, 'predictql_inflight_runs', model)).toBe(1);
      const refused = await gql(app, PredictManyDocument, { inputs: sampleInputs(20, 400) }); // 50 + 20 > 64
      expect(refused.errors?.[0]?.extensions?.code).toBe('OVERLOADED');
      mlp.release();
      expect((await pending).errors).toBeUndefined();
      expect((await blocker).errors).toBeUndefined();
      const samples = (await scrape(app)).samples;
      expect(metricValue(samples, 'predictql_inference_refused_items_total', model)).toBe(20);
      expect(metricValue(samples, 'predictql_queue_rows', model)).toBe(0);
      expect(metricValue(samples, 'predictql_inflight_runs', model)).toBe(0);
      expect(metricValue(samples, 'predictql_inference_items_total', model)).toBe(51);
    } finally {
      await waiting.close();
    }
  });

  it('gives each app its own registry (several apps over one service), and none when metrics are off', async () => {
    const second = createApp(services);
    const a = await scrape(yoga);
    const b = await scrape(second);
    expect(b.status).toBe(200);
    expect(metricValue(b.samples, 'predictql_inference_items_total', model)).toBe(
      metricValue(a.samples, 'predictql_inference_items_total', model),
    );
    const off = createApp({ ...services, metrics: false });
    expect((await off.fetch('http://yoga/metrics')).status).toBe(404);
  });
});
