/**
 * A sender thread of `npm run bench:owner` (owner-messages.ts): a GraphQL thread without GraphQL.
 * Its RemotePredictor posts jobs of `rows` encoded rows (packed anew for each job, as a loader
 * packs them), keeping `window` in flight, from 'go'
 * until 'stop'; then it reports how many jobs were answered.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelRegistry, type ModelView, type ModelViewData, modelViewOf } from '../../src/inference/index.ts';
import { RemotePredictor } from '../../src/threads/remote-predictor.ts';

const { port, models, model, rows, window } = workerData as {
  port: import('node:worker_threads').MessagePort;
  models: ModelViewData[];
  model: string;
  rows: number;
  window: number;
};
const registry = new ModelRegistry<ModelView>(models.map(modelViewOf));
const predictor = new RemotePredictor(port, 1);
const view = registry.get(model)!;
const codec = view.codec;
const encoded = Array.from({ length: rows }, (_, i) => {
  const result = codec.encode(codec.sampleValues(i % 97, 97));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.row;
});
let answered = 0;
let running = false;

async function lane(): Promise<void> {
  while (running) {
    // A request of its own per job, as the loaders make them.
    const result = await predictor.predict(view, codec.pack(encoded), { requestId: {} });
    if (result.runs.some((run) => run.failed)) throw new Error('a job failed');
    answered++;
  }
}

let lanes: Promise<void>[] = [];
parentPort!.on('message', async (message: string) => {
  if (message === 'go') {
    running = true;
    lanes = Array.from({ length: window }, lane);
  } else if (message === 'stop') {
    running = false;
    await Promise.all(lanes);
    parentPort!.postMessage(answered);
  }
});
parentPort!.postMessage('ready');
