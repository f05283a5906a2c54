/**
 * The Batches panel's arithmetic, without a browser (src/graphiql/panel/): the verdict and its
 * split hint, the timeline's geometry, which field each response path is, and the paths in the
 * result's text. Reports are made by the server's own InferenceRecorder, so they have its shape:
 * assigning them to the panel's `Report` type is also what keeps both in step at typecheck.
 */
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { fieldPathsOf } from '../../src/graphiql/panel/field-paths.ts';
import { paddingText, type Report, reportOf } from '../../src/graphiql/panel/report.ts';
import { pathAt, pathRanges, servedBy } from '../../src/graphiql/panel/response-paths.ts';
import { tickStep, timelineOf } from '../../src/graphiql/panel/timeline-geometry.ts';
import { verdictOf } from '../../src/graphiql/panel/verdict.ts';
import type { RunRecord } from '../../src/inference/index.ts';
import { InferenceRecorder, type InferenceReport } from '../../src/inference-report/inference-report.ts';

const ORIGIN_MS = 1000;

interface Run extends Partial<RunRecord> {
  runId: number;
  /** ms from the request's arrival. */
  queuedAt: number;
  startedAt: number;
  sites: [coordinate: string, path: string][];
}

/** A report as the server makes it: runs recorded with their sites, on a timeline starting at ORIGIN_MS. */
function reportFrom(runs: Run[], maxPathsPerBatch = 50): Report {
  const recorder = new InferenceRecorder({ requestStartedAtMs: ORIGIN_MS, maxPathsPerBatch });
  for (const { queuedAt, startedAt, sites, ...run } of runs) {
    const batch = recorder.recordRun({
      model: 'request-latency',
      version: 1,
      size: sites.length,
      requests: 1,
      items: sites.length,
      computeMs: 1,
      executor: 'main',
      executionProvider: 'cpu',
      failed: false,
      ...run,
      queueMs: startedAt - queuedAt,
      startedAtMs: ORIGIN_MS + startedAt,
    });
    for (const [coordinate, path] of sites) recorder.addSite(batch, { coordinate, path });
  }
  const report: Report = recorder.report();
  return report;
}

const list = (n: number): [string, string][] =>
  Array.from({ length: n }, (_, i) => ['SampleRequest.predictedLatency', `sampleRequests.${i}.predictedLatency`]);

const twoModels = reportFrom([
  { runId: 7, queuedAt: 1, startedAt: 2, computeMs: 0.5, sites: [...list(1005), ['Query.predictLatency', 'quiet']] },
  {
    runId: 8,
    model: 'request-latency-gbdt',
    executor: 'worker',
    queuedAt: 1,
    startedAt: 2.5,
    computeMs: 4,
    sites: [['Query.predictLatency', 'heavy']],
  },
]);

describe('the verdict', () => {
  it('counts fields as Σ loads, runs as batches, and each model’s rows as Σ items', () => {
    const verdict = verdictOf(twoModels);
    expect(verdict.text).toBe('1007 prediction fields → 2 runs (request-latency 1006 rows, request-latency-gbdt 1 row)');
    expect(verdict.hint).toBeUndefined();
    expect(verdict.models).toEqual([
      { model: 'request-latency', rows: 1006, runs: 1, waves: 1 },
      { model: 'request-latency-gbdt', rows: 1, runs: 1, waves: 1 },
    ]);
  });

  it('counts identical inputs as fields, not rows: loads can exceed items', () => {
    const report = reportFrom([
      {
        runId: 1,
        items: 1,
        size: 1,
        queuedAt: 0,
        startedAt: 0,
        sites: [
          ['Query.predictLatency', 'a'],
          ['Query.predictLatency', 'b'],
        ],
      },
    ]);
    expect(verdictOf(report).text).toBe('2 prediction fields → 1 run (request-latency 1 row)');
  });

  it('says rows the response cache answered apart from the runs, and counts no run for them', () => {
    const report = reportFrom([
      { runId: 3, queuedAt: 1, startedAt: 2, sites: [['Query.predictLatency', 'a']] },
      {
        runId: -1,
        cached: true,
        computeMs: 0,
        queuedAt: 1,
        startedAt: 1,
        sites: [
          ['Query.predictLatency', 'b'],
          ['Query.predictLatency', 'c'],
        ],
      },
    ]);
    expect((report as unknown as InferenceReport).totals).toMatchObject({ batches: 1, items: 1, cachedItems: 2, loads: 3 });
    expect(verdictOf(report)).toMatchObject({
      runs: 1,
      text: '3 prediction fields → 1 run (request-latency 1 row); 2 rows from the response cache',
    });
    const allCached = reportFrom([
      { runId: -1, cached: true, computeMs: 0, queuedAt: 1, startedAt: 1, sites: [['Query.predictLatency', 'b']] },
    ]);
    expect(verdictOf(allCached)).toMatchObject({ runs: 0, text: '1 prediction field → no run; 1 row from the response cache' });
  });

  it('explains more runs than models: waves queued at different times', () => {
    const report = reportFrom([
      { runId: 1, queuedAt: 0.5, startedAt: 1, sites: [['Query.predictLatency', 'a']] },
      { runId: 2, queuedAt: 3, startedAt: 3.2, sites: [['Endpoint.predictedLatency', 'endpoints.0.predictedLatency']] },
      { runId: 3, model: 'request-latency-gbdt', queuedAt: 0.5, startedAt: 1, sites: [['Query.predictLatency', 'b']] },
    ]);
    const verdict = verdictOf(report);
    expect(verdict.text).toBe('3 prediction fields → 3 runs (request-latency 2 rows, request-latency-gbdt 1 row)');
    expect(verdict.hint).toBe(
      'Split into 3 runs for 2 models (request-latency 2×): fields at different depths are loaded in waves, one run per model per wave.',
    );
  });

  it('explains one wave cut into runs: over the batch limit, or a failed run re-run in halves', () => {
    const cut = [
      { runId: 1, queuedAt: 0, startedAt: 1, sites: list(2) },
      { runId: 2, queuedAt: 0, startedAt: 2, sites: list(2) },
    ];
    expect(verdictOf(reportFrom(cut)).hint).toBe(
      'Split into 2 runs for 1 model (request-latency 2×): a wave over the batch limit is cut into runs.',
    );
    const failed = reportFrom(cut.map((run, i) => ({ ...run, failed: i === 0 })));
    expect(verdictOf(failed).hint).toBe('Split into 2 runs for 1 model (request-latency 2×): a failed run is re-run in halves.');
  });

  it('says so when no model ran', () => {
    expect(verdictOf({ batches: [] })).toMatchObject({ fields: 0, runs: 0, text: 'No prediction field: no model ran.' });
  });
});

describe('the timeline', () => {
  it('puts each run on one axis from the request’s arrival: queue then compute, as fractions of the axis', () => {
    const timeline = timelineOf(twoModels);
    // The last run ends at 6.5 ms: ticks every 2 ms, the axis ends at 8.
    expect(timeline.endMs).toBe(8);
    expect(timeline.ticks.map((t) => t.ms)).toEqual([0, 2, 4, 6, 8]);
    expect(timeline.ticks.map((t) => t.left)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const [mlp, gbdt] = timeline.rows;
    expect(mlp!.batch.runId).toBe(7);
    expect(mlp!.queue).toEqual({ fromMs: 1, toMs: 2, left: 0.125, width: 0.125 });
    expect(mlp!.compute).toEqual({ fromMs: 2, toMs: 2.5, left: 0.25, width: 0.0625 });
    expect(gbdt!.compute).toEqual({ fromMs: 2.5, toMs: 6.5, left: 0.3125, width: 0.5 });
    expect(timeline.rows.map((r) => r.shared)).toEqual([false, false]);
  });

  it('orders rows by start and marks a run that held other requests’ rows as shared', () => {
    const report = reportFrom([
      { runId: 4, queuedAt: 2, startedAt: 3, sites: list(1) },
      { runId: 3, queuedAt: 0, startedAt: 1, size: 9, requests: 3, sites: list(2) },
    ]);
    const rows = timelineOf(report).rows;
    expect(rows.map((r) => [r.batch.runId, r.shared])).toEqual([
      [3, true],
      [4, false],
    ]);
  });

  it('never draws a negative queue: a start before the queue time is drawn as no queue', () => {
    const report: Report = { batches: [{ ...twoModels.batches[0]!, queuedAtMs: 3, startedAtMs: 2, endedAtMs: 2.5 }] };
    expect(timelineOf(report).rows[0]!.queue.width).toBe(0);
  });

  it('picks round tick steps: 1, 2 or 5 × 10^k, 2 to 4 intervals', () => {
    expect([0, 0.03, 0.7, 3, 6.5, 21, 140, 1000].map(tickStep)).toEqual([1, 0.01, 0.2, 1, 2, 10, 50, 500]);
    for (const span of [0.013, 0.7, 3.3, 6.5, 21, 99, 140, 1234]) {
      const intervals = Math.ceil(span / tickStep(span));
      expect(intervals, `span ${span}`).toBeGreaterThanOrEqual(2);
      expect(intervals, `span ${span}`).toBeLessThanOrEqual(4);
    }
  });
});

describe('field paths', () => {
  const schema = buildSchema(`
    type Query { predictLatency(model: String): Prediction, sampleRequests(first: Int): [SampleRequest!]! }
    type SampleRequest { id: ID!, predictedLatency(model: String): Prediction }
    type Prediction { p50Ms: Float }
  `);
  const query = `query Q {
    sampleRequests(first: 2) { id ...Predicted }
    predictedLatency: predictLatency { p50Ms }
  }
  fragment Predicted on SampleRequest { predictedLatency { p50Ms } }`;
  const report = reportFrom([
    {
      runId: 1,
      queuedAt: 0,
      startedAt: 0,
      sites: [...list(2), ['Query.predictLatency', 'predictedLatency']],
    },
  ]);
  const batch = report.batches[0]!;

  it('groups a run’s paths by field, through aliases and fragments, with the schema', () => {
    const { byCoordinate, unattributed } = fieldPathsOf(batch, { query, operationName: 'Q' }, schema);
    expect(Object.fromEntries(byCoordinate)).toEqual({
      'SampleRequest.predictedLatency': ['sampleRequests.0.predictedLatency', 'sampleRequests.1.predictedLatency'],
      'Query.predictLatency': ['predictedLatency'],
    });
    expect(unattributed).toEqual([]);
  });

  it('needs no schema when each response key’s field name belongs to one coordinate of the run', () => {
    // The alias `predictedLatency` is the field predictLatency: the document says so, not the schema.
    const { byCoordinate } = fieldPathsOf(batch, { query, operationName: 'Q' }, null);
    expect(byCoordinate.get('Query.predictLatency')).toEqual(['predictedLatency']);
    expect(byCoordinate.get('SampleRequest.predictedLatency')).toHaveLength(2);
  });

  it('gives a run of one field all its paths, and leaves what it cannot place unattributed', () => {
    const single = reportFrom([{ runId: 2, queuedAt: 0, startedAt: 0, sites: list(3) }]).batches[0]!;
    expect(fieldPathsOf(single, undefined).byCoordinate.get('SampleRequest.predictedLatency')).toHaveLength(3);
    const { unattributed } = fieldPathsOf(batch, { query: '{ not valid' }, schema);
    expect(unattributed).toHaveLength(3);
  });
});

describe('paths in the result text', () => {
  const response = {
    data: { sampleRequests: [{ id: 'req-1', predictedLatency: { p50Ms: 1 } }], heavy: { p50Ms: 2 } },
    extensions: { inference: twoModels },
  };
  const text = JSON.stringify(response, null, 2);

  it('finds a path’s property (key and value) and its key', () => {
    const [range] = pathRanges(text, ['sampleRequests.0.predictedLatency']);
    expect(text.slice(range!.offset, range!.offset + range!.length)).toMatch(/^"predictedLatency": \{\s+"p50Ms": 1\s+\}$/);
    expect(text.slice(range!.keyOffset, range!.keyOffset + range!.keyLength)).toBe('"predictedLatency"');
    expect(pathRanges(text, ['nowhere', 'sampleRequests.3.predictedLatency'])).toEqual([]);
  });

  it('tells the path at a position, and the run that served it', () => {
    const at = (needle: string) => pathAt(text, text.indexOf(needle) + 1);
    expect(at('"p50Ms": 1')).toBe('sampleRequests.0.predictedLatency.p50Ms');
    expect(at('"heavy"')).toBe('heavy');
    expect(at('"inference"')).toBeUndefined();
    const report = reportFrom([
      { runId: 5, queuedAt: 0, startedAt: 0, sites: list(1) },
      { runId: 6, model: 'request-latency-gbdt', queuedAt: 0, startedAt: 0, sites: [['Query.predictLatency', 'heavy']] },
    ]);
    expect(servedBy(report, 'sampleRequests.0.predictedLatency.p50Ms')).toMatchObject({
      path: 'sampleRequests.0.predictedLatency',
      batch: { runId: 5 },
    });
    expect(servedBy(report, 'heavy')).toMatchObject({ path: 'heavy', batch: { runId: 6 } });
    expect(servedBy(report, 'sampleRequests.0.id')).toEqual({ unlisted: [] });
  });

  it('names the runs whose paths are not listed (past the report’s limit) as possible servers', () => {
    const report = reportFrom([{ runId: 9, queuedAt: 0, startedAt: 0, sites: list(3) }], 2);
    expect(report.batches[0]!.paths).toBeUndefined();
    expect(servedBy(report, 'sampleRequests.2.predictedLatency').unlisted.map((b) => b.runId)).toEqual([9]);
  });

  it('reads the report from a response, and nothing from one without it', () => {
    expect(reportOf(response)?.batches.map((b) => b.runId)).toEqual([7, 8]);
    expect(reportOf({ data: {} })).toBeUndefined();
    expect(reportOf(null)).toBeUndefined();
  });
});

describe("a text model's run", () => {
  it('shows its padding efficiency, computed by the server from real and padded tokens', () => {
    const report = reportFrom([
      {
        runId: 9,
        model: 'review-sentiment',
        queuedAt: 1,
        startedAt: 2,
        tokens: { real: 412, padded: 512 },
        sites: [['Query.predictReview', 'a']],
      },
    ]);
    const batch = report.batches[0]!;
    expect(batch.tokens).toEqual({ real: 412, padded: 512, efficiency: 0.805 });
    expect(paddingText(batch.tokens!)).toBe('412 of 512 tokens (81 %)');
    expect(
      reportFrom(list(2).map(([c, p], i) => ({ runId: i, queuedAt: 0, startedAt: 1, sites: [[c, p]] }))).batches[0]!.tokens,
    ).toBeUndefined();
  });
});
