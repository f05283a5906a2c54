/**
 * predictql benchmark: what batching every prediction field of a request into one onnxruntime run
 * costs and saves, measured in one process through `yoga.fetch` (no port, no network).
 *
 *   npm run bench                 table on stdout
 *   npm run bench -- --json       results as JSON on stdout (the table goes to stderr)
 *   npm run bench -- --seconds 30 measurement budget (default 50 s; warm-up and loading come on top)
 *
 * For N = 1, 10, 100, 1000 it times
 *   raw       the model's own run of N catalog rows packed into one buffer (packing included)
 *   ort       InferenceSession.run of a prebuilt [N, 8] tensor on a separate session (reference only)
 *   list      sampleRequests(first: N) { id features { payloadKb concurrency } }
 *   shape     the list plus `shape: features { cpuUtilization memoryUtilization }`: one more object
 *             with two floats per item, the response shape of predictedLatency with no model and no
 *             loader (informative: a floor for what any prediction field costs in GraphQL)
 *   batched   the same plus predictedLatency { p50Ms p95Ms } on the default app (appOptions(services),
 *             batching as configured: cross-request by default; one run per request when alone)
 *   naive     the same query on the server users write without predictql (naive-server.ts): a
 *             resolver calling session.run for its own row, one run per field. The baseline.
 *   perField  the same query on predictql with batching 'per-field' (its scheduler, one job and
 *             one run per field, no merging): a second baseline, of predictql's own machinery
 *   aliasB    N aliased predictLatency fields with distinct inline inputs, default app
 *   aliasN    the same document on the naive server
 *   aliasF    the same document on the per-field app
 *   listJs, shapeJs, batchedJs, aliasBJs
 *             list, shape, batched and aliasB on an app whose engine is graphql-js (the
 *             interpreter) instead of the default graphql-jit: what compiled execution saves
 * Every case is warmed up first. Measurement runs in rounds; each round visits every case once in a
 * fresh random order (so drift and GC pauses fall on all cases alike) and times `reps` consecutive
 * calls, each one individually, `reps` being chosen so a visit lasts about 1 ms. Median and p90 are
 * over those single-call times. Before timing, the bench checks with the inference services' counters
 * (and the naive server's own) that `batched`/`aliasB` make exactly one run per request and the
 * baselines make N, and aborts (exit 1) if not. Goals that are missed are reported as MISS; they do not fail the process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { appOptions, createApp, loadServices, type PredictQLApp } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import type { Example } from '../../src/examples/example-set.ts';
import { toOrtSessionOptions } from '../../src/inference/execution/session-options.ts';
import { InferenceService } from '../../src/inference/index.ts';
import { naiveServer } from './naive-server.ts';

const MODEL = 'request-latency';
const SIZES = [1, 10, 100, 1000] as const;
const CASES = [
  'raw',
  'ort',
  'list',
  'shape',
  'batched',
  'naive',
  'perField',
  'aliasB',
  'aliasN',
  'aliasF',
  'listJs',
  'shapeJs',
  'batchedJs',
  'aliasBJs',
] as const;
type CaseName = (typeof CASES)[number];

const CASE_LABELS: Record<CaseName, string> = {
  raw: '(a) model run',
  ort: '    ort session.run only',
  list: '(b) list, no prediction',
  shape: "(b') list + same-shape field",
  batched: '(c) list + prediction, batched',
  naive: '(d) list + prediction, naive server',
  perField: "(d') list + prediction, per-field",
  aliasB: '(e) N aliases, batched',
  aliasN: '(e) N aliases, naive server',
  aliasF: "(e') N aliases, per-field",
  listJs: '(b) list, graphql-js',
  shapeJs: "(b') list + same-shape, graphql-js",
  batchedJs: '(c) list + prediction, graphql-js',
  aliasBJs: '(e) N aliases, batched, graphql-js',
};

const GOALS = { overheadMax: 1.25, speedupMin: 5, atN: 1000, pathUsMax: 0.3 } as const;

// ---------------------------------------------------------------------------------------------
// Arguments and output streams

const argv = process.argv.slice(2);
const asJson = argv.includes('--json');
const secondsArg = argv.indexOf('--seconds');
const budgetMs = (secondsArg >= 0 ? Number(argv[secondsArg + 1]) : 50) * 1000;
if (!Number.isFinite(budgetMs) || budgetMs <= 0) fail(`--seconds must be a positive number, but got: ${argv[secondsArg + 1]}`);
// With --json, stdout carries only the JSON document; everything human goes to stderr.
const say = (line = ''): void => void (asJson ? process.stderr : process.stdout).write(`${line}\n`);
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

// A watchdog: a bench that hangs (a promise that never settles) must fail loudly, not sit forever.
let phase = 'loading';
const WATCHDOG_MS = budgetMs + 90_000;
setTimeout(() => fail(`no result after ${Math.round(WATCHDOG_MS / 1000)} s; stuck while ${phase}`), WATCHDOG_MS).unref();

function fail(message: string): never {
  process.stderr.write(`\nBENCH ABORTED: ${message}\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Set-up: the default app, the per-field app, one extra ort session for the raw reference

const config = readConfig({});
const services = await loadServices(config, (message) => progress(`warning: ${message}`));
const { registry } = services;
const examples = services.tasks.find((t) => t.models.includes(MODEL))?.examples?.examples ?? fail(`no examples for ${MODEL}`);
const quietLog = () => {};
const perFieldInference = InferenceService.inThread(registry, { scheduler: { mergeRequests: false } });
const apps: Record<'batched' | 'batchedJs' | 'perField', PredictQLApp> = {
  // The default app, as main.ts builds it (batching as configured, default cross-request).
  batched: createApp(appOptions(services, { inferenceReport: config.inferenceReport, engine: config.engine, logError: quietLog })),
  // The same on graphql-js, the interpreter.
  batchedJs: createApp(appOptions(services, { inferenceReport: config.inferenceReport, engine: 'graphql-js', logError: quietLog })),
  // An in-thread service that does not merge requests: what per-field needs.
  perField: createApp({
    registry,
    tasks: services.tasks,
    batching: 'per-field',
    inference: perFieldInference,
    inferenceReport: config.inferenceReport,
    logError: quietLog,
  }),
};
const model = registry.get(MODEL) ?? fail(`model "${MODEL}" is not loaded`);
const width = model.manifest.features.length;
const ortSession = await InferenceSession.create(join(config.modelsDir, MODEL, 'model.onnx'), toOrtSessionOptions(config.session, ['cpu']));

const naiveSession = await InferenceSession.create(
  join(config.modelsDir, MODEL, 'model.onnx'),
  toOrtSessionOptions(config.session, ['cpu']),
);
const naive = naiveServer(naiveSession, model.manifest, examples as readonly { id: string; features: Record<string, number> }[]);

const maxN = Math.max(...SIZES);
if (examples.length < maxN) fail(`the examples have ${examples.length} rows, the bench needs ${maxN}`);
const samples: readonly Example[] = examples.slice(0, maxN);
if (new Set(samples.map((s) => s.rowFor(model).key)).size !== maxN) {
  fail(`the first ${maxN} catalog rows are not distinct; run counts could not be checked`);
}

const outputs = model.manifest.outputs.map((o) => o.name).join(' ');
const listFields = 'id features { payloadKb concurrency }';
const listQuery = (n: number) => `{ sampleRequests(first: ${n}) { ${listFields} } }`;
const shapeQuery = (n: number) => `{ sampleRequests(first: ${n}) { ${listFields} shape: features { cpuUtilization memoryUtilization } } }`;
const predictedQuery = (n: number) => `{ sampleRequests(first: ${n}) { ${listFields} predictedLatency { ${outputs} } } }`;
const aliasQuery = (n: number) => {
  const fields = samples.slice(0, n).map((s, i) => {
    const input = model.manifest.features.map((f) => `${f.name}: ${formatFloat(s.features[f.name] as number)}`).join(', ');
    return `a${i}: predictLatency(input: { ${input} }) { ${outputs} }`;
  });
  return `{\n${fields.join('\n')}\n}`;
};

function formatFloat(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

async function graphql(app: Pick<PredictQLApp, 'fetch'>, body: string): Promise<string> {
  const response = await app.fetch('http://bench.local/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body,
  });
  // Consuming the body is part of serving the request; parsing it is the client's business.
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

interface Case {
  name: CaseName;
  n: number;
  run: () => Promise<unknown>;
  /** Not timed: checks the answer and the number of runs it took. */
  verify?: () => Promise<void>;
  /** Consecutive timed calls per round, set by calibration. */
  reps: number;
  samples: number[];
}

function makeCases(): Case[] {
  const cases: Case[] = [];
  for (const n of SIZES) {
    const rows = samples.slice(0, n).map((s) => s.rowFor(model).row);
    const tensor = new Tensor('float32', Float32Array.from(rows.flatMap((r) => [...(r[0] as Float32Array)])), [n, width]);
    const feeds = { [model.manifest.tensors.inputs![0]!.name]: tensor };
    const bodies = {
      list: JSON.stringify({ query: listQuery(n) }),
      shape: JSON.stringify({ query: shapeQuery(n) }),
      predicted: JSON.stringify({ query: predictedQuery(n) }),
      alias: JSON.stringify({ query: aliasQuery(n) }),
    };
    const add = (name: CaseName, run: () => Promise<unknown>, verify?: () => Promise<void>) =>
      cases.push({ name, n, run, verify, reps: 1, samples: [] });

    // The model's own run, as the scheduler makes it: pack the rows, run, unpack the outputs.
    const raw = async () => model.codec.unpack(await model.run(model.codec.pack(rows)), n);
    add('raw', raw, async () => {
      const out = await raw();
      if (out.length !== n) fail(`raw N=${n}: ${out.length} output rows`);
    });
    add('ort', () => ortSession.run(feeds));
    add(
      'list',
      () => graphql(apps.batched, bodies.list),
      async () => {
        checkList(`list N=${n}`, await counted(() => graphql(apps.batched, bodies.list), 0), n, false);
      },
    );
    add(
      'shape',
      () => graphql(apps.batched, bodies.shape),
      async () => {
        checkList(`shape N=${n}`, await counted(() => graphql(apps.batched, bodies.shape), 0), n, false);
      },
    );
    add(
      'batched',
      () => graphql(apps.batched, bodies.predicted),
      async () => {
        checkList(`batched N=${n}`, await counted(() => graphql(apps.batched, bodies.predicted), 1, n), n, true);
      },
    );
    add(
      'naive',
      () => graphql(naive.yoga, bodies.predicted),
      async () => {
        const before = naive.counter.runs;
        const result = JSON.parse(await graphql(naive.yoga, bodies.predicted)) as BenchResponse;
        if (naive.counter.runs - before !== n) fail(`naive N=${n}: ${naive.counter.runs - before} runs, expected ${n}`);
        checkList(`naive N=${n}`, result, n, true);
      },
    );
    add(
      'aliasN',
      () => graphql(naive.yoga, bodies.alias),
      async () => {
        const before = naive.counter.runs;
        const result = JSON.parse(await graphql(naive.yoga, bodies.alias)) as BenchResponse;
        if (naive.counter.runs - before !== n) fail(`aliasN N=${n}: ${naive.counter.runs - before} runs, expected ${n}`);
        checkAliases(`aliasN N=${n}`, result, n);
      },
    );
    add(
      'perField',
      () => graphql(apps.perField, bodies.predicted),
      async () => {
        checkList(`perField N=${n}`, await counted(() => graphql(apps.perField, bodies.predicted), n, n, perFieldInference), n, true);
      },
    );
    add(
      'aliasB',
      () => graphql(apps.batched, bodies.alias),
      async () => {
        checkAliases(`aliasB N=${n}`, await counted(() => graphql(apps.batched, bodies.alias), 1, n), n);
      },
    );
    for (const [name, body, predicted] of [
      ['listJs', bodies.list, false],
      ['shapeJs', bodies.shape, false],
      ['batchedJs', bodies.predicted, true],
    ] as const) {
      add(
        name,
        () => graphql(apps.batchedJs, body),
        async () => {
          checkList(
            `${name} N=${n}`,
            await counted(() => graphql(apps.batchedJs, body), predicted ? 1 : 0, predicted ? n : 0),
            n,
            predicted,
          );
        },
      );
    }
    add(
      'aliasBJs',
      () => graphql(apps.batchedJs, bodies.alias),
      async () => {
        checkAliases(`aliasBJs N=${n}`, await counted(() => graphql(apps.batchedJs, bodies.alias), 1, n), n);
      },
    );
    add(
      'aliasF',
      () => graphql(apps.perField, bodies.alias),
      async () => {
        checkAliases(`aliasF N=${n}`, await counted(() => graphql(apps.perField, bodies.alias), n, n, perFieldInference), n);
      },
    );
  }
  return cases;
}

type Outputs = Record<string, number>;
/** The part of a response the checks read. */
interface BenchResponse {
  data?: Record<string, Outputs | null | undefined> & { sampleRequests?: { id: string; predictedLatency?: Outputs }[] };
  errors?: unknown[];
}

/** Runs one request and aborts unless it made exactly `runs` model runs over `items` rows. */
async function counted(request: () => Promise<string>, runs: number, items = 0, inference = services.inference): Promise<BenchResponse> {
  const before = inference.counters(MODEL);
  const text = await request();
  const after = inference.counters(MODEL);
  const madeRuns = after.runs - before.runs;
  const madeItems = after.items - before.items;
  if (madeRuns !== runs || madeItems !== items || after.failedRuns !== before.failedRuns) {
    fail(
      `expected ${runs} run(s) over ${items} row(s), the request made ${madeRuns} run(s) over ${madeItems} row(s) (${after.failedRuns - before.failedRuns} failed)`,
    );
  }
  const result = JSON.parse(text) as BenchResponse;
  if (result.errors) fail(`the response has errors: ${JSON.stringify(result.errors).slice(0, 500)}`);
  return result;
}

function checkList(label: string, result: BenchResponse, n: number, predicted: boolean): void {
  const list = result.data?.sampleRequests;
  if (!Array.isArray(list) || list.length !== n) fail(`${label}: expected ${n} sampleRequests`);
  for (const item of list) {
    if (predicted && typeof item.predictedLatency?.p50Ms !== 'number') fail(`${label}: an item has no predicted p50Ms`);
    if (!predicted && 'predictedLatency' in item) fail(`${label}: unexpected predictedLatency`);
  }
}

function checkAliases(label: string, result: BenchResponse, n: number): void {
  const data = result.data ?? {};
  for (let i = 0; i < n; i++) {
    if (typeof data[`a${i}`]?.p50Ms !== 'number') fail(`${label}: alias a${i} has no predicted p50Ms`);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement

const cases = makeCases();
const started = performance.now();

phase = 'checking run counts';
progress('checking run counts (not timed)...');
for (const c of cases) await c.verify?.();
// The batched and per-field answers must agree: batching changes the cost, not the numbers. Not
// bit for bit: onnxruntime's GEMM sums in a different order for a batch of many rows than for one
// row, which moves float32 results by a few ulps (measured: relative 1.5e-6 at most).
const REL_TOLERANCE = 1e-5;
for (const n of SIZES) {
  const body = JSON.stringify({ query: predictedQuery(n) });
  const a = JSON.parse(await graphql(apps.batched, body)) as BenchResponse;
  for (const [label, other] of [
    ['per-field', apps.perField],
    ['naive', naive.yoga],
  ] as const) {
    const b = JSON.parse(await graphql(other, body)) as BenchResponse;
    a.data!.sampleRequests!.forEach((item, i) => {
      const twin = b.data!.sampleRequests![i]!;
      if (item.id !== twin.id) fail(`N=${n}: batched and ${label} list different items at ${i}`);
      for (const key of model.manifest.outputs.map((o) => o.name)) {
        const [u, v] = [item.predictedLatency![key]!, twin.predictedLatency![key]!];
        if (Math.abs(u - v) > REL_TOLERANCE * Math.max(Math.abs(u), Math.abs(v), 1e-6)) {
          fail(`N=${n}: ${item.id}.${key} is ${u} batched but ${v} ${label}`);
        }
      }
    });
  }
}

phase = 'warming up';
progress('warming up...');
const TARGET_VISIT_MS = 1;
for (const c of cases) {
  // At least 20 calls and 150 ms (bounded to 60 calls) per case, then calibrate reps from the
  // median of the last calls.
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 60 && (times.length < 20 || performance.now() - t0 < 150)) {
    const s = performance.now();
    await c.run();
    times.push(performance.now() - s);
  }
  const typical = quantile(
    times.slice(-10).sort((x, y) => x - y),
    0.5,
  );
  c.reps = Math.min(50, Math.max(1, Math.ceil(TARGET_VISIT_MS / typical)));
}

progress(`measuring for up to ${Math.round(budgetMs / 1000)} s...`);
const random = mulberry32(20240611);
const MIN_ROUNDS = 30;
const MAX_ROUNDS = 2000;
const measureStart = performance.now();
let rounds = 0;
while (rounds < MAX_ROUNDS && (rounds < MIN_ROUNDS || performance.now() - measureStart < budgetMs)) {
  for (const c of shuffle(cases, random)) {
    phase = `measuring ${c.name} N=${c.n} (round ${rounds})`;
    for (let i = 0; i < c.reps; i++) {
      const s = performance.now();
      await c.run();
      c.samples.push(performance.now() - s);
    }
  }
  rounds++;
}
const measureMs = performance.now() - measureStart;

phase = 'checking run counts again';
// Re-check once after timing, so a regression that only shows when warm still aborts.
for (const c of cases) await c.verify?.();

// ---------------------------------------------------------------------------------------------
// Report

interface Stat {
  medianMs: number;
  p90Ms: number;
  samples: number;
}

const stats = new Map<string, Stat>();
for (const c of cases) {
  const sorted = [...c.samples].sort((x, y) => x - y);
  stats.set(`${c.name}@${c.n}`, { medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), samples: sorted.length });
}
const stat = (name: CaseName, n: number): Stat => stats.get(`${name}@${n}`)!;

interface Ratio {
  n: number;
  median: number;
  p90: number;
}
const ratio = (num: (n: number, k: 'medianMs' | 'p90Ms') => number, den: (n: number, k: 'medianMs' | 'p90Ms') => number) =>
  SIZES.map((n): Ratio => ({ n, median: num(n, 'medianMs') / den(n, 'medianMs'), p90: num(n, 'p90Ms') / den(n, 'p90Ms') }));
const overhead = ratio(
  (n, k) => stat('batched', n)[k],
  (n, k) => stat('list', n)[k] + stat('raw', n)[k],
);
const overheadVsShape = ratio(
  (n, k) => stat('batched', n)[k],
  (n, k) => stat('shape', n)[k] + stat('raw', n)[k],
);
const speedup = ratio(
  (n, k) => stat('naive', n)[k],
  (n, k) => stat('batched', n)[k],
);
const aliasSpeedup = ratio(
  (n, k) => stat('aliasN', n)[k],
  (n, k) => stat('aliasB', n)[k],
);
const overheadJs = ratio(
  (n, k) => stat('batchedJs', n)[k],
  (n, k) => stat('listJs', n)[k] + stat('raw', n)[k],
);
const engineRatio = (compiled: CaseName, interpreted: CaseName) =>
  ratio(
    (n, k) => stat(interpreted, n)[k],
    (n, k) => stat(compiled, n)[k],
  );
/** What a prediction field costs beyond a plain field of the same shape, per field, in µs. */
const pathCostUs = (batched: CaseName, shape: CaseName) =>
  SIZES.map((n) => ({ n, median: ((stat(batched, n).medianMs - stat(shape, n).medianMs) * 1000) / n }));
const speedupVsPerField = ratio(
  (n, k) => stat('perField', n)[k],
  (n, k) => stat('batched', n)[k],
);

const overheadAtGoal = overhead.find((r) => r.n === GOALS.atN)!.median;
const speedupAtGoal = speedup.find((r) => r.n === GOALS.atN)!.median;
const goals = {
  overhead: { n: GOALS.atN, goal: `<= ${GOALS.overheadMax}`, measured: overheadAtGoal, pass: overheadAtGoal <= GOALS.overheadMax },
  pathCost: {
    n: GOALS.atN,
    goal: `<= ${GOALS.pathUsMax} us per prediction field: (T(c) - T(b')) / N`,
    measured: pathCostUs('batched', 'shape').find((r) => r.n === GOALS.atN)!.median,
    pass: pathCostUs('batched', 'shape').find((r) => r.n === GOALS.atN)!.median <= GOALS.pathUsMax,
  },
  speedup: {
    n: GOALS.atN,
    goal: `>= ${GOALS.speedupMin}x vs the naive server`,
    measured: speedupAtGoal,
    pass: speedupAtGoal >= GOALS.speedupMin,
  },
};

const ortVersion = (() => {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
})();
const environment = {
  node: process.version,
  onnxruntimeNode: ortVersion,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  platform: `${process.platform}-${process.arch}`,
  intraOpThreads: config.session.intraOpThreads,
  batching: services.batching,
  executor: services.inference.decision(MODEL)?.executor ?? 'unknown',
  engine: config.engine,
};

const ms = (v: number) => (v < 10 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(1)).padStart(8);
const x = (v: number) => `${v.toFixed(2)}x`.padStart(8);

say('predictql bench');
say(
  `node ${environment.node}, onnxruntime-node ${environment.onnxruntimeNode}, ${environment.cpu}, ${environment.cores} cores, ${environment.platform}, intra-op threads ${environment.intraOpThreads}`,
);
say(`default app: engine ${environment.engine}, batching ${environment.batching}, ${MODEL} runs on the ${environment.executor} thread`);
say(
  `model ${MODEL}; ${rounds} interleaved rounds in ${(measureMs / 1000).toFixed(1)} s; total ${((performance.now() - started) / 1000).toFixed(1)} s after loading`,
);
say('times in ms per request (single-call times; median / p90)');
say();
const header = 'case'.padEnd(36) + SIZES.map((n) => `N=${n}`.padStart(20)).join('');
say(header);
say(''.padEnd(36) + SIZES.map(() => `${'median'.padStart(10)}${'p90'.padStart(10)}`).join(''));
for (const name of CASES) {
  let line = CASE_LABELS[name].padEnd(36);
  for (const n of SIZES) {
    const s = stat(name, n);
    line += `${ms(s.medianMs).padStart(10)}${ms(s.p90Ms).padStart(10)}`;
  }
  say(line);
}
say(
  ''.padEnd(36) +
    SIZES.map((n) =>
      `samples ${cases
        .filter((c) => c.n === n)
        .map((c) => c.samples.length)
        .reduce((a, b) => Math.min(a, b))}+`.padStart(20),
    ).join(''),
);
say();
say('ratios (median-based; p90-based in brackets)');
const ratioLine = (label: string, rs: Ratio[]) =>
  say(label.padEnd(36) + rs.map((r) => `${x(r.median)} [${r.p90.toFixed(2)}]`.padStart(20)).join(''));
ratioLine('overhead  T(c) / (T(b) + T(a))', overhead);
ratioLine("  (info) T(c) / (T(b') + T(a))", overheadVsShape);
ratioLine(
  "  (info) T(b') / (T(b) + T(a))",
  ratio(
    (n, k) => stat('shape', n)[k],
    (n, k) => stat('list', n)[k] + stat('raw', n)[k],
  ),
);
ratioLine('  (graphql-js) T(c) / (T(b) + T(a))', overheadJs);
ratioLine('engine    graphql-js / jit, (b) list', engineRatio('list', 'listJs'));
ratioLine('          graphql-js / jit, (c) batched', engineRatio('batched', 'batchedJs'));
ratioLine('          graphql-js / jit, (e) aliases', engineRatio('aliasB', 'aliasBJs'));
const usLine = (label: string, rs: { n: number; median: number }[]) =>
  say(label.padEnd(36) + rs.map((r) => `${r.median.toFixed(2)} us`.padStart(20)).join(''));
usLine("path      (T(c) - T(b')) / N, jit", pathCostUs('batched', 'shape'));
usLine("          (T(c) - T(b')) / N, graphql-js", pathCostUs('batchedJs', 'shapeJs'));
ratioLine('speedup   T(d) / T(c), vs naive', speedup);
ratioLine("  (info) T(d') / T(c), vs per-field", speedupVsPerField);
ratioLine('aliases   T(naive) / T(batched)', aliasSpeedup);
say();
say('goals (from the issue), at N = 1000, median-based:');
say(`  overhead <= ${GOALS.overheadMax}:  ${goals.overhead.measured.toFixed(2)}   ${goals.overhead.pass ? 'PASS' : 'MISS'}`);
say(`  path     <= ${GOALS.pathUsMax} us/field:  ${goals.pathCost.measured.toFixed(2)}   ${goals.pathCost.pass ? 'PASS' : 'MISS'}`);
say(`  speedup  >= ${GOALS.speedupMin}x vs naive:   ${goals.speedup.measured.toFixed(2)}x  ${goals.speedup.pass ? 'PASS' : 'MISS'}`);

if (asJson) {
  const results = cases.map((c) => ({ case: c.name, label: CASE_LABELS[c.name].trim(), n: c.n, ...stat(c.name, c.n) }));
  process.stdout.write(
    `${JSON.stringify(
      {
        environment,
        model: MODEL,
        rounds,
        measureSeconds: measureMs / 1000,
        unit: 'ms',
        results,
        ratios: { overhead, overheadJs, overheadVsShape, speedup, aliasSpeedup },
        goals,
      },
      null,
      2,
    )}\n`,
  );
}

phase = 'closing';
await ortSession.release();
// The inference service may run a model on a worker thread; it keeps the process alive until closed.
await services.inference.close();

// ---------------------------------------------------------------------------------------------
// Helpers

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
