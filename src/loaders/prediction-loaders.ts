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

function noop(): void {}

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

// Private: what the loader knows of one row of this request: its encoding, then its answer.
interface RowEntry {
  row: EncodedRow;
  output?: OutputRow;
  error?: Error;
  /** Settles when the primed job holding this row has answered it. */
  primed?: Promise<void>;
}

// Private: one model's loader. One map entry per distinct row: a row costs one lookup per use,
// whichever way (a field's load, a list's prime, an item's peek) it is asked for.
class ModelLoader {
  readonly #model: string;
  readonly #requestId: unknown;
  readonly #options: PredictionLoadersOptions;
  readonly #loader: DataLoader<string, OutputRow>;
  readonly #entries = new Map<string, RowEntry>();
  readonly #sitesByKey = new Map<string, PredictionSite[]>();
  readonly #batchByKey = new Map<string, TracedBatch>();
  #firstLoadAtMs: number | undefined;

  constructor(model: string, requestId: unknown, options: PredictionLoadersOptions) {
    this.#model = model;
    this.#requestId = requestId;
    this.#options = options;
    this.#loader = new DataLoader(
      (keys) => {
        const enqueuedAtMs = this.#firstLoadAtMs ?? performance.now();
        this.#firstLoadAtMs = undefined;
        return this.#runJob(
          keys,
          keys.map((key) => this.#entries.get(key)!),
          enqueuedAtMs,
        );
      },
      {
        batch: options.batch !== false,
        // The cache is per request (this object lives in the request's context), so it is safe.
        cache: true,
      },
    );
  }

  load(row: EncodedRow, key: string, site?: PredictionSite): Promise<OutputRow> {
    if (site && this.#options.report) this.#noteSite(key, site);
    const entry = this.#entries.get(key);
    if (entry?.output) return Promise.resolve(entry.output);
    if (entry?.error) return Promise.reject(entry.error);
    // A row of a primed job still running: its answer comes with the job, not through the DataLoader.
    if (entry?.primed) return entry.primed.then(() => this.load(row, key));
    if (!entry) this.#entries.set(key, { row });
    this.#firstLoadAtMs ??= performance.now();
    return this.#loader.load(key);
  }

  /**
   * One job for the rows of a list, without DataLoader's promise per row: the list resolver waits
   * for the job, then its items' fields `peek` their answers synchronously (graphql/prime-predictions.ts).
   * Rows this request already asked for are left to whatever is answering them. Never rejects.
   */
  prime(rows: readonly EncodedRow[], keys: readonly string[]): Promise<unknown> {
    if (this.#options.batch === false) {
      // The per-field baseline: one job per row, as the DataLoader without batching makes them.
      for (let i = 0; i < keys.length; i++) if (!this.#entries.has(keys[i]!)) this.#entries.set(keys[i]!, { row: rows[i]! });
      this.#firstLoadAtMs ??= performance.now();
      return this.#loader.loadMany(keys);
    }
    let settle!: () => void;
    const primed = new Promise<void>((resolve) => (settle = resolve));
    const newKeys: string[] = [];
    const newEntries: RowEntry[] = [];
    const others = new Set<Promise<unknown>>();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const entry = this.#entries.get(key);
      if (!entry) {
        const created: RowEntry = { row: rows[i]!, primed };
        this.#entries.set(key, created);
        newKeys.push(key);
        newEntries.push(created);
      } else if (entry.output || entry.error || entry.primed === primed) {
        // Answered already, or a repeat within this page.
      } else if (entry.primed) {
        others.add(entry.primed);
      } else {
        // Asked for by a field of this request: its DataLoader batch answers it.
        others.add(this.#loader.load(key).then(noop, noop));
      }
    }
    if (newKeys.length > 0) {
      void this.#runJob(newKeys, newEntries, performance.now()).then(() => {
        for (const entry of newEntries) entry.primed = undefined;
        settle();
      });
      others.add(primed);
    }
    return others.size === 0 ? Promise.resolve() : Promise.all(others);
  }

  peek(key: string, site?: PredictionSite): OutputRow | undefined {
    const output = this.#entries.get(key)?.output;
    if (output && site && this.#options.report) this.#noteSite(key, site);
    return output;
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

  /** Runs one job and files each row's answer (or error) in its entry; the values are DataLoader's. */
  async #runJob(keys: readonly string[], entries: readonly RowEntry[], enqueuedAtMs: number): Promise<(OutputRow | Error)[]> {
    const { predictor, report } = this.#options;
    const rows = entries.map((entry) => entry.row);
    let values: (OutputRow | Error)[];
    try {
      const result = await predictor.predict(this.#model, rows, {
        requestId: this.#requestId,
        enqueuedAtMs,
        traceContext: this.#options.traceContext,
      });
      if (report) this.#reportJob(keys, result, report);
      values = this.#toValues(result);
    } catch (error) {
      // The whole job was refused before running: overload, shutdown, or an unknown model.
      if (report) {
        report.recordRefused(keys.length);
        for (const key of keys) this.#sitesByKey.delete(key);
      }
      let refusal: GraphQLError;
      if (error instanceof OverloadedError) {
        refusal = overloaded(this.#model, error.message, error.retryAfterMs);
      } else {
        this.#options.logError?.(`Model "${this.#model}" refused a job of ${keys.length} item(s)`, error);
        refusal = inferenceFailed(this.#model, keys.length);
      }
      values = keys.map(() => refusal);
    }
    for (let i = 0; i < entries.length; i++) {
      const value = values[i]!;
      if (value instanceof Error) entries[i]!.error = value;
      else entries[i]!.output = value;
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
