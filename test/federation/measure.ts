/**
 * `npm run bench:federation`: the 1000-endpoint federated query through Hive Gateway (in process,
 * no network) against the same 1000 predictions asked of predictql directly, in one run of one
 * process. Runs alternate between the two after a warm-up; medians are reported, with the time
 * the predictql subgraph spends on its `_entities` call (measured in the gateway's fetch) and its
 * share of the federated total. ROUNDS (default 15) sets the number of measured rounds.
 */
import { appOptions, createApp, loadServices } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { send } from '../support/graphql.ts';
import { aliasedQuery, aliasedVariables, MLP } from '../support/models.ts';
import { endpointCatalog, featuresOf } from './endpoints-subgraph.ts';
import { entitiesCalls, startFederation } from './federation.ts';

const N = 1000;
const WARMUP_ROUNDS = 5;
const ROUNDS = Number(process.env.ROUNDS ?? 15);

const services = await loadServices(readConfig({}));
const predictql = createApp(appOptions(services));
const federation = await startFederation([predictql]);
const inputs = endpointCatalog()
  .slice(0, N)
  .map((e) => featuresOf(e) as never);

const federatedQuery = `{ endpoints(first: ${N}) { id predictedLatency { p50Ms p95Ms } } }`;
const listQuery = 'query ($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms p95Ms } }';
const aliased = aliasedQuery(N);
const aliasedVars = aliasedVariables(inputs);

interface Sample {
  federatedMs: number;
  entitiesMs: number;
  ownerMs: number;
  listMs: number;
  aliasedMs: number;
  runs: number;
}

async function timed(action: () => Promise<{ errors?: unknown[] }>): Promise<number> {
  const startMs = performance.now();
  const result = await action();
  const ms = performance.now() - startMs;
  if (result.errors) throw new Error(`errors: ${JSON.stringify(result.errors).slice(0, 500)}`);
  return ms;
}

async function round(): Promise<Sample> {
  federation.calls.length = 0;
  const runsBefore = services.inference.counters(MLP).runs;
  const federatedMs = await timed(() => federation.query(federatedQuery));
  const runs = services.inference.counters(MLP).runs - runsBefore;
  const entities = entitiesCalls(federation.calls);
  if (entities.length !== 1 || entities[0]!.representations !== N)
    throw new Error(`expected one _entities call of ${N}, got ${entities.map((c) => c.representations).join(', ')}`);
  const ownerMs = federation.calls.filter((c) => c.subgraph === 'endpoints').reduce((sum, c) => sum + c.durationMs, 0);
  const listMs = await timed(() => send(predictql, listQuery, { inputs }));
  const aliasedMs = await timed(() => send(predictql, aliased, aliasedVars));
  return { federatedMs, entitiesMs: entities[0]!.durationMs, ownerMs, listMs, aliasedMs, runs };
}

for (let i = 0; i < WARMUP_ROUNDS; i++) await round();
const samples: Sample[] = [];
for (let i = 0; i < ROUNDS; i++) samples.push(await round());

const median = (key: keyof Sample): number => {
  const sorted = samples.map((s) => s[key]).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;
const federated = median('federatedMs');
const entities = median('entitiesMs');
const owner = median('ownerMs');

console.log(`predictql federation: ${N} endpoints, median of ${ROUNDS} warm rounds (node ${process.version})`);
console.log(
  `  federated query through Hive Gateway     ${ms(federated)}  (model runs per query: ${[...new Set(samples.map((s) => s.runs))].join(', ')})`,
);
console.log(
  `    predictql _entities call (subgraph)    ${ms(entities)}  = ${((entities / federated) * 100).toFixed(0)}% of the federated query`,
);
console.log(`    endpoints subgraph (owner) call        ${ms(owner)}  = ${((owner / federated) * 100).toFixed(0)}%`);
console.log(
  `    gateway (planning, merging, rest)      ${ms(federated - entities - owner)}  = ${(((federated - entities - owner) / federated) * 100).toFixed(0)}%`,
);
console.log(`  direct predictLatencies(inputs: 1000)    ${ms(median('listMs'))}`);
console.log(`  direct 1000 aliased predictLatency       ${ms(median('aliasedMs'))}`);

await federation.close();
await services.inference.close();
