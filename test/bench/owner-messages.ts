/**
 * `npm run bench:owner`: what one job costs the owner thread's event loop when GraphQL threads send
 * it (src/threads/): the message in, rows back out of the packed job, the batcher's bookkeeping,
 * packing the batch, the answer's copy and the message out, with the model run itself subtracted.
 * Sender threads (no GraphQL, no HTTP) post jobs of K rows of the MLP as fast as the owner answers,
 * a window of jobs in flight each; the owner's busy time is its event-loop utilization. The model's
 * share is timed apart, on the idle owner: the median of direct runs of a batch of the mean size
 * seen, times the runs (the batcher's computeMs would include onnxruntime's setImmediate wait).
 *
 * Flags: --senders N (default 2), --seconds S (per case, default 3).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { MessageChannel, Worker } from 'node:worker_threads';
import { defaultModelsDir } from '../../src/config.ts';
import { InferenceService, ModelRegistry, modelViewData } from '../../src/inference/index.ts';
import { servePredictions } from '../../src/threads/prediction-bridge.ts';

const args = process.argv.slice(2);
const senders = Number(args[args.indexOf('--senders') + 1]) || 2;
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 3;
const MODEL = 'request-latency';

const registry = await ModelRegistry.load(defaultModelsDir);
const service = await InferenceService.create(registry, { defaultExecutor: 'main' });
const models = registry.list().map(modelViewData);

console.log(
  `# predictql bench:owner — Node ${process.version}, ${availableParallelism()} cores, ${senders} sender threads, ${seconds} s per case, model ${MODEL} on the owner's thread`,
);
console.log('| rows per job | jobs/s | rows/s | mean batch | owner busy % | model % | owner µs per job (model excluded) | per row µs |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const rows of [1, 10, 100]) {
  const workers = Array.from({ length: senders }, () => {
    const { port1, port2 } = new MessageChannel();
    servePredictions(port1, service);
    const worker = new Worker(new URL('./owner-messages-sender.ts', import.meta.url), {
      workerData: { port: port2, models, model: MODEL, rows, window: 16 },
      transferList: [port2],
    });
    return { worker, port1 };
  });
  await Promise.all(workers.map(({ worker }) => new Promise((resolve) => worker.once('message', resolve))));
  const before = service.counters(MODEL);
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  for (const { worker } of workers) worker.postMessage('go');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const jobs = (
    await Promise.all(
      workers.map(
        ({ worker }) =>
          new Promise<number>((resolve) => {
            worker.once('message', resolve);
            worker.postMessage('stop');
          }),
      ),
    )
  ).reduce((a, b) => a + b, 0);
  const used = performance.eventLoopUtilization(elu);
  const elapsedMs = performance.now() - started;
  const after = service.counters(MODEL);
  const busyMs = used.utilization * elapsedMs;
  const runs = after.runs - before.runs;
  const meanBatch = (after.items - before.items) / runs;
  const modelMs = runs * (await medianRunMs(Math.round(meanBatch)));
  const perJobUs = ((busyMs - modelMs) / jobs) * 1000;
  console.log(
    `| ${rows} | ${Math.round(jobs / (elapsedMs / 1000))} | ${Math.round((jobs * rows) / (elapsedMs / 1000))} | ${meanBatch.toFixed(1)} | ${(used.utilization * 100).toFixed(0)} | ${((modelMs / elapsedMs) * 100).toFixed(0)} | ${perJobUs.toFixed(1)} | ${(perJobUs / rows).toFixed(2)} |`,
  );
  for (const { worker, port1 } of workers) {
    port1.close();
    await worker.terminate();
  }
}
await service.close();

// Private: the model alone, on the idle owner, as a run of one whole packed job goes (on the job's
// own arrays), the outputs checked; a batch of `rows`, median of 201.
async function medianRunMs(rows: number): Promise<number> {
  const model = registry.get(MODEL)!;
  const encoded = Array.from({ length: rows }, (_, i) => {
    const result = model.codec.encode(model.codec.sampleValues(i % 97, 97));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result.row;
  });
  const job = model.codec.pack(encoded);
  const times: number[] = [];
  for (let i = 0; i < 201; i++) {
    const start = performance.now();
    model.codec.outputs(await model.run(model.codec.concat([{ rows: job, start: 0, count: rows }])), rows);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[100]!;
}
