/**
 * Per-request prediction loaders: one DataLoader per model, created lazily for the request and
 * dropped with it. Every prediction field calls `load`; DataLoader collects the loads made in
 * the same tick into one `registry.predict` call, so a request's fields share one run per model.
 * Identical rows are asked for once (DataLoader's per-request cache, keyed by the row's values).
 */
import DataLoader from 'dataloader';
import type { ModelRegistry } from '../inference/registry.ts';
import { inferenceFailed } from '../errors.ts';
import type { InferenceTrace, PredictionSite, TracedBatch } from '../tracing/inference-trace.ts';

/**
 * `per-request`: the default. `per-field`: one run per field, the naive server, kept only so the
 * benchmark can show what batching saves; it is not reachable through the public schema.
 */
export type BatchingMode = 'per-request' | 'per-field';

export interface PredictionLoadersOptions {
  registry: ModelRegistry;
  batching?: BatchingMode;
  /** The request's trace, or undefined when the request is not traced (then no sites are kept). */
  trace?: InferenceTrace | undefined;
  /** Logs the cause of a failed run; the client only sees INFERENCE_FAILED. */
  logError?: (message: string, error: unknown) => void;
}

export class PredictionLoaders {
  readonly #options: PredictionLoadersOptions;
  readonly #loaders = new Map<string, ModelLoader>();

  constructor(options: PredictionLoadersOptions) {
    this.#options = options;
  }

  /** Resolves to the model's output row for `row`; `key` must identify the row's values. */
  load(model: string, row: Float32Array, key: string, site?: PredictionSite): Promise<Float32Array> {
    let loader = this.#loaders.get(model);
    if (!loader) {
      loader = new ModelLoader(model, this.#options);
      this.#loaders.set(model, loader);
    }
    return loader.load(row, key, site);
  }
}

// Private: one model's loader, with the side tables that let a batch know its rows and its sites.
class ModelLoader {
  readonly #model: string;
  readonly #options: PredictionLoadersOptions;
  readonly #loader: DataLoader<string, Float32Array>;
  readonly #rows = new Map<string, Float32Array>();
  readonly #sitesByKey = new Map<string, PredictionSite[]>();
  readonly #batchByKey = new Map<string, TracedBatch>();
  #firstLoadAtMs: number | undefined;

  constructor(model: string, options: PredictionLoadersOptions) {
    this.#model = model;
    this.#options = options;
    this.#loader = new DataLoader((keys) => this.#runBatch(keys), {
      batch: options.batching !== 'per-field',
      // The cache is per request (this object lives in the request's context), so it is safe.
      cache: true,
    });
  }

  load(row: Float32Array, key: string, site?: PredictionSite): Promise<Float32Array> {
    if (!this.#rows.has(key)) this.#rows.set(key, row);
    this.#firstLoadAtMs ??= performance.now();
    if (site && this.#options.trace) this.#noteSite(key, site);
    return this.#loader.load(key);
  }

  #noteSite(key: string, site: PredictionSite): void {
    const servedBy = this.#batchByKey.get(key);
    if (servedBy) {
      // A repeat of a row whose batch already ran: the cache answers it, the same batch served it.
      this.#options.trace!.addSite(servedBy, site);
      return;
    }
    const sites = this.#sitesByKey.get(key);
    if (sites) sites.push(site);
    else this.#sitesByKey.set(key, [site]);
  }

  async #runBatch(keys: readonly string[]): Promise<(Float32Array | Error)[]> {
    const { registry, trace } = this.#options;
    const rows = keys.map((key) => this.#rows.get(key)!);
    const enqueuedAtMs = this.#firstLoadAtMs ?? performance.now();
    this.#firstLoadAtMs = undefined;
    try {
      const { outputs, stats } = await registry.predict(this.#model, rows, enqueuedAtMs);
      if (trace) this.#traceBatch(keys, trace.recordBatch(stats, this.#takeSites(keys)));
      return outputs;
    } catch (error) {
      this.#options.logError?.(`Model "${this.#model}" failed a run of ${keys.length} item(s)`, error);
      const model = registry.get(this.#model);
      if (trace) {
        const stats = { model: this.#model, size: keys.length, executionProvider: model?.executionProvider ?? 'unknown' };
        this.#traceBatch(keys, trace.recordBatch(stats, this.#takeSites(keys), true));
      }
      const failure = inferenceFailed(this.#model, keys.length);
      return keys.map(() => failure);
    }
  }

  #takeSites(keys: readonly string[]): PredictionSite[] {
    const sites: PredictionSite[] = [];
    for (const key of keys) {
      const forKey = this.#sitesByKey.get(key);
      if (forKey) {
        for (const site of forKey) sites.push(site);
        this.#sitesByKey.delete(key);
      }
    }
    return sites;
  }

  #traceBatch(keys: readonly string[], batch: TracedBatch): void {
    for (const key of keys) this.#batchByKey.set(key, batch);
  }
}
