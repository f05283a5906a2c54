/**
 * The inference report as the Batches panel reads it from a response (`extensions.inference`, see
 * docs/api.md). Declared here rather than imported from src/inference-report/ because the panel is
 * browser code, typechecked without Node's types; test/unit/batches-panel.test.ts assigns the
 * server's report to these types, so a change on either side that breaks the panel fails the typecheck.
 */

export interface ReportBatch {
  runId: number;
  model: string;
  /** Rows in the run, other requests' included. */
  size: number;
  /** This response's rows in the run. */
  items: number;
  /** Distinct requests whose rows shared the run. */
  requests: number;
  queueMs: number;
  computeMs: number;
  /** ms from the request's arrival: this response's first row queued, the run started, the run ended. */
  queuedAtMs: number;
  startedAtMs: number;
  endedAtMs: number;
  executor: string;
  executionProvider: string;
  /** Prediction fields the run answered (identical inputs share a row, so loads ≥ items). */
  loads: number;
  failed: boolean;
  /** Why the run holds fewer rows than it could (a model that takes one row per run). */
  limit?: string;
  /** Not a run: this response's rows answered from the response cache. */
  cached?: true;
  /** A text model's run: real tokens, tokens once padded to its longest row, and their ratio. */
  tokens?: { real: number; padded: number; efficiency: number };
  /** Fields answered, counted per coordinate (`OrderExample.prediction`). */
  fields: Record<string, number>;
  /** Response paths answered (`orderExamples.3.prediction`), absent past the server's limit (50). */
  paths?: string[];
}

export interface Report {
  batches: ReportBatch[];
}

/** "412 of 512 tokens (80 %)": what padding a text model's run to its longest row cost. */
export function paddingText(tokens: NonNullable<ReportBatch['tokens']>): string {
  return `${tokens.real} of ${tokens.padded} tokens (${Math.round(tokens.efficiency * 100)} %)`;
}

/** A run holds other requests' rows: it was merged by the dynamic batcher. */
export function isShared(batch: ReportBatch): boolean {
  return batch.requests > 1 || batch.size > batch.items;
}

/** The report of a GraphQL response, or undefined when it has none (no trace header, or not predictql). */
export function reportOf(response: unknown): Report | undefined {
  const inference = (response as { extensions?: { inference?: unknown } } | null)?.extensions?.inference;
  const batches = (inference as { batches?: unknown } | undefined)?.batches;
  if (!Array.isArray(batches)) return undefined;
  return { batches: batches.filter(isBatch) };
}

function isBatch(value: unknown): value is ReportBatch {
  const b = value as Partial<ReportBatch> | null;
  return (
    typeof b?.runId === 'number' &&
    typeof b.model === 'string' &&
    typeof b.startedAtMs === 'number' &&
    typeof b.endedAtMs === 'number' &&
    typeof b.queuedAtMs === 'number' &&
    typeof b.fields === 'object' &&
    b.fields !== null
  );
}
