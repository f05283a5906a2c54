/**
 * Per-request prediction loaders: one DataLoader per model, created lazily for the request and
 * dropped with it. Every prediction field calls `load`, and a list's rows come through `prime`;
 * all the rows of one model asked for in the same tick (DataLoader's batch) are one job, packed
 * here, for the model's scheduler, which may merge it with other requests' jobs into one run. So a
 * tick costs one message to the models' owner from a GraphQL thread, and one job in process: the
 * owner never sees a tick's rows in pieces it could run apart. Identical rows are asked for once.
 */
import DataLoader from 'dataloader';
import type { GraphQLError } from 'graphql';
import { inferenceFailed, inputRejected, overloaded } from '../errors.ts';
import {
  type EncodedRow,
  type JobMeta,
  type JobResult,
  type ModelRef,
  type ModelView,
  type OutputRow,
  OverloadedError,
  type PackedBatch,
} from '../inference/index.ts';
import type { InferenceRecorder, PredictionSite, TracedBatch } from '../inference-report/inference-report.ts';

/** Anything that runs packed jobs for a model: the InferenceService, a GraphQL thread's RemotePredictor, or a fake. */
export interface Predictor {
  /** Runs `job` on `model`: the very load of the model whose codec encoded and packed it. */
  predict(model: ModelRef, job: PackedBatch, meta: JobMeta): Promise<JobResult>;
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
  /** Most tokens this request's texts may take (RequestLimits.maxTextTokensPerOperation); default unbounded. */
  maxTextTokens?: number;
}

function noop(): void {}

export class PredictionLoaders {
  readonly #options: PredictionLoadersOptions;
  /** One loader per model version (its view): rows of two versions are never one job. */
  readonly #loaders = new Map<ModelView, ModelLoader>();
  #textTokens = 0;

  constructor(options: PredictionLoadersOptions) {
    this.#options = options;
  }

  /**
   * Counts a text's tokens against the request's budget: undefined when they fit (and are now
   * counted), else the tokens counted before it (the text is refused, and counts nothing).
   */
  takeTextTokens(tokens: number): { used: number; limit: number } | undefined {
    const limit = this.#options.maxTextTokens ?? Number.POSITIVE_INFINITY;
    if (this.#textTokens + tokens > limit) return { used: this.#textTokens, limit };
    this.#textTokens += tokens;
    return undefined;
  }

  /** Resolves to the model's output row for `row`; `key` must identify the row's values. */
  load(model: ModelView, row: EncodedRow, key: string, site?: PredictionSite): Promise<OutputRow> {
    return this.#loader(model).load(row, key, site);
  }

  /**
   * Asks for many rows in one go, in this tick's job, and settles when they are answered; never
   * rejects (a failure stays in the cache and reaches each field through `load`). See
   * graphql/prime-predictions.ts.
   */
  prime(model: ModelView, rows: readonly EncodedRow[], keys: readonly string[]): Promise<unknown> {
    return this.#loader(model).prime(rows, keys);
  }

  /** The output row of `key` if a finished run of this request answered it; records the site when reported. */
  peek(model: ModelView, key: string, site?: PredictionSite): OutputRow | undefined {
    return this.#loaders.get(model)?.peek(key, site);
  }

  #loader(model: ModelView): ModelLoader {
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
  /** Settles when the job holding this row (a list's row riding with a tick's batch) has answered it. */
  pending?: Promise<void>;
}

// Private: one model's loader. One map entry per distinct row: a row costs one lookup per use,
// whichever way (a field's load, a list's prime, an item's peek) it is asked for.
class ModelLoader {
  readonly #model: ModelView;
  readonly #requestId: unknown;
  readonly #options: PredictionLoadersOptions;
  readonly #loader: DataLoader<string, OutputRow>;
  readonly #entries = new Map<string, RowEntry>();
  /**
   * Rows primed in this tick beyond the one each prime hands to DataLoader: they ride with the
   * tick's DataLoader batch, so that a list and the fields beside it are one job, without
   * DataLoader's promise per row (measured: that promise was the largest GraphQL cost of a list).
   */
  #riders: { keys: string[]; entries: RowEntry[] } = { keys: [], entries: [] };
  readonly #sitesByKey = new Map<string, PredictionSite[]>();
  readonly #batchByKey = new Map<string, TracedBatch>();
  #firstLoadAtMs: number | undefined;

  constructor(model: ModelView, requestId: unknown, options: PredictionLoadersOptions) {
    this.#model = model;
    this.#requestId = requestId;
    this.#options = options;
    this.#loader = new DataLoader((keys) => this.#dispatch(keys), {
      batch: options.batch !== false,
      // The cache is per request (this object lives in the request's context), so it is safe.
      cache: true,
    });
  }

  load(row: EncodedRow, key: string, site?: PredictionSite): Promise<OutputRow> {
    if (site && this.#options.report) this.#noteSite(key, site);
    const entry = this.#entries.get(key);
    if (entry?.output) return Promise.resolve(entry.output);
    if (entry?.error) return Promise.reject(entry.error);
    // A list's row whose job is under way: its answer comes with that job, not through the DataLoader.
    if (entry?.pending) return entry.pending.then(() => this.load(row, key));
    if (!entry) this.#entries.set(key, { row });
    this.#firstLoadAtMs ??= performance.now();
    return this.#loader.load(key);
  }

  /**
   * The rows of a list, in this tick's job: the first new row through DataLoader (which schedules
   * the tick's batch), the others riding with it. The list resolver waits for the job, then its
   * items' fields `peek` their answers synchronously (graphql/prime-predictions.ts). Rows this
   * request already asked for are left to whatever is answering them. Never rejects.
   */
  prime(rows: readonly EncodedRow[], keys: readonly string[]): Promise<unknown> {
    this.#firstLoadAtMs ??= performance.now();
    if (this.#options.batch === false) {
      // The per-field baseline: one job per row, as the DataLoader without batching makes them.
      for (let i = 0; i < keys.length; i++) if (!this.#entries.has(keys[i]!)) this.#entries.set(keys[i]!, { row: rows[i]! });
      return this.#loader.loadMany(keys);
    }
    const waits = new Set<Promise<unknown>>();
    let tick: Promise<void> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const entry = this.#entries.get(key);
      if (!entry) {
        if (tick === undefined) {
          // The page's first new row: DataLoader's batch of this tick carries the riders too.
          this.#entries.set(key, { row: rows[i]! });
          tick = this.#loader.load(key).then(noop, noop);
          waits.add(tick);
        } else {
          const rider: RowEntry = { row: rows[i]!, pending: tick };
          this.#entries.set(key, rider);
          this.#riders.keys.push(key);
          this.#riders.entries.push(rider);
        }
      } else if (entry.output || entry.error || (tick !== undefined && entry.pending === tick)) {
        // Answered already, or a repeat within this page.
      } else if (entry.pending) {
        waits.add(entry.pending);
      } else {
        // Asked for by a field of this request: its DataLoader batch answers it.
        waits.add(this.#loader.load(key).then(noop, noop));
      }
    }
    return waits.size === 0 ? Promise.resolve() : Promise.all(waits);
  }

  peek(key: string, site?: PredictionSite): OutputRow | undefined {
    const output = this.#entries.get(key)?.output;
    if (output && site && this.#options.report) this.#noteSite(key, site);
    return output;
  }

  // Private: DataLoader's batch of this tick, with the rows riding with it: one job.
  #dispatch(keys: readonly string[]): Promise<(OutputRow | Error)[]> {
    const enqueuedAtMs = this.#firstLoadAtMs ?? performance.now();
    this.#firstLoadAtMs = undefined;
    const riders = this.#riders;
    const entries = keys.map((key) => this.#entries.get(key)!);
    if (riders.keys.length === 0) return this.#runJob(keys, entries, enqueuedAtMs);
    this.#riders = { keys: [], entries: [] };
    return this.#runJob([...keys, ...riders.keys], [...entries, ...riders.entries], enqueuedAtMs).then((values) => {
      for (const rider of riders.entries) rider.pending = undefined;
      return values.slice(0, keys.length);
    });
  }

  /** Runs one job and files each row's answer (or error) in its entry; the values are DataLoader's. */
  async #runJob(keys: readonly string[], entries: readonly RowEntry[], enqueuedAtMs: number): Promise<(OutputRow | Error)[]> {
    const { predictor, report } = this.#options;
    const name = this.#model.manifest.name;
    let values: (OutputRow | Error)[];
    try {
      const job = this.#model.codec.pack(entries.map((entry) => entry.row));
      const result = await predictor.predict(this.#model, job, {
        requestId: this.#requestId,
        enqueuedAtMs,
        traceContext: this.#options.traceContext,
      });
      if (report) this.#reportJob(keys, result, report);
      values = this.#answers(result, keys.length);
    } catch (error) {
      // The whole job was refused before running: overload, shutdown, or an unknown model.
      if (report) {
        report.recordRefused(keys.length);
        for (const key of keys) this.#sitesByKey.delete(key);
      }
      let refusal: GraphQLError;
      if (error instanceof OverloadedError) {
        refusal = overloaded(name, error.message, error.retryAfterMs);
      } else {
        this.#options.logError?.(`Model "${name}" refused a job of ${keys.length} item(s)`, error);
        refusal = inferenceFailed(name, keys.length);
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

  // Private: each row's view of the job's outputs, or the GraphQL error of its failed run (one per
  // run, shared by its rows; the cause is logged once, never sent).
  #answers(result: JobResult, rows: number): (OutputRow | GraphQLError)[] {
    const name = this.#model.manifest.name;
    const answered = result.runs.some((run) => !run.failed);
    const views = answered ? this.#model.codec.answers(result.outputs, rows).views(0, rows) : [];
    const failures = new Map<number, GraphQLError>();
    const values = new Array<OutputRow | GraphQLError>(rows);
    for (let i = 0; i < rows; i++) {
      const index = result.rowRun[i]!;
      const run = result.runs[index]!;
      if (!run.failed) {
        values[i] = views[i]!;
        continue;
      }
      let failure = failures.get(index);
      if (!failure) {
        const cause = new Error(run.failure ?? 'the run failed');
        if (run.rejected) {
          this.#options.logError?.(`Model "${name}" rejected an input (BAD_USER_INPUT)`, cause);
          failure = inputRejected(name);
        } else {
          this.#options.logError?.(`Model "${name}" failed a run of ${run.size} item(s)`, cause);
          failure = inferenceFailed(name, run.size);
        }
        failures.set(index, failure);
      }
      values[i] = failure;
    }
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
