/**
 * `npm run bench:cache`: the response cache (PREDICTQL_RESPONSE_CACHE_BYTES) when answers repeat,
 * as Triton's response cache is measured: the same server with the cache off and on (64 MiB),
 * side by side in one run, at 0 %, 50 % and 90 % repeated rows, for two models: the GBDT (10
 * tabular inputs per request, ~8 µs a row on its worker) and review-sentiment (10 texts per
 * request, a BERT-style encoder, far more per row). A repeated row is one of a hot set of 20; the
 * others are new rows never sent before in the run (each body is sent once: a case has more bodies
 * than it sends requests, and each measurement gets bodies of its own). Each case is measured
 * twice, the servers' order swapped, so that neither always goes first. 64 connections, default
 * GraphQL threads. Prints answered predictions/s (req/s × 10), the rows the model actually ran,
 * and cache on / off.
 *
 * Flags: --duration S (per measurement, default 3), --models gbdt,text (default both).
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag } from './bench-flags.ts';
import {
  body,
  errorsOf,
  fmt,
  type LoadRun,
  type Row,
  ratio,
  runInterleaved,
  type Server,
  type Shape,
  samples,
  startAll,
  stopAll,
} from './load-cases.ts';
import { reviewTexts } from './review-texts.ts';

const args = process.argv.slice(2);
const models = (args.includes('--models') ? args[args.indexOf('--models') + 1]! : 'gbdt,text').split(',');
const run: LoadRun = {
  durationS: numberFlag('--duration', 3),
  // One measurement per body set: a repeat would send the same bodies again, found cached.
  repeats: 1,
  niceDriver: false,
  dir: mkdtempSync(join(tmpdir(), 'predictql-cache-')),
};
const CONNECTIONS = 64;
const INPUTS = 10;
const HOT = 20;
const REPEATED = [0, 0.5, 0.9];

interface Workload {
  label: string;
  /** Bodies per measurement: more than it sends (checked after). */
  bodies: number;
  query: string;
  hot: (i: number) => unknown;
  fresh: (u: number) => unknown;
}

// Private: a seeded generator, so that every run sends the same bodies.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const gbdt: Workload = {
  label: 'request-latency-gbdt',
  bodies: 20_000,
  query: `query Many($i: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $i, model: "request-latency-gbdt") { p50Ms p95Ms } }`,
  hot: (i) => samples[i]!.features,
  // A sample's features with payloadKb made unique: 0.01 KB steps are distinct in float32 up to 10 240 KB.
  fresh: (u) => ({ ...samples[u % samples.length]!.features, payloadKb: (u % 1_000_000) * 0.01 }),
};

async function textWorkload(): Promise<Workload> {
  // Leaving room for the number a new text gets within the model's 128 tokens.
  const { texts } = await reviewTexts(8, 110);
  return {
    label: 'review-sentiment',
    bodies: 4000,
    query: `query ($i: [ReviewSentimentInput!]!) { predictReviewSentiments(inputs: $i) { sentiment } }`,
    hot: (i) => ({ text: texts[i % texts.length]! }),
    fresh: (u) => ({ text: `${texts[u % texts.length]!} (review ${u})` }),
  };
}

function shapeOf(w: Workload, repeated: number, measurement: number): Shape {
  const next = random(7 + measurement);
  // Each measurement's new rows start past every other's, so that no measurement finds another's cached.
  let fresh = measurement * w.bodies * INPUTS;
  return {
    name: `${w.label}, ${Math.round(repeated * 100)} % repeated`,
    predictions: INPUTS,
    bodies: Array.from({ length: w.bodies }, () =>
      body(w.query, { i: Array.from({ length: INPUTS }, () => (next() < repeated ? w.hot(Math.floor(next() * HOT)) : w.fresh(fresh++))) }),
    ),
  };
}

console.log(
  `# predictql bench:cache — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${CONNECTIONS} connections, ${run.durationS} s per measurement, ${INPUTS} inputs per request, each case twice (server order swapped)`,
);
const servers = await startAll([
  { label: 'cache off', env: {} },
  { label: 'cache 64 MiB', env: { PREDICTQL_RESPONSE_CACHE_BYTES: String(64 * 2 ** 20) } },
]);
const workloads = [...(models.includes('gbdt') ? [gbdt] : []), ...(models.includes('text') ? [await textWorkload()] : [])];
const measured: { w: Workload; repeated: number; rows: Row[] }[] = [];
let measurement = 0;
try {
  for (const w of workloads) {
    for (const repeated of REPEATED) {
      for (const order of [servers, [...servers].reverse()] as Server[][]) {
        const rows = await runInterleaved(run, order, [{ shape: shapeOf(w, repeated, measurement++), connections: CONNECTIONS }]);
        measured.push({ w, repeated, rows });
      }
    }
  }
} finally {
  await stopAll(servers);
}

console.log(
  '| model | repeated rows | server | req/s (two runs) | predictions answered/s | rows the model ran/s | p99 ms | errors | answered: on / off |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
for (const w of workloads) {
  for (const repeated of REPEATED) {
    const runs = measured.filter((m) => m.w === w && m.repeated === repeated).map((m) => m.rows);
    const of = (label: string) => runs.map((rows) => rows.find((r) => r.mode === label)!);
    const [off, on] = [of('cache off'), of('cache 64 MiB')];
    for (const [label, rs] of [
      ['cache off', off],
      ['cache 64 MiB', on],
    ] as const) {
      for (const r of rs)
        if (r.requests > w.bodies) console.error(`# ${label}, ${r.shape}: ${r.requests} requests > ${w.bodies} bodies: some sent twice`);
      const mean = (f: (r: Row) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
      const gains = label === 'cache off' ? '' : on.map((r, i) => `${fmt(ratio(r.reqPerSec, off[i]!.reqPerSec), 2)}×`).join(', ');
      console.log(
        `| ${w.label} | ${Math.round(repeated * 100)} % | ${label} | ${rs.map((r) => fmt(r.reqPerSec, 0)).join(', ')} | ${fmt(
          mean((r) => r.reqPerSec * INPUTS),
          0,
        )} | ${fmt(
          mean((r) => r.predictionsPerSec),
          0,
        )} | ${fmt(
          mean((r) => r.latencyP99Ms),
          1,
        )} | ${rs.reduce((n, r) => n + errorsOf(r), 0)} | ${gains} |`,
      );
    }
  }
}
