/**
 * What the load benchmarks (bench:load, bench:floor) share: the servers under load, each case on
 * each server interleaved and repeated, the Python reference service, onnxruntime's raw rows/s,
 * and how a row of figures is printed and judged.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { ask, type DriverResult, drive, startLoadServer, stopLoadServer } from './load-processes.ts';

export interface Shape {
  name: string;
  predictions: number;
  bodies: string[];
}
export interface ServerStats {
  runs: number;
  items: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  peakRssMb: number;
  /** CPU time the server process spent during the measurement, all its threads (bench:floor's servers report it). */
  cpuMs?: number;
}
export type Row = DriverResult &
  ServerStats & { mode: string; shape: string; connections: number; predictionsPerSec: number; meanBatch: number };

/** How one benchmark run measures: seconds per measurement, repeats per case, where bodies files go. */
export interface LoadRun {
  durationS: number;
  repeats: number;
  niceDriver: boolean;
  dir: string;
}

const here = fileURLToPath(new URL('.', import.meta.url));

export const samples = (
  JSON.parse(readFileSync(join(here, '../../models/latency.examples.json'), 'utf8')) as { examples: { features: Record<string, number> }[] }
).examples;
export const body = (query: string, variables?: object) => JSON.stringify({ query, variables });
/** `predictLatencies(inputs: $i, model)` with `n` sample inputs per request, named `${label} × ${n}`: 200 distinct bodies. */
export const predictLatenciesShape = (label: string, model: string, n: number): Shape => ({
  name: `${label} × ${n}`,
  predictions: n,
  bodies: Array.from({ length: 200 }, (_, r) =>
    body(`query Many($i: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $i, model: "${model}") { p50Ms p95Ms } }`, {
      i: Array.from({ length: n }, (_, k) => samples[(r * n + k) % samples.length]!.features),
    }),
  ),
});
export const errorsOf = (r: Row) => r.non2xx + r.errors + r.timeouts + r.graphqlErrors;
// A goal is met only by a run without a single error: a fast wrong answer is no answer.
export const goal = (ok: boolean, ...measured: Row[]) => {
  const errors = measured.reduce((n, r) => n + errorsOf(r), 0);
  return errors > 0 ? `FAIL (${errors} errors)` : ok ? 'PASS' : 'MISS';
};
export const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

export interface Server {
  label: string;
  child: ChildProcess;
  port: number;
}

export async function startAll(servers: { label: string; env: Record<string, string>; script?: string }[]): Promise<Server[]> {
  const started: Server[] = [];
  for (const { label, env, script } of servers) {
    const { child, port, decisions } = await startLoadServer(env, [], script);
    console.error(`# ${label}: executors ${JSON.stringify(decisions)}`);
    started.push({ label, child, port });
  }
  return started;
}

export async function stopAll(servers: Server[]): Promise<void> {
  await Promise.all(servers.map(({ child }) => stopLoadServer(child)));
}

async function measure(run: LoadRun, server: Server, shape: Shape, connections: number, bodiesFile: string): Promise<Row> {
  await ask(server.child, 'reset');
  const load = await drive(server.port, connections, run.durationS, bodiesFile, { niceDriver: run.niceDriver });
  const stats = await ask<ServerStats>(server.child, 'stats');
  return {
    ...load,
    ...stats,
    mode: server.label,
    shape: shape.name,
    connections,
    // Predictions the server actually computed (its own item counter), not requests × shape: a
    // refused or failed request computes nothing, and identical rows of one request run once.
    predictionsPerSec: stats.items / load.durationS,
    meanBatch: stats.runs > 0 ? stats.items / stats.runs : 0,
  };
}

/**
 * Every case on every server, `repeats` times, the servers' order rotating from one repeat to the
 * next, so that drift and the other process's noise fall on all modes alike; each (server, case)
 * reports the repeat with the median req/s (the whole row of that repeat, so its figures agree).
 */
export async function runInterleaved(run: LoadRun, servers: Server[], cases: { shape: Shape; connections: number }[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const { shape, connections } of cases) {
    const bodiesFile = join(run.dir, `${shape.name.replace(/\W+/g, '-')}-${shape.bodies.length}.json`);
    writeFileSync(bodiesFile, JSON.stringify(shape.bodies));
    const byServer = new Map<string, Row[]>();
    for (let repeat = 0; repeat < run.repeats; repeat++) {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[(i + repeat) % servers.length]!;
        const row = await measure(run, server, shape, connections, bodiesFile);
        byServer.set(server.label, [...(byServer.get(server.label) ?? []), row]);
      }
    }
    for (const server of servers) {
      const runs = byServer.get(server.label)!;
      const median = medianRepeat(runs);
      rows.push(median);
      console.error(
        `#   ${server.label}, ${shape.name} × ${connections}: ${runs.map((r) => r.reqPerSec.toFixed(0)).join(' / ')} req/s, mean batch ${median.meanBatch.toFixed(1)}`,
      );
    }
  }
  return rows;
}

/** The repeat with the median req/s, its errors replaced by every repeat's: errors are never a median. */
export function medianRepeat<T extends DriverResult>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.reqPerSec - b.reqPerSec);
  const total = (key: 'non2xx' | 'errors' | 'timeouts' | 'graphqlErrors') => runs.reduce((n, r) => n + r[key], 0);
  return {
    ...sorted[Math.floor(sorted.length / 2)]!,
    non2xx: total('non2xx'),
    errors: total('errors'),
    timeouts: total('timeouts'),
    graphqlErrors: total('graphqlErrors'),
  };
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
export function printTable(rows: Row[]): void {
  console.log('| mode | shape | conns | req/s | predictions/s | p50 ms | p99 ms | mean batch | loop p99 ms | peak RSS MB | errors |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const errors = r.non2xx + r.errors + r.timeouts + r.graphqlErrors;
    console.log(
      `| ${r.mode} | ${r.shape} | ${r.connections} | ${fmt(r.reqPerSec, 0)} | ${fmt(r.predictionsPerSec, 0)} | ${fmt(r.latencyP50Ms, 2)} | ${fmt(r.latencyP99Ms, 2)} | ${fmt(r.meanBatch)} | ${fmt(r.eventLoopP99Ms, 2)} | ${fmt(r.peakRssMb, 0)} | ${errors} |`,
    );
  }
}

/** The reference service with 1 and 2 uvicorn workers, each case interleaved like the servers. */
export async function referenceRows(run: LoadRun, listShapes: Shape[]): Promise<Row[]> {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import fastapi, uvicorn, uvloop, httptools, xgboost, pandas'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    console.error('# reference service skipped: its Python packages are missing');
    return [];
  }
  const rows: Row[] = [];
  for (const workers of [1, 2]) {
    const port = 4900 + workers;
    const child = spawn(python, [join(here, 'reference-service.py'), String(port), String(workers)], { stdio: 'ignore' });
    await waitForPort(port);
    for (const shape of listShapes) {
      const bodiesFile = join(run.dir, `reference-${shape.predictions}.json`);
      writeFileSync(
        bodiesFile,
        JSON.stringify(shape.bodies.map((b) => JSON.stringify({ inputs: (JSON.parse(b) as { variables: { i: unknown[] } }).variables.i }))),
      );
      const runs: DriverResult[] = [];
      for (let repeat = 0; repeat < run.repeats; repeat++)
        runs.push(await drive(port, 64, run.durationS, bodiesFile, { niceDriver: run.niceDriver, path: '/predict' }));
      const median = medianRepeat(runs);
      rows.push({
        ...median,
        mode: `FastAPI + XGBoost, ${workers} worker${workers > 1 ? 's' : ''}`,
        shape: shape.name,
        connections: 64,
        // No server-side counter here: answered requests × inputs (errors, if any, fail the goal).
        predictionsPerSec: median.reqPerSec * shape.predictions,
        runs: Number.NaN,
        items: Number.NaN,
        meanBatch: shape.predictions,
        eventLoopP99Ms: Number.NaN,
        eventLoopMaxMs: Number.NaN,
        peakRssMb: Number.NaN,
      });
    }
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return rows;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/docs`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the reference service did not listen on ${port}`);
}

/** onnxruntime's own rows/s for a Latency model (its one [batch, 8] input): 1000-row runs for `seconds` (at least 1) on one thread. */
export async function rawOnnxRowsPerSec(model: string, seconds: number): Promise<number> {
  const session = await InferenceSession.create(join(here, `../../models/${model}/model.onnx`), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const rows = 1000;
  const data = Float32Array.from(
    { length: rows * 8 },
    (_, k) => samples[Math.floor(k / 8) % samples.length]!.features[Object.keys(samples[0]!.features)[k % 8]!]!,
  );
  const feeds = { [session.inputNames[0]!]: new Tensor('float32', data, [rows, 8]) };
  for (let i = 0; i < 20; i++) await session.run(feeds);
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < Math.max(1000, seconds * 1000)) {
    await session.run(feeds);
    runs++;
  }
  const rate = (runs * rows) / ((performance.now() - start) / 1000);
  await session.release();
  return rate;
}
