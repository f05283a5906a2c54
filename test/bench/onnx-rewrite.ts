/**
 * `node_modules/.bin/node test/bench/onnx-rewrite.ts`: what reading and rewriting an ONNX file
 * costs the thread that loads it (src/inference/onnx-file/), for a ~1 MB and a ~10 MB
 * TreeEnsembleClassifier + ZipMap built as onnxmltools builds them, beside what onnxruntime-node's
 * InferenceSession.create of the rewritten bytes costs on the same thread. Each size runs in a
 * fresh process, so its first rewrite pays protobufjs's one-off code generation, as a server's
 * first model load does.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from 'onnxruntime-node';
import { readOnnxGraph, rewriteForServing } from '../../src/inference/onnx-file/index.ts';
import { treeClassifier } from '../support/onnx-graphs.ts';

const SIZES = { '1 MB': { trees: 12, depth: 10 }, '10 MB': { trees: 250, depth: 9 } } as const;
const ROUNDS = 15;

const size = process.argv[2] as keyof typeof SIZES | undefined;
if (size === undefined) {
  for (const name of Object.keys(SIZES)) {
    process.stdout.write(execFileSync(process.execPath, [fileURLToPath(import.meta.url), name], { encoding: 'utf8' }));
  }
} else {
  const bytes = treeClassifier({ ...SIZES[size], labels: [0, 1] });
  const first = timed(() => rewriteForServing(bytes));
  const rewrites = Array.from({ length: ROUNDS }, () => timed(() => rewriteForServing(bytes)));
  const reads = Array.from({ length: ROUNDS }, () => timed(() => readOnnxGraph(bytes)));
  const served = rewriteForServing(bytes).bytes;
  const start = performance.now();
  const session = await InferenceSession.create(served);
  const createMs = performance.now() - start;
  await session.release();
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  console.log(
    `${(bytes.byteLength / 1e6).toFixed(1)} MB: first rewrite ${ms(first)}; rewrite median ${ms(median(rewrites))} ` +
      `(max ${ms(Math.max(...rewrites))}); read median ${ms(median(reads))}; InferenceSession.create ${ms(createMs)}`,
  );
}

function timed(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}
