/**
 * What one GraphQL response learns about the model runs that served it: every batch (model,
 * size, queue and compute time), which fields it served, and how long the prediction resolvers
 * took. Reported as `extensions.inference` when the request asks for it.
 */
import type { BatchStats } from '../inference/registry.ts';

/** Where a prediction was asked for: `Query.predictLatency` at response path `a`. */
export interface PredictionSite {
  coordinate: string;
  path: string;
}

export interface TracedBatch {
  model: string;
  size: number;
  /** Distinct requests whose items shared the run (1 until cross-request batching). */
  requests: number;
  queueMs: number;
  computeMs: number;
  executionProvider: string;
  /** Field loads this batch answered; larger than `size` when identical inputs were merged. */
  loads: number;
  failed: boolean;
  fields: Record<string, number>;
  /** Response paths served, listed while there are at most `maxPathsPerBatch`. */
  paths?: string[];
}

export interface InferenceReport {
  batches: TracedBatch[];
  totals: { batches: number; items: number; loads: number; queueMs: number; computeMs: number; failedBatches: number };
  resolvers: Record<string, { count: number; errors: number; totalMs: number; maxMs: number }>;
}

export interface InferenceTraceOptions {
  maxPathsPerBatch?: number;
}

export class InferenceTrace {
  readonly #batches: TracedBatch[] = [];
  readonly #resolvers: InferenceReport['resolvers'] = {};
  readonly #maxPathsPerBatch: number;

  constructor({ maxPathsPerBatch = 50 }: InferenceTraceOptions = {}) {
    this.#maxPathsPerBatch = maxPathsPerBatch;
  }

  /** Records a finished (or failed) run; returns the entry so later cache hits can be added to it. */
  recordBatch(stats: BatchStats | { model: string; size: number; executionProvider: string }, sites: readonly PredictionSite[], failed = false): TracedBatch {
    const batch: TracedBatch = {
      model: stats.model,
      size: stats.size,
      requests: 1,
      queueMs: 'queueMs' in stats ? round(stats.queueMs) : 0,
      computeMs: 'computeMs' in stats ? round(stats.computeMs) : 0,
      executionProvider: stats.executionProvider,
      loads: 0,
      failed,
      fields: {},
      paths: [],
    };
    for (const site of sites) this.addSite(batch, site);
    this.#batches.push(batch);
    return batch;
  }

  /** A field answered by a batch: at run time, or later from the request's cache. */
  addSite(batch: TracedBatch, site: PredictionSite): void {
    batch.loads++;
    batch.fields[site.coordinate] = (batch.fields[site.coordinate] ?? 0) + 1;
    if (batch.paths) {
      if (batch.paths.length < this.#maxPathsPerBatch) batch.paths.push(site.path);
      else delete batch.paths;
    }
  }

  recordResolver(coordinate: string, durationMs: number, failed: boolean): void {
    const entry = (this.#resolvers[coordinate] ??= { count: 0, errors: 0, totalMs: 0, maxMs: 0 });
    entry.count++;
    if (failed) entry.errors++;
    entry.totalMs += durationMs;
    if (durationMs > entry.maxMs) entry.maxMs = durationMs;
  }

  report(): InferenceReport {
    const totals = { batches: 0, items: 0, loads: 0, queueMs: 0, computeMs: 0, failedBatches: 0 };
    for (const b of this.#batches) {
      totals.batches++;
      totals.items += b.size;
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
    return { batches: this.#batches, totals, resolvers };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
