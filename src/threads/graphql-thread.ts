/**
 * A GraphQL thread (worker_threads entry): its own HTTP server on the shared port (reusePort), its
 * own yoga app over model views (no sessions), and a RemotePredictor that sends its jobs to the
 * owner thread, which runs the models for every thread. The owner drives its life
 * (graphql-threads.ts): listen, models, serve, drain, close; a scrape of /metrics here asks the
 * owner for the whole server's metrics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { configuredAppOptions, createApp, loadGraphQLParts, type PredictQLApp } from '../app.ts';
import { HttpServer } from '../http-server.ts';
import { ModelRegistry, type ModelView, modelViewOf } from '../inference/index.ts';
import { ServerLifecycle } from '../lifecycle.ts';
import { aggregateMetrics, type MetricsJson } from '../metrics/aggregate-metrics.ts';
import { startTracing } from '../opentelemetry/start-tracing.ts';
import { RemotePredictor } from './remote-predictor.ts';
import type { GraphQLThreadData, OwnerMessage, ThreadMessage } from './thread-messages.ts';

const { index, config, predictions, inFlight } = workerData as GraphQLThreadData;
const owner = parentPort!;
const lifecycle = new ServerLifecycle('starting');
const http = new HttpServer(lifecycle, { thread: String(index), onInFlight: (n) => Atomics.store(inFlight, index - 1, n) });
// This thread's operation spans; the owner makes the batch spans and links them to these.
const tracing = startTracing(config.openTelemetry);
const log = (message: string, error?: unknown) =>
  error === undefined
    ? console.error(`predictql: thread ${index}: ${message}`)
    : console.error(`predictql: thread ${index}: ${message}`, error);

/** This thread's operation and HTTP metrics; a scrape adds every other thread's and the owner's. */
const metrics = new Registry();
let yoga: PredictQLApp | undefined;
/** The models this thread's app serves (live: a reload publishes to it), and its channel to the owner's. */
let registry: ModelRegistry<ModelView> | undefined;
let predictor: RemotePredictor | undefined;
let nextScrape = 1;
const scrapes = new Map<number, (answer: { owner: string; threads: MetricsJson[] }) => void>();
const post = (message: ThreadMessage) => owner.postMessage(message);

owner.on('message', (message: OwnerMessage) => {
  void handle(message).catch((error: unknown) => post({ type: 'failed', message: (error as Error).message ?? String(error) }));
});

async function handle(message: OwnerMessage): Promise<void> {
  switch (message.type) {
    case 'listen':
      post({ type: 'listening', port: await http.listen(message.port, message.host, { reusePort: true }) });
      return;
    case 'models':
      registry = new ModelRegistry<ModelView>(message.models.map(modelViewOf), new Map(message.defaults));
      yoga = await buildApp(registry);
      post({ type: 'built' });
      return;
    case 'publish-models': {
      // The same API as before (the owner checked it), so the schema stays; new operations read the
      // new set, and the owner hears `switched` once the requests that read the old one are done.
      const previous = registry!.publish(message.models.map(modelViewOf), new Map(message.defaults));
      if (!(await previous.released(message.retireWaitMs)))
        log(`requests still held the previous models after ${message.retireWaitMs} ms (the owner retires them anyway)`);
      predictor!.switched(message.generation);
      return;
    }
    case 'serve':
      http.serve(yoga!);
      lifecycle.serve();
      post({ type: 'serving' });
      return;
    case 'drain':
      lifecycle.drain();
      return;
    case 'close':
      // Stops accepting; in-flight requests (and their jobs in the owner) finish first.
      await http.close();
      await tracing?.shutdown();
      post({ type: 'closed' });
      owner.close();
      predictions.close();
      return;
    case 'close-connections':
      http.closeAllConnections();
      return;
    case 'collect-metrics':
      // The scrape waits for every thread: a failure here answers nothing rather than never.
      post({
        type: 'collected-metrics',
        id: message.id,
        metrics: await metrics.getMetricsAsJSON().catch((error: unknown) => {
          log('its metrics could not be collected for a scrape (the scrape goes on without them)', error);
          return [];
        }),
      });
      return;
    case 'metrics':
      scrapes.get(message.id)?.({ owner: message.owner, threads: message.threads as MetricsJson[] });
      scrapes.delete(message.id);
      return;
  }
}

// Private: the app as server.ts builds it, over model views, with the owner running the jobs.
async function buildApp(registry: ModelRegistry<ModelView>): Promise<PredictQLApp> {
  predictor = new RemotePredictor(predictions, index);
  const { tasks, entityBindings, trustedDocuments } = await loadGraphQLParts(config, registry);
  return createApp({
    ...configuredAppOptions(config),
    registry,
    tasks,
    entityBindings,
    trustedDocuments,
    predictor,
    batching: config.batching,
    // Process metrics come from the owner, once: here only this thread's operations and HTTP.
    metrics: config.metrics && { registry: metrics, processMetrics: false, gather: scrapeWholeServer },
    lifecycle,
    logError: log,
  });
}

// Private: a scrape landed here; the owner collects every thread's metrics and its own, this thread adds them up.
function scrapeWholeServer(): Promise<string> {
  const id = nextScrape++;
  const answer = new Promise<{ owner: string; threads: MetricsJson[] }>((resolve) => scrapes.set(id, resolve));
  post({ type: 'scrape', id });
  return answer.then(({ owner, threads }) => aggregateMetrics(owner, threads));
}
