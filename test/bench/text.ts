/**
 * `npm run bench:text`: what padding each run to its longest row (with a token budget) is worth for
 * a text model, against the two ways others serve text: every row padded to the model's maximum
 * (TorchServe's handler, a fixed max_length), and one run per field. The real server (load-server.ts)
 * on the shipped review-sentiment model, loaded with autocannon (load-driver.ts, 64 connections)
 * with reviews of mixed lengths (8 to 128 tokens), 1 and 10 texts per request, every case in one
 * run of this script, side by side; then onnxruntime alone on batches as the default server ran
 * them (its mean rows per run, each padded to its longest), in this process.
 *
 *   npm run bench:text                         20 s per case
 *   npm run bench:text -- --seconds 5 --connections 64
 */
import { writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { defaultModelsDir } from '../../src/config.ts';
import { ask, type DriverResult, drive, startLoadServer, stopLoadServer } from './load-processes.ts';
import { reviewTexts } from './review-texts.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => Number(args[args.indexOf(name) + 1]) || fallback;
const seconds = flag('--seconds', 20);
const connections = flag('--connections', 64);
const MODEL = 'review-sentiment';
const TASK = 'ReviewSentiment';

interface ServerStats {
  runs: number;
  items: number;
  tokens: number;
  paddedTokens: number;
  eventLoopP99Ms: number;
}

const folder = join(defaultModelsDir, MODEL);
// Reviews of 8 to 128 tokens, as many of each length band as the reference has.
const { texts, tokenizer } = await reviewTexts(8, 128);
if (texts.length < 8) throw new Error(`only ${texts.length} reference texts of 8 to 128 tokens`);
const tokensOf = (text: string) => tokenizer.encode(text).ids.length;

// Only the text model: the others would only slow the servers' start.
const modelsDir = await mkdtemp(join(tmpdir(), 'predictql-bench-text-'));
await cp(folder, join(modelsDir, MODEL), { recursive: true });

/** Request bodies of `perRequest` distinct texts each, cycling through the texts in a fixed shuffled order. */
function bodies(perRequest: number): string {
  const order = texts.map((_, i) => (i * 7919) % texts.length);
  const list = Array.from({ length: 512 }, (_, k) => {
    const picked = Array.from({ length: perRequest }, (_, j) => texts[order[(k * perRequest + j) % order.length]!]!);
    const query =
      perRequest === 1
        ? `query ($t: String!) { predict${TASK}(input: { text: $t }) { sentiment } }`
        : `query ($i: [${TASK}Input!]!) { predict${TASK}s(inputs: $i) { sentiment } }`;
    const variables = perRequest === 1 ? { t: picked[0] } : { i: picked.map((text) => ({ text })) };
    return JSON.stringify({ query, variables });
  });
  const file = join(modelsDir, `bodies-${perRequest}.json`);
  writeFileSync(file, JSON.stringify(list));
  return file;
}

const modes: { name: string; env: Record<string, string> }[] = [
  { name: 'padded to each run’s longest, token budget (default)', env: {} },
  { name: 'padded to the maximum (fixed length)', env: { PREDICTQL_TEXT_PADDING: 'max' } },
  { name: 'one run per field', env: { PREDICTQL_BATCHING: 'per-field' } },
];

interface Row {
  mode: string;
  perRequest: number;
  driver: DriverResult;
  stats: ServerStats;
}
const rows: Row[] = [];
for (const perRequest of [1, 10]) {
  const file = bodies(perRequest);
  for (const mode of modes) {
    const server = await startLoadServer({ PREDICTQL_MODELS_DIR: modelsDir, PREDICTQL_INFERENCE_REPORT: 'off', ...mode.env });
    await drive(server.port, connections, 2, file); // warm-up
    await ask(server.child, 'reset');
    const driver = await drive(server.port, connections, seconds, file, { niceDriver: true });
    const stats = await ask<ServerStats>(server.child, 'stats');
    await stopLoadServer(server.child);
    if (driver.errors + driver.non2xx + driver.graphqlErrors > 0)
      throw new Error(`${mode.name}: errors under load: ${JSON.stringify(driver)}`);
    rows.push({ mode: `${mode.name} [${server.decisions[MODEL]}]`, perRequest, driver, stats });
  }
}

// onnxruntime alone, on batches shaped as the default server's: its mean rows per run, padded to each batch's longest.
const session = await InferenceSession.create(join(folder, 'model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
async function ortAlone(rowsPerRun: number): Promise<{ tokensPerSec: number }> {
  const deadline = performance.now() + seconds * 1000;
  let real = 0;
  let k = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    const batch = Array.from({ length: rowsPerRun }, () => tokenizer.encode(texts[k++ % texts.length]!).ids);
    const longest = Math.max(...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(rowsPerRun * longest).fill(BigInt(tokenizer.padId));
    const mask = new BigInt64Array(rowsPerRun * longest);
    batch.forEach((row, r) => {
      row.forEach((id, p) => {
        ids[r * longest + p] = BigInt(id);
        mask[r * longest + p] = 1n;
      });
      real += row.length;
    });
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', ids, [rowsPerRun, longest]),
      attention_mask: new Tensor('int64', mask, [rowsPerRun, longest]),
    };
    await session.run(Object.fromEntries(session.inputNames.map((name) => [name, feeds[name]!])));
  }
  return { tokensPerSec: real / ((performance.now() - started) / 1000) };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(`# predictql bench:text — ${MODEL}, Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'})`);
console.log(
  `# ${texts.length} reviews of 8–128 tokens (mean ${fmt(texts.reduce((a, t) => a + tokensOf(t), 0) / texts.length, 1)}), ${connections} connections, ${seconds} s per case`,
);
console.log(
  '| texts per request | serving | req/s | tokens/s | p99 ms | runs | rows per run | padding efficiency | vs padded to max | event loop p99 ms |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const perRequest of [1, 10]) {
  const group = rows.filter((r) => r.perRequest === perRequest);
  const maxRow = group.find((r) => r.mode.startsWith('padded to the maximum'))!;
  const tokensPerSec = (r: Row) => r.stats.tokens / r.driver.durationS;
  for (const r of group) {
    console.log(
      `| ${perRequest} | ${r.mode} | ${fmt(r.driver.reqPerSec)} | ${fmt(tokensPerSec(r))} | ${fmt(r.driver.latencyP99Ms, 1)} | ${fmt(r.stats.runs)} | ${fmt(r.stats.items / Math.max(r.stats.runs, 1), 1)} | ${fmt(r.stats.tokens / Math.max(r.stats.paddedTokens, 1), 2)} | ${fmt(tokensPerSec(r) / tokensPerSec(maxRow), 2)}x | ${fmt(r.stats.eventLoopP99Ms, 1)} |`,
    );
  }
  const best = group[0]!;
  const alone = await ortAlone(Math.max(1, Math.round(best.stats.items / Math.max(best.stats.runs, 1))));
  console.log(
    `| ${perRequest} | onnxruntime alone, batches of ${fmt(best.stats.items / Math.max(best.stats.runs, 1), 0)} padded to their longest | | ${fmt(alone.tokensPerSec)} | | | | | | |`,
  );
  console.log(
    `\nratio ${perRequest} text(s)/request: default vs padded to max ${fmt(tokensPerSec(best) / tokensPerSec(maxRow), 2)}x (goal ≥ 3x); default vs onnxruntime alone ${fmt((tokensPerSec(best) / alone.tokensPerSec) * 100, 0)} % (goal ≥ 60 %)\n`,
  );
}
await session.release();
await rm(modelsDir, { recursive: true, force: true });
