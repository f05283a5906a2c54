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
  readonly #batchSize: Histogram<'model' | 'version' | 'executor'>;
  readonly #queueSeconds: Histogram<'model' | 'version'>;
  readonly #computeSeconds: Histogram<'model' | 'version' | 'executor'>;
  readonly #paddingEfficiency: Histogram<'model' | 'version'>;

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
      labelNames: ['model', 'version', 'executor'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.#queueSeconds = new Histogram({
      name: 'predictql_queue_duration_seconds',
      help: "Wait of each job (one request's rows for a model) from its first load to the start of its run.",
      labelNames: ['model', 'version'],
      buckets: QUEUE_SECONDS_BUCKETS,
      registers,
    });
    this.#computeSeconds = new Histogram({
      name: 'predictql_compute_duration_seconds',
      help: 'Duration of each model run (onnxruntime, plus the worker round trip on the worker executor).',
      labelNames: ['model', 'version', 'executor'],
      buckets: COMPUTE_SECONDS_BUCKETS,
      registers,
    });
    this.#paddingEfficiency = new Histogram({
      name: 'predictql_padding_efficiency',
      help: "A text model's runs by padding efficiency: real tokens / tokens run once padded to the run's longest row.",
      labelNames: ['model', 'version'],
      buckets: [0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
      registers,
    });
    const batchers = () => service.batchers();
    const counter = (name: string, help: string, read: (c: ReturnType<InferenceService['counters']>) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['model', 'version', 'executor'],
        registers,
        // Exact values from the batchers' own counters, whenever the scrape comes. A version a
        // reload retired takes its series with it; one loaded again under its number starts at 0 (a
        // counter reset, which rate() reads as such).
        collect(this: Counter<'model' | 'version' | 'executor'>) {
          this.reset();
          for (const b of batchers()) this.inc(versionLabels(b, { executor: b.executorKind }), read(b.counters()));
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
      gauge('predictql_queue_rows', 'Rows waiting for a run now.', ['model', 'version'], (g) => {
        for (const b of batchers()) g.set(versionLabels(b), b.queuedRows);
      }),
      gauge('predictql_inflight_runs', 'Model runs under way now (0 or 1 per model version).', ['model', 'version'], (g) => {
        for (const b of batchers()) g.set(versionLabels(b), b.inFlightRuns);
      }),
      gauge(
        'predictql_model_info',
        "Always 1, one series per served model version; `version` is its number, `label` its manifest's version, `default` whether fields without `version:` get it.",
        ['model', 'version', 'label', 'default', 'executor', 'execution_provider'],
        (g) => {
          for (const b of batchers()) {
            const model = service.servedModel(b.model.loadId);
            const isDefault = service.registry.get(b.model.name)?.loadId === b.model.loadId;
            g.set(
              versionLabels(b, {
                label: model?.manifest.version ?? '',
                default: String(isDefault),
                executor: b.executorKind,
                execution_provider: b.model.executionProvider,
              }),
              1,
            );
          }
        },
      ),
    ];
    const loadSeconds = new Histogram({
      name: 'predictql_model_load_duration_seconds',
      help: 'Load + check + warm-up time of each model version loaded while serving (model control), before its swap.',
      labelNames: ['model'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.metrics.push(
      loadSeconds,
      new Counter({
        name: 'predictql_model_loads_total',
        help: 'Model versions loaded while serving (model control): result "loaded", or "failed" (refused: the versions serving stay).',
        labelNames: ['model', 'result'],
        registers,
        collect(this: Counter<'model' | 'result'>) {
          this.reset();
          for (const [model, c] of service.loads) {
            this.inc({ model, result: 'loaded' }, c.loaded);
            this.inc({ model, result: 'failed' }, c.failed);
          }
        },
      }),
    );
    const cache = service.responseCache;
    // Per model version, read from the service's counts at scrape time (a load retired takes its
    // counts with it, as the batchers' counters do).
    const cacheCounter = (name: string, help: string, read: (c: { hits: number; misses: number }) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['model', 'version'],
        registers,
        collect(this: Counter<'model' | 'version'>) {
          this.reset();
          for (const c of service.cacheCounts()) this.inc({ model: c.model, version: String(c.version) }, read(c));
        },
      });
    this.metrics.push(
      cacheCounter(
        'predictql_response_cache_hits_total',
        'Rows answered from the response cache, without a run (PREDICTQL_RESPONSE_CACHE_BYTES).',
        (c) => c.hits,
      ),
      cacheCounter('predictql_response_cache_misses_total', 'Rows the response cache did not hold, which went to a run.', (c) => c.misses),
      gauge(
        'predictql_response_cache_bytes',
        'Bytes the response cache holds now (its bound: PREDICTQL_RESPONSE_CACHE_BYTES).',
        [],
        (g) => {
          g.set(cache.stats().bytes);
        },
      ),
      gauge('predictql_response_cache_entries', 'Rows the response cache holds now.', [], (g) => {
        g.set(cache.stats().entries);
      }),
      new Counter({
        name: 'predictql_response_cache_evictions_total',
        help: 'Rows the response cache dropped to stay within its bound (CLOCK: the oldest not used since the last pass first).',
        registers,
        collect(this: Counter) {
          this.reset();
          this.inc(cache.stats().evictions);
        },
      }),
    );
    service.onLoad((model, seconds) => loadSeconds.observe({ model }, seconds));
    service.onRun((run) => this.#observe(run));
  }

  /** Adds these metrics to `registry` (a metric may belong to several registries). */
  registerIn(registry: Registry): void {
    for (const metric of this.metrics) registry.registerMetric(metric);
  }

  #observe(run: RunObservation): void {
    const model = { model: run.model, version: String(run.version) };
    if (run.tokens) this.#paddingEfficiency.observe(model, run.tokens.real / Math.max(run.tokens.padded, 1));
    const labels = { ...model, executor: run.executor };
    this.#batchSize.observe(labels, run.size);
    this.#computeSeconds.observe(labels, run.computeMs / 1000);
    for (const queueMs of run.queueMs) this.#queueSeconds.observe(model, Math.max(0, queueMs) / 1000);
  }
}

// Private: a batcher's model and version as labels, with `extra`.
function versionLabels<T extends Record<string, string>>(
  b: { model: { name: string; version: number } },
  extra?: T,
): { model: string; version: string } & T {
  return { model: b.model.name, version: String(b.model.version), ...(extra as T) };
}
