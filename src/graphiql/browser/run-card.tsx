/**
 * One run in figures: rows in the run, this response's rows, the requests that shared it, its
 * queue and compute times; then the fields it answered as chips. Hovering a chip highlights that
 * field's response paths, clicking pins them.
 */
import type { FieldPaths } from '../panel/field-paths.ts';
import { isShared, paddingText, type ReportBatch } from '../panel/report.ts';
import { plural } from '../panel/verdict.ts';

export interface FieldKey {
  runId: number;
  coordinate: string;
}

interface RunCardProps {
  batch: ReportBatch;
  fieldPaths: FieldPaths;
  picked?: FieldKey;
  marked: boolean;
  onHover(field: FieldKey | undefined): void;
  onPick(field: FieldKey): void;
}

export function RunCard({ batch, fieldPaths, picked, marked, onHover, onPick }: RunCardProps) {
  const others = batch.size - batch.items;
  return (
    <section className={`predictql-run${marked ? ' predictql-marked' : ''}`} data-run-id={batch.runId} data-model={batch.model}>
      <h4>
        #{batch.runId} {batch.model}
      </h4>
      <dl className="predictql-figures">
        <div>
          <dt>size</dt>
          <dd data-figure="size">{batch.size}</dd>
        </div>
        <div>
          <dt>this response</dt>
          <dd data-figure="items">{batch.items}</dd>
        </div>
        <div>
          <dt>requests</dt>
          <dd data-figure="requests">{batch.requests}</dd>
        </div>
        <div>
          <dt>queue</dt>
          <dd>{batch.queueMs} ms</dd>
        </div>
        <div>
          <dt>compute</dt>
          <dd>{batch.computeMs} ms</dd>
        </div>
        {batch.tokens ? (
          <div>
            <dt>padding efficiency</dt>
            <dd data-figure="padding" title="real tokens / tokens run, every row padded to the run's longest">
              {paddingText(batch.tokens)}
            </dd>
          </div>
        ) : null}
      </dl>
      <p className="predictql-note">
        {isShared(batch)
          ? `Shared: ${plural(others, 'row')} of ${plural(batch.requests - 1, 'other request')} ran with this response's ${batch.items}.`
          : 'Not shared: only this response ran in it.'}
        {batch.loads > batch.items ? ` ${batch.loads} fields asked for ${plural(batch.items, 'distinct row')}.` : ''}
        {batch.limit ? ` ${batch.limit}.` : ''}
      </p>
      <div className="predictql-chips">
        {Object.entries(batch.fields).map(([coordinate, count]) => {
          const key = { runId: batch.runId, coordinate };
          const isPicked = picked?.runId === batch.runId && picked.coordinate === coordinate;
          return (
            <button
              type="button"
              key={coordinate}
              className={`predictql-chip${isPicked ? ' predictql-picked' : ''}`}
              data-coordinate={coordinate}
              aria-pressed={isPicked}
              title={batch.paths ? `${fieldPaths.byCoordinate.get(coordinate)?.length ?? 0} paths in the result` : undefined}
              onMouseEnter={() => onHover(key)}
              onMouseLeave={() => onHover(undefined)}
              onClick={() => onPick(key)}
            >
              {coordinate} <span className="predictql-count">×{count}</span>
            </button>
          );
        })}
      </div>
      {batch.paths ? null : (
        <p className="predictql-note" data-testid="paths-not-listed">
          The report lists a run's response paths only up to 50; this run answered {batch.loads} fields, so they are counted per field here
          but cannot be highlighted in the result.
        </p>
      )}
    </section>
  );
}
