/**
 * Prometheus metrics of the model runs, the figures Triton operators read from
 * `nv_inference_queue_duration_us`, `nv_inference_compute_infer_duration_us` and its exec vs
 * inference counts: batch sizes, queue and compute time per model, runs and items.
 *
 * Histograms are fed from the service's run observations; counters and gauges are read from the
 * batchers at scrape time, so they are exact whatever scraped when. One set of metric objects per
 * InferenceService (several apps over one service share it), registered into each app's registry.
 */
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';
import type { InferenceService, RunObservation } from '../inference/index.ts';

/** Rows per run: powers of two up to the default maxBatchSize. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/** A queue wait is a fraction of a millisecond when idle, up to maxQueueDelayMs or a long queue. */
export const QUEUE_SECONDS_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A run of the bundled models takes 10 µs (batch 1) to 10 ms (4096 rows through the GBDT). */
export const COMPUTE_SECONDS_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

const byService = new WeakMap<InferenceService, InferenceMetrics>();

export class InferenceMetrics {
  readonly metrics: Metric[];
  readonly #batchSize: Histogram<'model' | 'executor'>;
  readonly #queueSeconds: Histogram<'model'>;
  readonly #computeSeconds: Histogram<'model' | 'executor'>;
  readonly #paddingEfficiency: Histogram<'model'>;

  /** The metrics of `service`, created (and subscribed to its runs) on first use. */
  static for(service: InferenceService): InferenceMetrics {
    let metrics = byService.get(service);
    if (!metrics) {
      metrics = new InferenceMetrics(service);
      byService.set(service, metrics);
    }
    return metrics;
  }

  private constructor(service: InferenceService) {
    const registers: Registry[] = [];
    this.#batchSize = new Histogram({
      name: 'predictql_batch_size',
      help: 'Rows per model run (all requests merged into it). Mean: rate(items_total) / rate(runs_total).',
      labelNames: ['model', 'executor'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.#queueSeconds = new Histogram({
      name: 'predictql_queue_duration_seconds',
      help: "Wait of each job (one request's rows for a model) from its first load to the start of its run.",
      labelNames: ['model'],
      buckets: QUEUE_SECONDS_BUCKETS,
      registers,
    });
    this.#computeSeconds = new Histogram({
      name: 'predictql_compute_duration_seconds',
      help: 'Duration of each model run (onnxruntime, plus the worker round trip on the worker executor).',
      labelNames: ['model', 'executor'],
      buckets: COMPUTE_SECONDS_BUCKETS,
      registers,
    });
    this.#paddingEfficiency = new Histogram({
      name: 'predictql_padding_efficiency',
      help: "A text model's runs by padding efficiency: real tokens / tokens run once padded to the run's longest row.",
      labelNames: ['model'],
      buckets: [0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
      registers,
    });
    const batchers = () => service.batchers();
    const counter = (name: string, help: string, read: (c: ReturnType<InferenceService['counters']>) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['model', 'executor'],
        registers,
        // Exact values from the batchers' own counters, whenever the scrape comes.
        collect(this: Counter<'model' | 'executor'>) {
          this.reset();
          for (const b of batchers()) this.inc({ model: b.model.name, executor: b.executorKind }, read(b.counters()));
        },
      });
    const gauge = (name: string, help: string, labelNames: string[], set: (g: Gauge) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect(this: Gauge) {
          this.reset();
          set(this);
        },
      });
    this.metrics = [
      this.#batchSize,
      this.#queueSeconds,
      this.#computeSeconds,
      this.#paddingEfficiency,
      counter('predictql_inference_runs_total', 'Model runs (executions), failed ones included.', (c) => c.runs),
      counter('predictql_inference_items_total', 'Rows run through the model (inferences).', (c) => c.items),
      counter(
        'predictql_inference_failed_runs_total',
        'Model runs that failed (including the halves re-run to isolate a bad row).',
        (c) => c.failedRuns,
      ),
      counter('predictql_inference_failed_items_total', 'Rows whose final run failed (answered INFERENCE_FAILED).', (c) => c.failedItems),
      counter('predictql_inference_tokens_total', "A text model's real tokens run (its padding left out).", (c) => c.tokens),
      counter(
        'predictql_inference_padded_tokens_total',
        "A text model's tokens as run, every row padded to its run's longest: tokens_total / padded_tokens_total is the padding efficiency.",
        (c) => c.paddedTokens,
      ),
      counter(
        'predictql_inference_refused_items_total',
        'Rows refused before running: queue full, queue timeout or shutting down (OVERLOADED).',
        (c) => c.refusedItems,
      ),
      gauge('predictql_queue_rows', 'Rows waiting for a run now.', ['model'], (g) => {
        for (const b of batchers()) g.set({ model: b.model.name }, b.queuedRows);
      }),
      gauge('predictql_inflight_runs', 'Model runs under way now (0 or 1 per model).', ['model'], (g) => {
        for (const b of batchers()) g.set({ model: b.model.name }, b.inFlightRuns);
      }),
      gauge(
        'predictql_model_info',
        'Always 1; the labels say how each model is served.',
        ['model', 'version', 'executor', 'execution_provider'],
        (g) => {
          for (const b of batchers()) {
            const version = service.registry.get(b.model.name)?.manifest.version ?? '';
            g.set({ model: b.model.name, version, executor: b.executorKind, execution_provider: b.model.executionProvider }, 1);
          }
        },
      ),
    ];
    service.onRun((run) => this.#observe(run));
  }

  /** Adds these metrics to `registry` (a metric may belong to several registries). */
  registerIn(registry: Registry): void {
    for (const metric of this.metrics) registry.registerMetric(metric);
  }

  #observe(run: RunObservation): void {
    if (run.tokens) this.#paddingEfficiency.observe({ model: run.model }, run.tokens.real / Math.max(run.tokens.padded, 1));
    const labels = { model: run.model, executor: run.executor };
    this.#batchSize.observe(labels, run.size);
    this.#computeSeconds.observe(labels, run.computeMs / 1000);
    for (const queueMs of run.queueMs) this.#queueSeconds.observe({ model: run.model }, Math.max(0, queueMs) / 1000);
  }
}
