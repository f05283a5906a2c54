/**
 * `npm run bench:floor`: how close a prediction request gets to what this machine's HTTP allows,
 * in one run. Side by side, 64 connections, autocannon in its own process (load-driver.ts):
 *
 * - the floor: bare node:http reading and parsing the JSON body, answering 100 fixed bytes
 *   (floor-server.ts);
 * - predictql on its default configuration (GraphQL threads = cores, the report on request, CSRF,
 *   metrics and spans as shipped): `{ __typename }`, then `predictLatencies` with 1, 10 and 100
 *   inputs on the MLP and on the GBDT;
 * - the FastAPI + XGBoost service a Python team would write (reference-service.py, best of 1 and 2
 *   uvicorn workers; skipped and said so without its Debian packages), and onnxruntime alone
 *   (1000-row runs, one thread) for each model.
 *
 * It prints the table and the ratios issue 20 set as goals, each PASS or MISS (FAIL if a request
 * of its cases failed). The prediction path per field at N = 1000 is `npm run bench`'s.
 *
 * Flags: --duration S (per measurement, default 3), --repeats N (default 3, the median repeat
 * is shown), --nice-driver (the load generator at nice 19).
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag } from './bench-flags.ts';
import {
  body,
  fmt,
  goal,
  type LoadRun,
  predictLatenciesShape,
  printTable,
  type Row,
  ratio,
  rawOnnxRowsPerSec,
  referenceRows,
  runInterleaved,
  type Shape,
  startAll,
  stopAll,
} from './load-cases.ts';

const args = process.argv.slice(2);
const run: LoadRun = {
  durationS: numberFlag('--duration', 3),
  repeats: numberFlag('--repeats', 3),
  niceDriver: args.includes('--nice-driver'),
  dir: mkdtempSync(join(tmpdir(), 'predictql-floor-')),
};
const CONNECTIONS = 64;
const SIZES = [1, 10, 100] as const;
const MODELS = { MLP: 'request-latency', GBDT: 'request-latency-gbdt' } as const;

const typename: Shape = { name: '{ __typename }', predictions: 0, bodies: [body('{ __typename }')] };
const predictionShapes = Object.entries(MODELS).flatMap(([label, model]) => SIZES.map((n) => predictLatenciesShape(label, model, n)));

console.log(
  `# predictql bench:floor — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${CONNECTIONS} connections, ${run.durationS} s per measurement, median of ${run.repeats} interleaved repeats${run.niceDriver ? ', load generator at nice 19' : ''}`,
);

const [floor, predictql] = await startAll([
  { label: 'node:http floor', env: {}, script: 'floor-server.ts' },
  // The shipped default, said explicitly: load-server.ts turns the report off unless asked.
  { label: 'predictql', env: { PREDICTQL_INFERENCE_REPORT: 'header' } },
]);
const stackRows = await runInterleaved(run, [floor!, predictql!], [{ shape: typename, connections: CONNECTIONS }]);
const predictionRows = await runInterleaved(
  run,
  [predictql!],
  predictionShapes.map((shape) => ({ shape, connections: CONNECTIONS })),
);
await stopAll([floor!, predictql!]);
const reference = await referenceRows(
  run,
  predictionShapes.filter((s) => s.name.startsWith('GBDT')),
);
const raw = {
  MLP: await rawOnnxRowsPerSec(MODELS.MLP, run.durationS),
  GBDT: await rawOnnxRowsPerSec(MODELS.GBDT, run.durationS),
};

console.log("\n## The floor, the stack, and predictions (loop p99 is the models' owner, the main thread)\n");
printTable([...stackRows, ...predictionRows, ...reference]);
console.log(`\n- onnxruntime alone, 1000-row runs on one thread: MLP ${fmt(raw.MLP, 0)} rows/s, GBDT ${fmt(raw.GBDT, 0)} rows/s`);

const find = (rows: Row[], mode: string, shape: string) => rows.find((r) => r.mode === mode && r.shape === shape)!;
const bare = find(stackRows, 'node:http floor', typename.name);
const stack = find(stackRows, 'predictql', typename.name);
console.log('\n## Ratios (same run)\n');
const ofBare = ratio(stack.reqPerSec, bare.reqPerSec);
console.log(`- { __typename } / bare node:http, req/s: ${fmt(ofBare, 2)} (goal ≥ 0.50: ${goal(ofBare >= 0.5, stack, bare)})`);
for (const label of Object.keys(MODELS) as (keyof typeof MODELS)[]) {
  const one = find(predictionRows, 'predictql', `${label} × 1`);
  const ofStack = ratio(one.reqPerSec, stack.reqPerSec);
  console.log(`- ${label}, one prediction / { __typename }, req/s: ${fmt(ofStack, 2)} (goal ≥ 0.85: ${goal(ofStack >= 0.85, one, stack)})`);
}
for (const n of SIZES) {
  const ours = find(predictionRows, 'predictql', `GBDT × ${n}`);
  const theirs = reference.filter((r) => r.shape === ours.shape).sort((a, b) => b.predictionsPerSec - a.predictionsPerSec)[0];
  const parts = [`- GBDT × ${n}: ${fmt(ours.predictionsPerSec, 0)} predictions/s, p99 ${fmt(ours.latencyP99Ms, 1)} ms`];
  if (theirs) {
    const x = ratio(ours.predictionsPerSec, theirs.predictionsPerSec);
    parts.push(`vs ${theirs.mode} ${fmt(theirs.predictionsPerSec, 0)}/s, p99 ${fmt(theirs.latencyP99Ms, 1)} ms: ${fmt(x, 1)}x`);
    if (n <= 10) parts.push(`(goal ≥ 10x with a lower p99: ${goal(x >= 10 && ours.latencyP99Ms < theirs.latencyP99Ms, ours, theirs)})`);
  } else {
    parts.push('vs the FastAPI reference: skipped (python3-fastapi, -uvicorn, -uvloop, -httptools, -xgboost, -pandas missing)');
  }
  const ofRaw = ratio(ours.predictionsPerSec, raw.GBDT);
  parts.push(`; ${fmt(ofRaw * 100, 0)} % of onnxruntime alone${n === 100 ? ` (goal ≥ 60 %: ${goal(ofRaw >= 0.6, ours)})` : ''}`);
  console.log(parts.join(' '));
}
const mlp100 = find(predictionRows, 'predictql', 'MLP × 100');
console.log(`- MLP × 100: ${fmt(ratio(mlp100.predictionsPerSec, raw.MLP) * 100, 0)} % of onnxruntime alone`);
const loopWorst = predictionRows.reduce((worst, r) => (r.eventLoopP99Ms > worst.eventLoopP99Ms ? r : worst));
console.log(
  `- the owner's event-loop p99, worst case (${loopWorst.shape}): ${fmt(loopWorst.eventLoopP99Ms, 2)} ms (goal ≤ 5 ms: ${goal(loopWorst.eventLoopP99Ms <= 5, ...predictionRows)})`,
);
const cpuPerRequest = (r: Row) => (r.cpuMs === undefined ? Number.NaN : (r.cpuMs * 1000) / r.requests);
console.log(
  `- the server process's CPU per request, all its threads (µs; cores busy): ${[...stackRows, ...predictionRows].map((r) => `${r.mode === 'predictql' ? '' : `${r.mode} `}${r.shape} ${fmt(cpuPerRequest(r), 0)} (${fmt((r.cpuMs ?? Number.NaN) / 1000 / r.durationS, 2)})`).join(', ')}`,
);
const runsPerRequest = predictionRows.map((r) => ratio(r.runs, r.requests));
console.log(
  `- runs per request ≤ 1 (the promise, from the server's own counters; cross-request batching makes it less): ${predictionRows.map((r, i) => `${r.shape} ${fmt(runsPerRequest[i]!, 3)}`).join(', ')}`,
);
