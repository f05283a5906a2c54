/**
 * `npm run bench:soak`: the real server (load-server.ts, its own process) under 64 connections of
 * mixed queries (one prediction, 10 aliased, a list of 20, a page of 100, both models) driven by
 * autocannon from another process (load-driver.ts). After a warm-up it prints errors (HTTP,
 * socket and GraphQL: must be 0), latency p50/p99, throughput, and RSS at start and end; it exits
 * 1 if there was any error or RSS grew by 10 % or more.
 *
 * Flags: --duration S (default 60), --warmup S (default 10), --connections N (default 64),
 * --json (one JSON line on stdout instead of the report).
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ask, type DriverResult, drive, startLoadServer } from './load-processes.ts';

interface ServerStats {
  runs: number;
  items: number;
  rssMb: number;
  peakRssMb: number;
  heapUsedMb: number;
  eventLoopP99Ms: number;
}
interface IdleMemory {
  rssMb: number;
  heapUsedMb: number;
}
const SEGMENTS = 6;

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const durationS = flag('--duration', 60);
const warmupS = flag('--warmup', 10);
const connections = flag('--connections', 64);
const here = fileURLToPath(new URL('.', import.meta.url));

/** The mixed workload: every request has a known-good shape; any error in an answer is a failure. */
function mixedBodies(): string[] {
  const samples = (
    JSON.parse(readFileSync(join(here, '../../models/latency.examples.json'), 'utf8')) as {
      examples: { features: Record<string, number> }[];
    }
  ).examples;
  const literal = (f: Record<string, number>) =>
    `{ ${Object.entries(f)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')} }`;
  const body = (query: string, variables?: object) => JSON.stringify({ query, variables });
  const bodies: string[] = [];
  for (let r = 0; r < 200; r++) {
    const model = r % 4 === 3 ? 'request-latency-gbdt' : 'request-latency';
    const at = (i: number) => samples[(r * 37 + i) % samples.length]!.features;
    switch (r % 4) {
      case 0:
        bodies.push(
          body(`query One($i: LatencyFeaturesInput!) { predictLatency(input: $i, model: "${model}") { p50Ms p95Ms } }`, { i: at(0) }),
        );
        break;
      case 1:
        bodies.push(
          body(
            `{ ${Array.from({ length: 10 }, (_, i) => `p${i}: predictLatency(model: "${model}", input: ${literal(at(i))}) { p50Ms }`).join(' ')} }`,
          ),
        );
        break;
      case 2:
        bodies.push(
          body('query Many($in: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $in) { p50Ms p95Ms } }', {
            in: Array.from({ length: 20 }, (_, i) => at(i)),
          }),
        );
        break;
      default:
        bodies.push(
          body(`{ sampleRequests(first: 100, offset: ${(r * 100) % 2900}) { id predictedLatency(model: "${model}") { p50Ms } } }`),
        );
    }
  }
  return bodies;
}

function mergeSegments(parts: DriverResult[]): DriverResult {
  const sum = (key: keyof DriverResult) => parts.reduce((n, p) => n + p[key], 0);
  // Percentiles of the whole run are not recoverable from segments: report the worst segment's.
  const worst = (key: 'latencyP50Ms' | 'latencyP99Ms') => Math.max(...parts.map((p) => p[key]));
  return {
    requests: sum('requests'),
    reqPerSec: sum('reqPerSec') / parts.length,
    latencyP50Ms: worst('latencyP50Ms'),
    latencyP99Ms: worst('latencyP99Ms'),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    graphqlErrors: sum('graphqlErrors'),
    durationS: sum('durationS'),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'predictql-soak-'));
const bodiesFile = join(dir, 'mixed.json');
writeFileSync(bodiesFile, JSON.stringify(mixedBodies()));
// One GraphQL thread unless asked otherwise: the memory verdict reads RSS after a full GC, and a GC
// of the main thread does not collect the GraphQL threads' heaps.
const { child, port } = await startLoadServer({ PREDICTQL_GRAPHQL_THREADS: process.env.PREDICTQL_GRAPHQL_THREADS ?? '1' }, ['--expose-gc']);
try {
  // The warm-up's errors count like any other: a server that fails while warming up is not healthy.
  const warmup = warmupS > 0 ? await drive(port, connections, warmupS, bodiesFile) : undefined;
  // Memory is read idle, after a full GC, before and after the measured load; in between, the load
  // runs in segments so that a trend (a leak) shows apart from one-off growth.
  const idleStart = await ask<IdleMemory>(child, 'gc-stats');
  await ask(child, 'reset');
  const segments: { load: DriverResult; stats: ServerStats }[] = [];
  for (let i = 0; i < SEGMENTS; i++) {
    const load = await drive(port, connections, durationS / SEGMENTS, bodiesFile);
    segments.push({ load, stats: await ask<ServerStats>(child, 'stats') });
  }
  const idleEnd = await ask<IdleMemory>(child, 'gc-stats');
  const load = mergeSegments(segments.map((s) => s.load));
  const warmupErrors = warmup ? warmup.non2xx + warmup.errors + warmup.timeouts + warmup.graphqlErrors : 0;
  const end = segments.at(-1)!.stats;
  const errors = load.non2xx + load.errors + load.timeouts + load.graphqlErrors + warmupErrors;
  const growthPct = ((idleEnd.rssMb - idleStart.rssMb) / idleStart.rssMb) * 100;
  const heapGrowthPct = ((idleEnd.heapUsedMb - idleStart.heapUsedMb) / idleStart.heapUsedMb) * 100;
  const report = {
    durationS,
    warmupS,
    connections,
    requests: load.requests,
    reqPerSec: Math.round(load.reqPerSec),
    predictionsPerRun: +(end.items / Math.max(end.runs, 1)).toFixed(1),
    errors,
    errorKinds: { non2xx: load.non2xx, socket: load.errors, timeouts: load.timeouts, graphql: load.graphqlErrors, warmup: warmupErrors },
    latencyP50Ms: +load.latencyP50Ms.toFixed(2),
    latencyP99Ms: +load.latencyP99Ms.toFixed(2),
    eventLoopP99Ms: +end.eventLoopP99Ms.toFixed(2),
    rssStartMb: +idleStart.rssMb.toFixed(1),
    rssEndMb: +idleEnd.rssMb.toFixed(1),
    rssPeakMb: +end.peakRssMb.toFixed(1),
    rssGrowthPct: +growthPct.toFixed(1),
    rssUnderLoadMb: segments.map((s) => +s.stats.rssMb.toFixed(0)),
    heapStartMb: +idleStart.heapUsedMb.toFixed(1),
    heapEndMb: +idleEnd.heapUsedMb.toFixed(1),
    heapGrowthPct: +heapGrowthPct.toFixed(1),
  };
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    console.log(`soak: ${durationS} s at ${connections} connections of mixed queries, after ${warmupS} s of warm-up`);
    console.log(`  requests ${report.requests} (${report.reqPerSec} req/s), mean batch ${report.predictionsPerRun} rows`);
    console.log(
      `  errors ${errors} (non-2xx ${load.non2xx}, socket ${load.errors}, timeouts ${load.timeouts}, GraphQL ${load.graphqlErrors})`,
    );
    console.log(
      `  latency p50 ${report.latencyP50Ms} ms, p99 ${report.latencyP99Ms} ms (worst ${durationS / SEGMENTS}-s segment); event-loop delay p99 ${report.eventLoopP99Ms} ms`,
    );
    const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`;
    console.log(
      `  RSS idle after warm-up ${report.rssStartMb} MB, idle at the end ${report.rssEndMb} MB (${signed(report.rssGrowthPct)} %, goal < 10 %), peak ${report.rssPeakMb} MB`,
    );
    console.log(`  RSS under load every ${durationS / SEGMENTS} s: ${report.rssUnderLoadMb.join(', ')} MB`);
    console.log(`  JS heap after full GC: ${report.heapStartMb} MB -> ${report.heapEndMb} MB (${signed(report.heapGrowthPct)} %)`);
  }
  process.exitCode = errors > 0 || growthPct >= 10 ? 1 : 0;
} finally {
  child.send({ cmd: 'exit' });
  rmSync(dir, { recursive: true, force: true });
}
