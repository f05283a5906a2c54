/**
 * The one line at the top of the Batches panel: how many prediction fields the response had and
 * how many model runs answered them, per model; and, when there are more runs than models, why.
 * Everything comes from the report: fields = Σ loads, runs = batches, a model's rows = Σ items.
 */
import type { Report, ReportBatch } from './report.ts';

export interface ModelShare {
  model: string;
  /** This response's rows run by the model (Σ items). */
  rows: number;
  runs: number;
  /** Distinct times this response queued rows for the model: each is one wave of loads. */
  waves: number;
}

export interface Verdict {
  fields: number;
  runs: number;
  /** In the order the models first ran. */
  models: ModelShare[];
  /** e.g. `1007 prediction fields → 2 runs (order-value 1006 rows, order-value-gbdt 1 row)` */
  text: string;
  /** Set when a model ran more than once: why the response took more runs than models. */
  hint?: string;
}

export function verdictOf(report: Report): Verdict {
  const all = [...report.batches].sort(byStart);
  const fields = sum(all, (b) => b.loads);
  // Rows the response cache answered are no run: said apart, after the runs.
  const batches = all.filter((b) => !b.cached);
  const cachedRows = sum(
    all.filter((b) => b.cached),
    (b) => b.items,
  );
  const fromCache = cachedRows > 0 ? `; ${plural(cachedRows, 'row')} from the response cache` : '';
  const models = modelShares(batches);
  if (batches.length === 0)
    return {
      fields,
      runs: 0,
      models,
      text: cachedRows > 0 ? `${plural(fields, 'prediction field')} → no run${fromCache}` : 'No prediction field: no model ran.',
    };
  const shares = models.map((m) => `${m.model} ${plural(m.rows, 'row')}`).join(', ');
  const text = `${plural(fields, 'prediction field')} → ${plural(batches.length, 'run')} (${shares})${fromCache}`;
  return { fields, runs: batches.length, models, text, hint: splitHint(batches, models) };
}

// Private: one model's runs share a queue time when one wave of loads was cut into several runs
// (a failed run re-run in halves, or more rows than maxBatchSize); a new queue time is a new wave,
// e.g. prediction fields nested under a field that resolved later.
function splitHint(batches: ReportBatch[], models: ModelShare[]): string | undefined {
  if (batches.length <= models.length) return undefined;
  const split = models.filter((m) => m.runs > 1);
  const causes: string[] = [];
  if (split.some((m) => m.waves > 1)) causes.push('fields at different depths are loaded in waves, one run per model per wave');
  if (split.some((m) => m.runs > m.waves)) {
    causes.push(batches.some((b) => b.failed) ? 'a failed run is re-run in halves' : 'a wave over the batch limit is cut into runs');
  }
  const who = split.map((m) => `${m.model} ${m.runs}×`).join(', ');
  return `Split into ${batches.length} runs for ${plural(models.length, 'model')} (${who}): ${causes.join('; ')}.`;
}

function modelShares(batches: ReportBatch[]): ModelShare[] {
  const shares = new Map<string, ModelShare & { queuedAt: Set<number> }>();
  for (const b of batches) {
    let share = shares.get(b.model);
    if (!share) {
      share = { model: b.model, rows: 0, runs: 0, waves: 0, queuedAt: new Set() };
      shares.set(b.model, share);
    }
    share.rows += b.items;
    share.runs++;
    share.queuedAt.add(b.queuedAtMs);
  }
  return [...shares.values()].map(({ queuedAt, ...share }) => ({ ...share, waves: queuedAt.size }));
}

export function byStart(a: ReportBatch, b: ReportBatch): number {
  return a.startedAtMs - b.startedAtMs || a.runId - b.runId;
}

function sum(batches: ReportBatch[], of: (b: ReportBatch) => number): number {
  return batches.reduce((total, b) => total + of(b), 0);
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
