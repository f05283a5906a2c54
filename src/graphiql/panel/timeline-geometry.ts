/**
 * Where the Batches panel draws each run: one time axis from the request's arrival (0 ms) to the
 * end of its last run, rounded up to a round tick; per run, a queue segment (this response's first
 * row queued → the run started) and a compute segment (started → ended). Positions are fractions of
 * the axis (0..1), so the drawing is CSS percentages and needs no pixel width.
 */
import { isShared, type Report, type ReportBatch } from './report.ts';
import { byStart } from './verdict.ts';

export interface Segment {
  fromMs: number;
  toMs: number;
  /** Fractions of the axis, 0..1. */
  left: number;
  width: number;
}

export interface TimelineRow {
  batch: ReportBatch;
  queue: Segment;
  compute: Segment;
  /** Other requests' rows were merged into the run. */
  shared: boolean;
}

export interface Tick {
  ms: number;
  left: number;
}

export interface Timeline {
  /** The axis spans [0, endMs]; endMs is a whole number of ticks. */
  endMs: number;
  ticks: Tick[];
  /** In the order the runs started. */
  rows: TimelineRow[];
}

export function timelineOf(report: Report): Timeline {
  const batches = [...report.batches].sort(byStart);
  const lastMs = Math.max(0, ...batches.map((b) => b.endedAtMs));
  const step = tickStep(lastMs);
  const endMs = Math.max(step, Math.ceil(lastMs / step) * step);
  const at = (ms: number) => clamp(ms / endMs);
  const segment = (fromMs: number, toMs: number): Segment => {
    const left = at(fromMs);
    return { fromMs, toMs, left, width: Math.max(0, at(toMs) - left) };
  };
  const ticks: Tick[] = [];
  for (let ms = 0; ms <= endMs + step / 2; ms += step) ticks.push({ ms: round(ms), left: at(ms) });
  const rows = batches.map((batch) => ({
    batch,
    // A queue time after the start would be a clock artefact: the run cannot start before its rows are queued.
    queue: segment(Math.min(batch.queuedAtMs, batch.startedAtMs), batch.startedAtMs),
    compute: segment(batch.startedAtMs, batch.endedAtMs),
    shared: isShared(batch),
  }));
  return { endMs: round(endMs), ticks, rows };
}

/** A round step (1, 2 or 5 × 10^k ms) that cuts [0, spanMs] into 2 to 4 intervals: their labels fit a narrow panel. */
export function tickStep(spanMs: number): number {
  if (!(spanMs > 0)) return 1;
  const rough = spanMs / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return round(step);
}

function clamp(fraction: number): number {
  return Math.min(1, Math.max(0, fraction));
}

// Float steps (0.1 + 0.2) would print as 0.30000000000000004 on the axis.
function round(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}
