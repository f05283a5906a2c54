/** The query GraphiQL opens with: a list and two aliased single predictions, all in one run. */
import type { PredictionTask } from './task.ts';

export function defaultQuery(task: PredictionTask): string {
  const input = (pick: (min: number, max: number) => number) =>
    task.features.map((f) => `${f.name}: ${round(pick(f.min, f.max))}`).join(', ');
  const outputs = task.outputs.map((o) => o.name).join(' ');
  return `# Every prediction field below is answered by ONE batched model run.
# The x-predictql-trace header (see Headers) adds extensions.inference to the response.
{
  sampleRequests(first: 5) {
    id
    predictedLatency { ${outputs} }
  }
  quiet: predictLatency(input: { ${input((min, max) => min + (max - min) * 0.1)} }) { ${outputs} }
  busy: predictLatency(input: { ${input((min, max) => min + (max - min) * 0.7)} }) { ${outputs} model { name version } }
}
`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
