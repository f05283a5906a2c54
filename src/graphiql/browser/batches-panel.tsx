/**
 * The Batches panel: for the last response, a verdict (fields → runs, per model), the runs on a
 * timeline, and each run's figures and fields. A field picked here is highlighted in the result;
 * a prediction field under the result's cursor (or pointer) names the run that served it.
 */
import { useGraphiQL } from '@graphiql/react';
import { type ReactNode, useCallback, useMemo, useState } from 'react';
import { fieldPathsOf } from '../panel/field-paths.ts';
import { reportOf } from '../panel/report.ts';
import { servedBy } from '../panel/response-paths.ts';
import { timelineOf } from '../panel/timeline-geometry.ts';
import { plural, verdictOf } from '../panel/verdict.ts';
import { type LastResponse, useLastResponse } from './last-response.ts';
import { useResultCursorPath, useResultHighlights, useResultHover, useResultText } from './result-highlights.ts';
import { type FieldKey, RunCard } from './run-card.tsx';
import { Timeline } from './timeline.tsx';
import { TRACE_HEADER } from './trace-fetcher.ts';

const NO_PATHS: readonly string[] = [];

export function BatchesPanel() {
  const last = useLastResponse();
  const schema = useGraphiQL((s) => s.schema);
  // A picked field belongs to the response it was picked in: a new response starts unpicked.
  const [pick, setPick] = useState<{ response: LastResponse; field: FieldKey }>();
  const [hovered, setHovered] = useState<FieldKey>();
  const picked = pick && pick.response === last ? pick.field : undefined;
  const text = useResultText();
  const cursorPath = useResultCursorPath(text);

  const report = useMemo(() => reportOf(last?.result), [last]);
  const view = useMemo(() => {
    if (!report || !last) return undefined;
    const fieldPaths = new Map(report.batches.map((b) => [b.runId, fieldPathsOf(b, last.operation, schema)]));
    return { verdict: verdictOf(report), timeline: timelineOf(report), fieldPaths };
  }, [report, last, schema]);

  const active = hovered ?? picked;
  const highlighted = (active && view?.fieldPaths.get(active.runId)?.byCoordinate.get(active.coordinate)) || NO_PATHS;
  const found = useResultHighlights(text, highlighted);
  const served = report && cursorPath ? servedBy(report, cursorPath) : undefined;

  const describe = useCallback(
    (path: string) => {
      const hit = report && servedBy(report, path);
      if (!hit?.batch) return undefined;
      const b = hit.batch;
      return `**${hit.path}** ← run #${b.runId} ${b.model} (${b.executor}, ${b.executionProvider}): ${plural(b.size, 'row')}, ${b.items} of this response, ${plural(b.requests, 'request')}`;
    },
    [report],
  );
  useResultHover(describe);

  if (!last) {
    return (
      <Frame>
        <p className="predictql-note">
          Run a query: the model runs that answered it are drawn here. While this panel is open, queries are sent with{' '}
          <code>{TRACE_HEADER}: 1</code>.
        </p>
      </Frame>
    );
  }
  if (!report || !view) {
    return (
      <Frame>
        <p className="predictql-note" data-testid="batches-verdict">
          The last response has no inference report (<code>extensions.inference</code>): the server does not report it
          (PREDICTQL_INFERENCE_REPORT=off), or the request failed before any field ran.
        </p>
      </Frame>
    );
  }
  const markedRunId = served?.batch?.runId ?? active?.runId;
  return (
    <Frame>
      <p className="predictql-verdict" data-testid="batches-verdict">
        {view.verdict.text}
      </p>
      {view.verdict.hint ? (
        <p className="predictql-hint" data-testid="batches-hint">
          {view.verdict.hint}
        </p>
      ) : null}
      {view.timeline.rows.length > 0 ? <Timeline timeline={view.timeline} markedRunId={markedRunId} /> : null}
      <CursorLine path={cursorPath} served={served} />
      {view.timeline.rows.map(({ batch }) => (
        <RunCard
          key={batch.runId}
          batch={batch}
          fieldPaths={view.fieldPaths.get(batch.runId)!}
          picked={picked}
          marked={batch.runId === markedRunId}
          onHover={setHovered}
          onPick={(field) =>
            setPick(picked?.runId === field.runId && picked.coordinate === field.coordinate ? undefined : { response: last, field })
          }
        />
      ))}
      {active ? <HighlightedPaths field={active} paths={highlighted} found={found.length} /> : null}
    </Frame>
  );
}

function Frame({ children }: { children: ReactNode }) {
  return (
    <div className="predictql-batches">
      <div className="graphiql-doc-explorer-title">Batches</div>
      {children}
    </div>
  );
}

function CursorLine({ path, served }: { path?: string; served?: ReturnType<typeof servedBy> }) {
  if (!path) {
    return <p className="predictql-note">Click a prediction in the result to see which run served it.</p>;
  }
  let answer: string;
  if (served?.batch) answer = `${served.path} ← run #${served.batch.runId} ${served.batch.model}`;
  else if (served?.unlisted.length)
    answer = `${path}: not a listed path; run ${served.unlisted.map((b) => `#${b.runId}`).join(', ')} may have served it (paths not listed)`;
  else answer = `${path}: no model run served it`;
  return (
    <p className="predictql-cursor" data-testid="batches-cursor">
      {answer}
    </p>
  );
}

function HighlightedPaths({ field, paths, found }: { field: FieldKey; paths: readonly string[]; found: number }) {
  return (
    <section className="predictql-highlighted" data-testid="highlighted-paths">
      <h4>
        {field.coordinate} in run #{field.runId}: {plural(paths.length, 'path')}, {found} highlighted in the result
      </h4>
      <ul>
        {paths.map((path) => (
          <li key={path}>{path}</li>
        ))}
      </ul>
    </section>
  );
}
