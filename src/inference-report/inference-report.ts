/**
 * The inference report: what one GraphQL response learns about the model runs that served it:
 * every run (model, size, how many requests shared it, queue and compute time), which fields it
 * served, and how long the prediction resolvers took. Reported as `extensions.inference` when the
 * request asks for it (`x-predictql-trace: 1`, or PREDICTQL_INFERENCE_REPORT=always). Not to be
 * confused with OpenTelemetry tracing (src/opentelemetry/), which exports spans elsewhere.
 */
import type { RunRecord } from '../inference/index.ts';

/** When responses carry the report: on request (the header), always, or never. */
export type InferenceReportMode = 'header' | 'always' | 'off';
export const defaultInferenceReportMode: InferenceReportMode = 'header';
/** The request header asking for the report (`1` or `true`). */
export const INFERENCE_REPORT_HEADER = 'x-predictql-trace';

/** Where a prediction was asked for: `Query.predictPrice` at response path `a`. */
export interface PredictionSite {
  coordinate: string;
  path: string;
}

export interface TracedBatch {
  runId: number;
  model: string;
  /** The model version that ran it (`Model.versionNumber`). */
  version: number;
  /** Rows in the run, this response's and other requests' alike. */
  size: number;
  /** Rows of this response in the run (size − items came from other requests). */
  items: number;
  /** Distinct requests whose rows shared the run. */
  requests: number;
  /** Longest wait of this response's rows for the run to start. */
  queueMs: number;
  computeMs: number;
  /** When this response's first row of the run was asked for, in ms from the request's start. */
  queuedAtMs: number;
  /** When the run started and ended, in ms from the request's start (a shared run may have started before this request queued its rows). */
  startedAtMs: number;
  endedAtMs: number;
  executor: string;
  executionProvider: string;
  /**
   * Not a run: this response's rows of the model version answered from the response cache (no
   * batch, no compute); `items` of them. One such entry per model version at most.
   */
  cached?: true;
  /** Field loads this run answered; larger than `items` when identical inputs were merged. */
  loads: number;
  failed: boolean;
  /** Why the run holds fewer rows than it could: the model takes at most so many (a batch axis fixed to 1). */
  limit?: string;
  /**
   * A text model's run: its real tokens, the tokens it ran (every row padded to the run's longest),
   * and the padding efficiency, real / padded.
   */
  tokens?: { real: number; padded: number; efficiency: number };
  fields: Record<string, number>;
  /** Response paths served, listed while there are at most `maxPathsPerBatch`. */
  paths?: string[];
}

export interface InferenceReport {
  batches: TracedBatch[];
  totals: {
    batches: number;
    items: number;
    loads: number;
    queueMs: number;
    computeMs: number;
    failedBatches: number;
    /** Rows answered from the response cache, without a run (the `cached` entries of `batches`). */
    cachedItems: number;
    /** Rows refused before running (queue full, timeout, shutdown). */
    refusedItems: number;
  };
  resolvers: Record<string, { count: number; errors: number; totalMs: number; maxMs: number }>;
}

export interface InferenceRecorderOptions {
  maxPathsPerBatch?: number;
  /** `performance.now()` when the request started: the origin of the report's timeline. Default: now. */
  requestStartedAtMs?: number;
}

/** Collects one response's share of the runs that served it; `report()` gives `extensions.inference`. */
export class InferenceRecorder {
  /** By runId; the cache's entries by "cache:<model>@<version>" (their runId is -1). */
  readonly #batches = new Map<number | string, TracedBatch>();
  readonly #resolvers: InferenceReport['resolvers'] = {};
  readonly #maxPathsPerBatch: number;
  readonly #originMs: number;
  #refusedItems = 0;

  constructor({ maxPathsPerBatch = 50, requestStartedAtMs = performance.now() }: InferenceRecorderOptions = {}) {
    this.#maxPathsPerBatch = maxPathsPerBatch;
    this.#originMs = requestStartedAtMs;
  }

  /** Records this response's share of a run; several jobs of one response may share a run. */
  recordRun(run: RunRecord): TracedBatch {
    const id = run.cached ? `cache:${run.model}@${run.version}` : run.runId;
    const known = this.#batches.get(id);
    const queuedAtMs = round(run.startedAtMs - run.queueMs - this.#originMs);
    if (known) {
      known.items += run.items;
      known.queueMs = Math.max(known.queueMs, round(run.queueMs));
      known.queuedAtMs = Math.min(known.queuedAtMs, queuedAtMs);
      return known;
    }
    const batch: TracedBatch = {
      runId: run.runId,
      model: run.model,
      version: run.version,
      size: run.size,
      items: run.items,
      requests: run.requests,
      queueMs: round(run.queueMs),
      computeMs: round(run.computeMs),
      queuedAtMs,
      startedAtMs: round(run.startedAtMs - this.#originMs),
      endedAtMs: round(run.startedAtMs + run.computeMs - this.#originMs),
      executor: run.executor,
      executionProvider: run.executionProvider,
      loads: 0,
      failed: run.failed,
      ...(run.limit ? { limit: run.limit } : {}),
      ...(run.cached ? { cached: true as const } : {}),
      ...(run.tokens
        ? { tokens: { ...run.tokens, efficiency: Math.round((run.tokens.real / Math.max(run.tokens.padded, 1)) * 1000) / 1000 } }
        : {}),
      fields: {},
      paths: [],
    };
    this.#batches.set(id, batch);
    return batch;
  }

  /** A field answered by a run: at run time, or later from the request's cache. */
  addSite(batch: TracedBatch, site: PredictionSite): void {
    batch.loads++;
    batch.fields[site.coordinate] = (batch.fields[site.coordinate] ?? 0) + 1;
    if (batch.paths) {
      if (batch.paths.length < this.#maxPathsPerBatch) batch.paths.push(site.path);
      else delete batch.paths;
    }
  }

  recordRefused(items: number): void {
    this.#refusedItems += items;
  }

  recordResolver(coordinate: string, durationMs: number, failed: boolean): void {
    let entry = this.#resolvers[coordinate];
    if (!entry) {
      entry = { count: 0, errors: 0, totalMs: 0, maxMs: 0 };
      this.#resolvers[coordinate] = entry;
    }
    entry.count++;
    if (failed) entry.errors++;
    entry.totalMs += durationMs;
    if (durationMs > entry.maxMs) entry.maxMs = durationMs;
  }

  report(): InferenceReport {
    const batches = [...this.#batches.values()];
    const totals = {
      batches: 0,
      items: 0,
      loads: 0,
      queueMs: 0,
      computeMs: 0,
      failedBatches: 0,
      cachedItems: 0,
      refusedItems: this.#refusedItems,
    };
    for (const b of batches) {
      if (b.cached) {
        totals.cachedItems += b.items;
        totals.loads += b.loads;
        continue;
      }
      totals.batches++;
      totals.items += b.items;
      totals.loads += b.loads;
      totals.queueMs += b.queueMs;
      totals.computeMs += b.computeMs;
      if (b.failed) totals.failedBatches++;
    }
    totals.queueMs = round(totals.queueMs);
    totals.computeMs = round(totals.computeMs);
    const resolvers: InferenceReport['resolvers'] = {};
    for (const [coordinate, r] of Object.entries(this.#resolvers)) {
      resolvers[coordinate] = { count: r.count, errors: r.errors, totalMs: round(r.totalMs), maxMs: round(r.maxMs) };
    }
    return { batches, totals, resolvers };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
