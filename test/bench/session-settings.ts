/**
 * `npm run bench:session`: the measurement behind the session defaults (src/inference/execution/session-options.ts):
 * median time of one `session.run` for each shipped model, batch size, intra-op thread count and
 * graph optimization level, all in one process, cases interleaved round by round.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { defaultModelsDir } from '../../src/config.ts';
import { readManifest } from '../../src/inference/manifest.ts';

const MODELS = ['request-latency', 'request-latency-gbdt'];
const BATCHES = [1, 64, 512, 4096];
const SETTINGS = [
  { threads: 1, optimization: 'all' },
  { threads: 2, optimization: 'all' },
  { threads: 1, optimization: 'basic' },
] as const;
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 30;

interface Case {
  model: string;
  batch: number;
  setting: (typeof SETTINGS)[number];
  session: InferenceSession;
  feeds: Record<string, Tensor>;
  times: number[];
}

const cases: Case[] = [];
for (const model of MODELS) {
  const folder = join(defaultModelsDir, model);
  const manifest = await readManifest(join(folder, 'manifest.json'));
  for (const setting of SETTINGS) {
    const session = await InferenceSession.create(join(folder, 'model.onnx'), {
      intraOpNumThreads: setting.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: setting.optimization,
      executionMode: 'sequential',
    });
    for (const batch of BATCHES) {
      const width = manifest.features.length;
      const data = new Float32Array(batch * width);
      for (let r = 0; r < batch; r++) {
        for (const [c, f] of manifest.features.entries()) {
          const [lo, hi] = [f.min ?? 0, f.max ?? 1];
          data[r * width + c] = lo + ((hi - lo) * ((r * 7 + c * 3) % 101)) / 100;
        }
      }
      // The latency models: one float32 [batch, 8] input.
      const feeds = { [manifest.tensors.inputs![0]!.name]: new Tensor('float32', data, [batch, width]) };
      for (let i = 0; i < 5; i++) await session.run(feeds); // warm-up
      cases.push({ model, batch, setting, session, feeds, times: [] });
    }
  }
}

for (let round = 0; round < ROUNDS; round++) {
  for (const c of [...cases].sort(() => Math.random() - 0.5)) {
    // Several runs per visit for the small batches, so that one timing is not only timer noise.
    const reps = Math.max(1, Math.round(2000 / c.batch));
    const start = performance.now();
    for (let i = 0; i < reps; i++) await c.session.run(c.feeds);
    c.times.push((performance.now() - start) / reps);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `session settings: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, median ms per run over ${ROUNDS} interleaved rounds`,
);
for (const model of MODELS) {
  console.log(`\n${model}`);
  console.log(`| setting | ${BATCHES.map((b) => `batch ${b}`).join(' | ')} |`);
  console.log(`|---|${BATCHES.map(() => '---:').join('|')}|`);
  for (const setting of SETTINGS) {
    const cells = BATCHES.map((batch) => median(cases.find((c) => c.model === model && c.batch === batch && c.setting === setting)!.times));
    console.log(`| ${setting.threads} thread(s), ${setting.optimization} | ${cells.map((ms) => ms.toFixed(3)).join(' | ')} |`);
  }
}
