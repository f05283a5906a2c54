/**
 * `npm run bench:plugins`: what each of the app's plugins costs a request, in one process through
 * `yoga.fetch` (no HTTP, so the figure is GraphQL and plugin work alone). The default app is
 * timed beside the same app without one plugin (appPluginNames, src/app.ts), for `{ __typename }`
 * and for one MLP prediction (the loaders are needed there and are never left out of it). Each
 * variant serves `REQUESTS` requests with 64 in flight; the rounds visit the variants in a fresh
 * random order, and the median µs per request over the rounds is shown with the difference from
 * the default app. A plugin's cost is that difference: what leaving it out saves (negative
 * differences are noise; the spread across rounds is printed beside it).
 *
 * Flags: --rounds N (default 15), --requests N (per variant and round, default 2000).
 */
import { cpus } from 'node:os';
import { type AppPluginName, appOptions, appPluginNames, createApp, loadServices, type PredictQLApp } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { numberFlag } from './bench-flags.ts';

const ROUNDS = numberFlag('--rounds', 15);
const REQUESTS = numberFlag('--requests', 2000);
const IN_FLIGHT = 64;

const config = readConfig({});
const services = await loadServices(config, () => {});
const example = services.tasks.find((t) => t.models.includes('request-latency'))!.examples!.examples[0]!;
const literal = Object.entries(example.features)
  .map(([k, v]) => `${k}: ${v}`)
  .join(', ');
const QUERIES = {
  '{ __typename }': JSON.stringify({ query: '{ __typename }' }),
  'one prediction': JSON.stringify({ query: `{ predictLatency(input: { ${literal} }) { p50Ms p95Ms } }` }),
} as const;
type QueryName = keyof typeof QUERIES;

const app = (omit: AppPluginName[]) =>
  createApp(appOptions(services, { inferenceReport: config.inferenceReport, engine: config.engine, omitPlugins: omit }));
const variants: { name: string; query: QueryName; app: PredictQLApp }[] = [];
for (const query of Object.keys(QUERIES) as QueryName[]) {
  variants.push({ name: 'default app', query, app: app([]) });
  for (const plugin of appPluginNames) {
    if (query === 'one prediction' && plugin === 'predictionLoaders') continue;
    variants.push({ name: `without ${plugin}`, query, app: app([plugin]) });
  }
}

async function ask(target: PredictQLApp, body: string): Promise<void> {
  const response = await target.fetch('http://bench.local/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
}

/** µs per request for `requests` requests with IN_FLIGHT in flight. */
async function measure(target: PredictQLApp, body: string, requests: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < requests) await ask(target, body);
    }),
  );
  return ((performance.now() - start) * 1000) / requests;
}

for (const v of variants) await measure(v.app, QUERIES[v.query], 500); // warm-up (and a check that each answers)
const times = new Map(variants.map((v) => [v, [] as number[]]));
for (let round = 0; round < ROUNDS; round++) {
  const order = [...variants].sort(() => Math.random() - 0.5);
  for (const v of order) times.get(v)!.push(await measure(v.app, QUERIES[v.query], REQUESTS));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quartiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return [s[Math.floor(s.length / 4)]!, s[Math.floor((3 * s.length) / 4)]!] as const;
};
console.log(
  `# predictql bench:plugins — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${ROUNDS} rounds × ${REQUESTS} requests, ${IN_FLIGHT} in flight, through yoga.fetch`,
);
for (const query of Object.keys(QUERIES) as QueryName[]) {
  const rows = variants.filter((v) => v.query === query);
  const base = median(times.get(rows[0]!)!);
  console.log(`\n## ${query}\n\n| variant | µs per request (median) | interquartile | saves vs default, µs |\n|---|---:|---|---:|`);
  for (const v of rows) {
    const t = times.get(v)!;
    const [q1, q3] = quartiles(t);
    console.log(
      `| ${v.name} | ${median(t).toFixed(1)} | ${q1.toFixed(1)}–${q3.toFixed(1)} | ${v === rows[0] ? '' : (base - median(t)).toFixed(1)} |`,
    );
  }
}
await services.inference.close();
