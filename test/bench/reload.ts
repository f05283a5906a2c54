/**
 * `npm run bench:reload`: what a reload costs, on the server users run (src/server.ts, default
 * GraphQL threads, explicit model control) over a copy of the shipped models:
 *
 * 1. each shipped model reloaded 5 times (its files touched, so each reload is a new load): the
 *    load + check + warm-up time, the executor's start (the auto executor's probe runs, a worker),
 *    the swap (every GraphQL thread serving the new load) and the retirement of the old load (its
 *    work finished, its session released), medians;
 * 2. 100 reloads in a row of one model, with the process's RSS and heap (after a full GC) along
 *    the way and the CPU time of a request (16 concurrent, 4 000 requests, median of 3; the fetch
 *    client's included, the same before and after) before and after, side by side in one run, as
 *    Triton's users watch them drift after a week of reloads. `--reloads 1` is the control: what
 *    the same measurement moves without reloads.
 *
 * Flags: --reloads N (default 100), --requests N (default 4000).
 */
import { EventEmitter } from 'node:events';
import { cp, mkdtemp, rm, utimes } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelsDir, readConfig } from '../../src/config.ts';
import { runServer } from '../../src/server.ts';
import { numberFlag } from './bench-flags.ts';

const RELOADS = numberFlag('--reloads', 100);
const REQUESTS = numberFlag('--requests', 4000);
const CONCURRENCY = 16;
const MODEL = 'request-latency';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:reload does)');

const dir = await mkdtemp(join(tmpdir(), 'predictql-reload-'));
await cp(defaultModelsDir, dir, { recursive: true, filter: (source) => !source.includes('__pycache__') });
const signals = new EventEmitter();
const server = await runServer({
  config: readConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PREDICTQL_MODELS_DIR: dir,
    PREDICTQL_MODEL_CONTROL: 'explicit',
    PREDICTQL_ADMIN_PORT: '0',
  }),
  signals,
  exit: () => {},
  log: { info: () => {}, error: (message, error) => console.error(`server: ${message}`, error ?? '') },
});
await server.ready;
const admin = `http://127.0.0.1:${server.modelControl!.adminPort}`;
const api = `http://127.0.0.1:${server.port}/graphql`;
const names = server.modelControl!.control.index().map((m) => m.name);

interface Reloaded {
  loaded: { loadMs: number }[];
  startMs: number;
  swapMs: number;
  retireMs: number;
}

// Private: touches the model's files (a new load, as a retrained model copied over them) and reloads it.
async function reload(name: string): Promise<Reloaded> {
  const when = new Date();
  await utimes(join(dir, name, 'model.onnx'), when, when);
  const response = await fetch(`${admin}/v2/repository/models/${name}/load`, { method: 'POST', headers: { 'x-predictql-admin': '1' } });
  const body = (await response.json()) as Reloaded & { error?: string };
  if (response.status !== 200 || body.loaded.length !== 1) throw new Error(`reload of ${name}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

const QUERY = JSON.stringify({
  query: `{ predictLatency(input: { payloadKb: 12, concurrency: 8, cpuUtilization: 0.35, memoryUtilization: 0.5,
    cacheHitRatio: 0.9, dbQueries: 4, downstreamCalls: 1, hourOfDay: 14 }) { p50Ms } }`,
});

// Private: µs of CPU per request (the whole process, every thread: the server's and the fetch
// client's, which is the same before and after), CONCURRENCY at a time; throws on any error. CPU
// rather than wall time: on a shared 2-core machine wall time moved ±50 % between two identical runs.
async function perRequestUs(requests: number): Promise<number> {
  let sent = 0;
  const started = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent++ < requests) {
        const response = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: QUERY });
        const text = await response.text();
        if (response.status !== 200 || text.includes('"errors"')) throw new Error(`request failed: ${response.status} ${text}`);
      }
    }),
  );
  const used = process.cpuUsage(started);
  return (used.user + used.system) / requests;
}

// Private: the median of three measurements.
async function medianPerRequestUs(requests: number): Promise<number> {
  const runs = [await perRequestUs(requests), await perRequestUs(requests), await perRequestUs(requests)];
  return median(runs);
}

function memory(): { rssMb: number; heapMb: number } {
  gc!();
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
}

const totalMs = (r: Reloaded) => r.loaded[0]!.loadMs + r.startMs + r.swapMs + r.retireMs;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

console.log(
  `# predictql bench:reload — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, default GraphQL threads, explicit model control`,
);
console.log('| model | load + check + warm-up ms | executor (probe, worker) ms | swap ms | retire ms | reload total ms |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const name of names) {
  const runs: Reloaded[] = [];
  for (let i = 0; i < 5; i++) runs.push(await reload(name));
  const load = median(runs.map((r) => r.loaded[0]!.loadMs));
  const start = median(runs.map((r) => r.startMs));
  const swap = median(runs.map((r) => r.swapMs));
  const retire = median(runs.map((r) => r.retireMs));
  console.log(`| ${name} | ${fmt(load)} | ${fmt(start)} | ${fmt(swap)} | ${fmt(retire)} | ${fmt(median(runs.map(totalMs)))} |`);
}

// Warm-up: load until RSS settles (the allocators of every thread grow under the first loads), so
// that what the reloads change is not mistaken for what serving itself takes.
await perRequestUs(REQUESTS / 2);
for (let i = 0; i < 3; i++) await perRequestUs(REQUESTS);
const before = { us: await medianPerRequestUs(REQUESTS), ...memory() };
const totals: number[] = [];
// RSS along the way: a leak grows with every reload, a warm-up step does not.
const trend: string[] = [`0: ${fmt(before.rssMb, 0)}`];
for (let i = 0; i < RELOADS; i++) {
  const r = await reload(MODEL);
  totals.push(totalMs(r));
  if ((i + 1) % Math.max(1, Math.round(RELOADS / 4)) === 0) trend.push(`${i + 1}: ${fmt(memory().rssMb, 0)}`);
}
const after = { us: await medianPerRequestUs(REQUESTS), ...memory() };
console.log(
  `\n${RELOADS} reloads of ${MODEL} in a row (each ${fmt(median(totals))} ms median, ${fmt(Math.max(...totals))} ms at most); RSS MB after GC by reloads done: ${trend.join(', ')}\n`,
);
console.log('| | before | after | after / before |');
console.log('|---|---:|---:|---:|');
console.log(
  `| CPU µs per request (${CONCURRENCY} concurrent, median of 3) | ${fmt(before.us)} | ${fmt(after.us)} | ${fmt(after.us / before.us, 2)} |`,
);
console.log(`| RSS MB (after GC) | ${fmt(before.rssMb)} | ${fmt(after.rssMb)} | ${fmt(after.rssMb / before.rssMb, 2)} |`);
console.log(`| heap used MB (after GC) | ${fmt(before.heapMb)} | ${fmt(after.heapMb)} | ${fmt(after.heapMb / before.heapMb, 2)} |`);

signals.emit('SIGTERM');
await new Promise((resolve) => setTimeout(resolve, 500));
await rm(dir, { recursive: true, force: true });
process.exit(0);
