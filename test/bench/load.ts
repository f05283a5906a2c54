/**
 * `npm run bench:load`: the real HTTP server on loopback, driven by autocannon from another
 * process, for three query shapes × three connection counts × three batching modes, plus the
 * heavier model on the JS thread vs a worker. Prints req/s, predictions/s, latency, mean batch
 * size, event-loop delay and peak RSS, and the ratios the scheduler is judged by.
 *
 * Then the engine (graphql-jit, the default, vs graphql-js) × 1 or 2 GraphQL threads
 * (PREDICTQL_GRAPHQL_THREADS), side by side, with the ratios. The sections before it run with one
 * thread, as the server did before threads existed.
 *
 * Last, `predictLatencies` on the GBDT at 1, 10 and 100 inputs per request, 64 connections, for the
 * same four configurations beside the reference a Python team would write (reference-service.py:
 * FastAPI + XGBoost on the very trees, one DataFrame and one predict per request; best of 1 and 2
 * uvicorn workers) and beside onnxruntime's raw throughput for that model (1000-row runs, one
 * thread). The reference needs Debian's python3-fastapi, -uvicorn, -uvloop, -httptools, -xgboost,
 * -pandas; without them it is skipped and said so.
 *
 * Flags: --duration S (per measurement, default 2), --repeats N (per case and mode, default 3; the
 * median is reported), --quick (1 s, once, fewer cases), --threads-only (the engine × threads and
 * GBDT sections only),
 * --nice-driver (the load generator at nice 19, so that the server's threads get the cores first).
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  body,
  errorsOf,
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
  samples,
  startAll,
  stopAll,
} from './load-cases.ts';

type Mode = 'per-field' | 'per-request' | 'cross-request';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const durationS = Number(args[args.indexOf('--duration') + 1]) || (quick ? 1 : 2);
const repeats = Number(args[args.indexOf('--repeats') + 1]) || (quick ? 1 : 3);
const connectionsList = quick ? [1, 64] : [1, 16, 64];
const threadsOnly = args.includes('--threads-only');
const niceDriver = args.includes('--nice-driver');

const literal = (f: Record<string, number>) =>
  `{ ${Object.entries(f)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')} }`;
const shapes = (model: string): Shape[] => [
  {
    name: '1 prediction',
    predictions: 1,
    bodies: samples
      .slice(0, 500)
      .map((s) =>
        body(`query One($i: LatencyFeaturesInput!) { predictLatency(input: $i, model: "${model}") { p50Ms p95Ms } }`, { i: s.features }),
      ),
  },
  {
    name: '10 aliased',
    predictions: 10,
    bodies: Array.from({ length: 200 }, (_, r) =>
      body(
        `{ ${Array.from({ length: 10 }, (_, i) => `p${i}: predictLatency(model: "${model}", input: ${literal(samples[(r * 10 + i) % samples.length]!.features)}) { p50Ms p95Ms }`).join(' ')} }`,
      ),
    ),
  },
  {
    name: 'list of 100',
    predictions: 100,
    bodies: Array.from({ length: 29 }, (_, r) =>
      body(`{ sampleRequests(first: 100, offset: ${r * 100}) { id predictedLatency(model: "${model}") { p50Ms p95Ms } } }`),
    ),
  },
];

const dir = mkdtempSync(join(tmpdir(), 'predictql-load-'));
console.log(
  `# predictql bench:load — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${durationS} s per measurement, median of ${repeats} interleaved repeats${niceDriver ? ', load generator at nice 19' : ''}`,
);
const run: LoadRun = { durationS, repeats, niceDriver, dir };
const oneThread = { PREDICTQL_GRAPHQL_THREADS: '1' };
const allRows: Row[] = [];
if (!threadsOnly) allRows.push(...(await batchingModes()), ...(await heavyModel()));
allRows.push(...(await graphqlThreads()));
allRows.push(...(await gbdtLists()));
console.log(`- errors across all cases: ${allRows.reduce((n, r) => n + errorsOf(r), 0)}`);

async function batchingModes(): Promise<Row[]> {
  const mlpShapes = shapes('request-latency');
  const cases = mlpShapes.flatMap((shape) => connectionsList.map((connections) => ({ shape, connections })));
  const modeServers = await startAll(
    (['per-field', 'per-request', 'cross-request'] as Mode[]).map((mode) => ({
      label: mode,
      env: { ...oneThread, PREDICTQL_BATCHING: mode },
    })),
  );
  const unsorted = await runInterleaved(run, modeServers, cases);
  await stopAll(modeServers);
  const modeOrder = ['per-field', 'per-request', 'cross-request'];
  const rows = unsorted.sort((a, b) => modeOrder.indexOf(a.mode) - modeOrder.indexOf(b.mode));
  console.log('\n## request-latency (MLP), by batching mode\n');
  printTable(rows);

  const find = (mode: string, shape: string, connections: number) =>
    rows.find((r) => r.mode === mode && r.shape === shape && r.connections === connections)!;
  const one64 = {
    cross: find('cross-request', '1 prediction', 64),
    per: find('per-request', '1 prediction', 64),
    field: find('per-field', '1 prediction', 64),
  };
  const one1 = { cross: find('cross-request', '1 prediction', 1), per: find('per-request', '1 prediction', 1) };
  console.log('\n## Ratios (same run)\n');
  const meanBatch64 = one64.cross.meanBatch;
  const throughput64 = ratio(one64.cross.reqPerSec, one64.per.reqPerSec);
  const p50At1 = ratio(one1.cross.latencyP50Ms, one1.per.latencyP50Ms);
  console.log(
    `- 64 conns × 1 prediction: mean batch ${fmt(meanBatch64)} (goal ≥ 8: ${goal(meanBatch64 >= 8, one64.cross)}); throughput cross/per-request ${fmt(throughput64, 2)}x (goal ≥ 1.5x: ${goal(throughput64 >= 1.5, one64.cross, one64.per)})`,
  );
  console.log(
    `- 1 conn × 1 prediction: p50 cross/per-request ${fmt(p50At1, 2)}x (goal ≤ 1.1x: ${goal(p50At1 <= 1.1, one1.cross, one1.per)})`,
  );
  for (const shape of mlpShapes) {
    const cross = find('cross-request', shape.name, 64);
    const field = find('per-field', shape.name, 64);
    const per = find('per-request', shape.name, 64);
    const vsField = ratio(cross.predictionsPerSec, field.predictionsPerSec);
    const line = `- 64 conns × ${shape.name}: predictions/s cross/per-field ${fmt(vsField, 1)}x, cross/per-request ${fmt(ratio(cross.predictionsPerSec, per.predictionsPerSec), 2)}x`;
    console.log(shape.name === '10 aliased' ? `${line} (goal ≥ 20x vs per-field: ${goal(vsField >= 20, cross, field)})` : line);
  }
  return rows;
}

async function heavyModel(): Promise<Row[]> {
  // The heavier model: where running on the JS thread costs every other request its latency.
  const heavyShapes = shapes('request-latency-gbdt');
  const heavyServers = await startAll(
    ['main', 'worker'].map((executor) => ({
      label: `gbdt on ${executor}`,
      env: { ...oneThread, PREDICTQL_EXECUTOR: `request-latency-gbdt=${executor}` },
    })),
  );
  const heavyRows = (
    await runInterleaved(
      run,
      heavyServers,
      heavyShapes.map((shape) => ({ shape, connections: 64 })),
    )
  ).sort((a, b) => a.mode.localeCompare(b.mode));
  await stopAll(heavyServers);
  console.log('\n## request-latency-gbdt (heavier model), 64 conns, cross-request: JS thread vs worker\n');
  printTable(heavyRows);
  console.log('');
  for (const shape of heavyShapes) {
    const onMain = heavyRows.find((r) => r.mode === 'gbdt on main' && r.shape === shape.name)!;
    const onWorker = heavyRows.find((r) => r.mode === 'gbdt on worker' && r.shape === shape.name)!;
    console.log(
      `- ${shape.name}: event-loop p99 main ${fmt(onMain.eventLoopP99Ms, 2)} ms vs worker ${fmt(onWorker.eventLoopP99Ms, 2)} ms` +
        ` (goal ≤ 5 ms: ${goal(onWorker.eventLoopP99Ms <= 5, onWorker)}); predictions/s worker/main ${fmt(ratio(onWorker.predictionsPerSec, onMain.predictionsPerSec), 2)}x;` +
        ` p99 latency worker/main ${fmt(ratio(onWorker.latencyP99Ms, onMain.latencyP99Ms), 2)}x`,
    );
  }
  return heavyRows;
}

/**
 * 1 GraphQL thread vs 2: the same shapes and connections, interleaved; the ratio 2/1 of
 * predictions/s and of p99 latency per case. On a machine with as many cores as threads, the load
 * generator competes with them for the cores (see --nice-driver).
 */
async function graphqlThreads(): Promise<Row[]> {
  const servers = await startAll(configurations().map(({ label, env }) => ({ label, env })));
  const threadCases = shapes('request-latency').flatMap((shape) =>
    (quick ? [64] : [16, 64]).map((connections) => ({ shape, connections })),
  );
  const rows = (await runInterleaved(run, servers, threadCases)).sort((a, b) => a.mode.localeCompare(b.mode));
  await stopAll(servers);
  console.log("\n## Engine × GraphQL threads (request-latency, cross-request; loop p99 is the main thread's)\n");
  printTable(rows);
  console.log(
    '\n| shape | conns | predictions/s jit 1 / jit 2 / js 1 / js 2 | jit/js (1 thread) | 2/1 threads (jit) | p99 ms jit 1 / jit 2 / js 1 / js 2 | errors |',
  );
  console.log('|---|---:|---|---:|---:|---|---|');
  for (const { shape, connections } of threadCases) {
    const [j1, j2, g1, g2] = configurations().map(
      ({ label }) => rows.find((r) => r.mode === label && r.shape === shape.name && r.connections === connections)!,
    ) as [Row, Row, Row, Row];
    const errors = [j1, j2, g1, g2].reduce((n, r) => n + errorsOf(r), 0);
    console.log(
      `| ${shape.name} | ${connections} | ${[j1, j2, g1, g2].map((r) => fmt(r.predictionsPerSec, 0)).join(' / ')} | ${fmt(ratio(j1.predictionsPerSec, g1.predictionsPerSec), 2)}x | ${fmt(ratio(j2.predictionsPerSec, j1.predictionsPerSec), 2)}x | ${[j1, j2, g1, g2].map((r) => fmt(r.latencyP99Ms, 1)).join(' / ')} | ${errors > 0 ? `FAIL (${errors})` : '0'} |`,
    );
  }
  return rows;
}

/** The four server configurations of the last two sections: engine × GraphQL threads. */
function configurations(): { label: string; env: Record<string, string> }[] {
  return (['jit', 'graphql-js'] as const).flatMap((engine) =>
    [1, 2].map((n) => ({
      label: `${engine}, ${n} thread${n > 1 ? 's' : ''}`,
      env: { PREDICTQL_GRAPHQL_ENGINE: engine, PREDICTQL_GRAPHQL_THREADS: String(n) },
    })),
  );
}

/**
 * `predictLatencies(inputs: $i, model: "request-latency-gbdt")` at 1, 10 and 100 inputs per
 * request, 64 connections: predictql's four configurations, the FastAPI + XGBoost reference, and
 * onnxruntime's raw rows/s for the model, all in this run.
 */
async function gbdtLists(): Promise<Row[]> {
  const sizes = [1, 10, 100];
  const listShapes: Shape[] = sizes.map((n) => predictLatenciesShape('predictLatencies', 'request-latency-gbdt', n));
  const servers = await startAll(configurations());
  const rows = await runInterleaved(
    run,
    servers,
    listShapes.map((shape) => ({ shape, connections: 64 })),
  );
  await stopAll(servers);
  const reference = await referenceRows(run, listShapes);
  const rawRowsPerSec = await rawOnnxRowsPerSec('request-latency-gbdt', durationS);

  console.log('\n## request-latency-gbdt, predictLatencies, 64 conns: engine × threads, the Python reference, raw onnxruntime\n');
  printTable([...rows, ...reference].sort((a, b) => a.shape.localeCompare(b.shape) || a.mode.localeCompare(b.mode)));
  console.log(`\n- onnxruntime alone, 1000-row runs of request-latency-gbdt on one thread: ${fmt(rawRowsPerSec, 0)} rows/s`);
  const defaultLabel = `jit, ${Math.min(2, cpus().length)} thread${cpus().length > 1 ? 's' : ''}`;
  for (const [i, shape] of listShapes.entries()) {
    const ours = rows.find((r) => r.mode === defaultLabel && r.shape === shape.name)!;
    const theirs = reference.filter((r) => r.shape === shape.name).sort((a, b) => b.predictionsPerSec - a.predictionsPerSec)[0];
    const n = sizes[i]!;
    const parts = [
      `- ${shape.name} (${defaultLabel}, the default here): ${fmt(ours.predictionsPerSec, 0)} predictions/s, p99 ${fmt(ours.latencyP99Ms, 1)} ms`,
    ];
    if (theirs) {
      const x = ratio(ours.predictionsPerSec, theirs.predictionsPerSec);
      parts.push(
        `vs reference (${theirs.mode}) ${fmt(theirs.predictionsPerSec, 0)}/s, p99 ${fmt(theirs.latencyP99Ms, 1)} ms: ${fmt(x, 1)}x`,
      );
      if (n <= 10) parts.push(`(goal ≥ 10x with a lower p99: ${goal(x >= 10 && ours.latencyP99Ms < theirs.latencyP99Ms, ours, theirs)})`);
    } else {
      parts.push('vs reference: skipped (its Python packages are missing)');
    }
    const ofRaw = ratio(ours.predictionsPerSec, rawRowsPerSec);
    parts.push(`; ${fmt(ofRaw * 100, 0)} % of raw onnxruntime`);
    if (n === 100) parts.push(`(goal ≥ 60 %: ${goal(ofRaw >= 0.6, ours)})`);
    console.log(parts.join(' '));
  }
  return [...rows, ...reference];
}
