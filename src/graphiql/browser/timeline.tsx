/**
 * The runs on one time axis from the request's arrival: per run, its queue time (light) and its
 * compute time (solid), labelled with the model, the executor and the provider; a shared run is
 * hatched and says how many requests it served. Geometry from panel/timeline-geometry.ts.
 */
import type { Timeline as TimelineGeometry, TimelineRow } from '../panel/timeline-geometry.ts';

interface TimelineProps {
  timeline: TimelineGeometry;
  /** The run to mark (its field is picked, or it served the path under the result's cursor). */
  markedRunId?: number;
}

export function Timeline({ timeline, markedRunId }: TimelineProps) {
  return (
    <div className="predictql-timeline" data-testid="batches-timeline">
      <div className="predictql-timeline-row">
        <div className="predictql-timeline-label" />
        <div className="predictql-timeline-axis">
          {timeline.ticks.map((tick, i) => (
            <span key={tick.ms} className="predictql-tick" style={{ left: percent(tick.left) }}>
              {i === timeline.ticks.length - 1 ? `${tick.ms} ms` : tick.ms}
            </span>
          ))}
        </div>
      </div>
      {timeline.rows.map((row) => (
        <TimelineRowView key={row.batch.runId} row={row} marked={row.batch.runId === markedRunId} />
      ))}
    </div>
  );
}

function TimelineRowView({ row, marked }: { row: TimelineRow; marked: boolean }) {
  const { batch, queue, compute, shared } = row;
  const title =
    `run #${batch.runId} ${batch.model}: queued at ${batch.queuedAtMs} ms, started at ${batch.startedAtMs} ms, ` +
    `ended at ${batch.endedAtMs} ms (queue ${batch.queueMs} ms, compute ${batch.computeMs} ms)`;
  return (
    <div
      className={`predictql-timeline-row${marked ? ' predictql-marked' : ''}`}
      data-run-id={batch.runId}
      data-model={batch.model}
      data-executor={batch.executor}
      data-provider={batch.executionProvider}
      data-shared={shared}
      title={title}
    >
      <div className="predictql-timeline-label">
        <b>#{batch.runId}</b> {batch.model}
        <span className="predictql-where">
          {batch.executor} · {batch.executionProvider}
          {shared ? ` · shared by ${batch.requests} requests` : ''}
          {batch.failed ? ' · failed' : ''}
        </span>
      </div>
      <div className="predictql-timeline-track">
        <span className="predictql-queue" style={{ left: percent(queue.left), width: percent(queue.width) }} />
        <span
          className={`predictql-compute${shared ? ' predictql-shared' : ''}${batch.failed ? ' predictql-failed' : ''}`}
          style={{ left: percent(compute.left), width: percent(compute.width) }}
        />
      </div>
    </div>
  );
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(3)}%`;
}
