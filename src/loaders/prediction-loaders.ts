/**
 * Per-request prediction loaders: one DataLoader per model, created lazily for the request and
 * dropped with it. Every prediction field calls `load`; DataLoader collects the loads made in
 * the same tick into one job for the model's scheduler, which may merge it with other requests'
 * jobs into one run. Identical rows are asked for once (DataLoader's per-request cache).
 */
import DataLoader from 'dataloader';
import type { GraphQLError } from 'graphql';
import { inferenceFailed, overloaded } from '../errors.ts';
import { type EncodedRow, type JobMeta, type JobResult, type OutputRow, OverloadedError } from '../inference/index.ts';
import type { InferenceRecorder, PredictionSite, TracedBatch } from '../inference-report/inference-report.ts';

/** Anything that runs jobs of rows for a model: the InferenceService, or a fake in unit tests. */
export interface Predictor {
  predict(model: string, rows: readonly EncodedRow[], meta: JobMeta): Promise<JobResult>;
}

export interface PredictionLoadersOptions {
  predictor: Predictor;
  /**
   * `false` gives one job (so one run) per field: the naive server, kept only so the benchmark
   * can show what batching saves. It is not reachable through the public schema.
   */
  batch?: boolean;
  /** The request's inference report, or undefined when the response has none (then no sites are kept). */
  report?: InferenceRecorder | undefined;
  /** Logs the cause of a failed run; the client only sees INFERENCE_FAILED. */
  logError?: (message: string, error: unknown) => void;
  /** Opaque, passed with every job (JobMeta.traceContext): the request's OpenTelemetry operation. */
  traceContext?: unknown;
}

export class PredictionLoaders {
  readonly #options: PredictionLoadersOptions;
  readonly #loaders = new Map<string, ModelLoader>();

  constructor(options: PredictionLoadersOptions) {
    this.#options = options;
  }

  /** Resolves to the model's output row for `row`; `key` must identify the row's values. */
  load(model: string, row: EncodedRow, key: string, site?: PredictionSite): Promise<OutputRow> {
    return this.#loader(model).load(row, key, site);
  }

  /**
   * Loads many rows in one go and settles when their job has; never rejects (a failure stays in
   * the cache and reaches each field through `load`). See graphql/prime-predictions.ts.
   */
  prime(model: string, rows: readonly EncodedRow[], keys: readonly string[]): Promise<unknown> {
    return this.#loader(model).prime(rows, keys);
  }

  /** The output row of `key` if a finished run of this request answered it; records the site when reported. */
  peek(model: string, key: string, site?: PredictionSite): OutputRow | undefined {
    return this.#loaders.get(model)?.peek(key, site);
  }

  #loader(model: string): ModelLoader {
    let loader = this.#loaders.get(model);
    if (!loader) {
      // `this` identifies the request to the scheduler (for its count of requests per run).
      loader = new ModelLoader(model, this, this.#options);
      this.#loaders.set(model, loader);
    }
    return loader;
  }
}

// Private: one model's loader, with the side tables that let a job know its rows and its sites.
class ModelLoader {
  readonly #model: string;
  readonly #requestId: unknown;
  readonly #options: PredictionLoadersOptions;
  readonly #loader: DataLoader<string, OutputRow>;
  readonly #rows = new Map<string, EncodedRow>();
  readonly #sitesByKey = new Map<string, PredictionSite[]>();
  readonly #batchByKey = new Map<string, TracedBatch>();
  /** Answers of finished runs, for synchronous `peek`. */
  readonly #resolved = new Map<string, OutputRow>();
  #firstLoadAtMs: number | undefined;

  constructor(model: string, requestId: unknown, options: PredictionLoadersOptions) {
    this.#model = model;
    this.#requestId = requestId;
    this.#options = options;
    this.#loader = new DataLoader((keys) => this.#runJob(keys), {
      batch: options.batch !== false,
      // The cache is per request (this object lives in the request's context), so it is safe.
      cache: true,
    });
  }

  load(row: EncodedRow, key: string, site?: PredictionSite): Promise<OutputRow> {
    if (!this.#rows.has(key)) this.#rows.set(key, row);
    this.#firstLoadAtMs ??= performance.now();
    if (site && this.#options.report) this.#noteSite(key, site);
    return this.#loader.load(key);
  }

  prime(rows: readonly EncodedRow[], keys: readonly string[]): Promise<unknown> {
    this.#firstLoadAtMs ??= performance.now();
    for (let i = 0; i < keys.length; i++) if (!this.#rows.has(keys[i]!)) this.#rows.set(keys[i]!, rows[i]!);
    return this.#loader.loadMany(keys);
  }

  peek(key: string, site?: PredictionSite): OutputRow | undefined {
    const values = this.#resolved.get(key);
    if (values && site && this.#options.report) this.#noteSite(key, site);
    return values;
  }

  #noteSite(key: string, site: PredictionSite): void {
    const servedBy = this.#batchByKey.get(key);
    if (servedBy) {
      // A repeat of a row whose run already happened: the cache answers it, the same run served it.
      this.#options.report!.addSite(servedBy, site);
      return;
    }
    const sites = this.#sitesByKey.get(key);
    if (sites) sites.push(site);
    else this.#sitesByKey.set(key, [site]);
  }

  async #runJob(keys: readonly string[]): Promise<(OutputRow | Error)[]> {
    const { predictor, report } = this.#options;
    const rows = keys.map((key) => this.#rows.get(key)!);
    const enqueuedAtMs = this.#firstLoadAtMs ?? performance.now();
    this.#firstLoadAtMs = undefined;
    let result: JobResult;
    try {
      result = await predictor.predict(this.#model, rows, {
        requestId: this.#requestId,
        enqueuedAtMs,
        traceContext: this.#options.traceContext,
      });
    } catch (error) {
      // The whole job was refused before running: overload, shutdown, or an unknown model.
      if (report) {
        report.recordRefused(keys.length);
        for (const key of keys) this.#sitesByKey.delete(key);
      }
      if (error instanceof OverloadedError) {
        const refusal = overloaded(this.#model, error.message, error.retryAfterMs);
        return keys.map(() => refusal);
      }
      this.#options.logError?.(`Model "${this.#model}" refused a job of ${keys.length} item(s)`, error);
      const failure = inferenceFailed(this.#model, keys.length);
      return keys.map(() => failure);
    }
    if (report) this.#reportJob(keys, result, report);
    const values = this.#toValues(result);
    for (let i = 0; i < keys.length; i++) {
      const value = values[i]!;
      if (!(value instanceof Error)) this.#resolved.set(keys[i]!, value);
    }
    return values;
  }

  #toValues(result: JobResult): (OutputRow | GraphQLError)[] {
    // One GraphQL error per failed run, shared by its rows; the cause is logged once, not sent.
    const failures = new Map<Error, GraphQLError>();
    return result.outputs.map((output, i) => {
      if (!(output instanceof Error)) return output;
      let failure = failures.get(output);
      if (!failure) {
        const run = result.runs[result.rowRun[i]!];
        this.#options.logError?.(`Model "${this.#model}" failed a run of ${run?.size ?? '?'} item(s)`, output);
        failure = inferenceFailed(this.#model, run?.size ?? 1);
        failures.set(output, failure);
      }
      return failure;
    });
  }

  #reportJob(keys: readonly string[], result: JobResult, report: InferenceRecorder): void {
    const batches = result.runs.map((run) => report.recordRun(run));
    keys.forEach((key, i) => {
      const batch = batches[result.rowRun[i]!]!;
      this.#batchByKey.set(key, batch);
      const sites = this.#sitesByKey.get(key);
      if (!sites) return;
      for (const site of sites) report.addSite(batch, site);
      this.#sitesByKey.delete(key);
    });
  }
}
