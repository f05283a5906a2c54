/**
 * The server's life with GraphQL threads (PREDICTQL_GRAPHQL_THREADS > 1), as server.ts is with
 * one: this thread owns the models (registry, batchers, executors) and runs every model run; N
 * GraphQL threads (graphql-threads.ts) serve HTTP on the same port and send it their jobs, so a
 * run merges requests of every thread, and a GPU keeps one session and one context.
 *
 * The threads listen before the models load, so `/health` answers during a slow start and `/ready`
 * stays 503 until every model is warmed and every thread serves. On a signal: every thread turns
 * `/ready` 503, batchers stop waiting for more work, every thread stops accepting and finishes its
 * requests in flight (and so their batches), then the inference service closes, spans are flushed,
 * and the process exits 0, or 1 past PREDICTQL_SHUTDOWN_TIMEOUT_MS. A second signal exits 1 at once.
 */
import { createServer } from 'node:net';
import { trace } from '@opentelemetry/api';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadServices, type Services } from '../app.ts';
import { modelViewData } from '../inference/index.ts';
import { ServerLifecycle } from '../lifecycle.ts';
import { InferenceMetrics } from '../metrics/inference-metrics.ts';
import { installBatchSpans } from '../opentelemetry/batch-spans.ts';
import { startTracing } from '../opentelemetry/start-tracing.ts';
import { consoleLog, logModels, type ServerOptions } from '../server.ts';
import { onStopSignals, shutDown } from '../shutdown.ts';
import { GraphQLThreads } from './graphql-threads.ts';

export interface RunningThreadedServer {
  port: number;
  threads: GraphQLThreads;
  lifecycle: ServerLifecycle;
  /** Resolves once the models are loaded and every thread serves (or the server stopped while loading). */
  ready: Promise<void>;
}

/** Starts the threads on the port, then loads and serves in the background (`ready`); throws if it cannot listen. */
export async function runThreadedServer(options: ServerOptions): Promise<RunningThreadedServer> {
  const { config, load = loadServices, signals = process, exit = (code) => process.exit(code), log = consoleLog } = options;
  const lifecycle = new ServerLifecycle('starting');
  const port = await claimPort(config.port, config.host);
  let services: Services | undefined;
  const threads = new GraphQLThreads({
    count: config.graphqlThreads,
    config,
    log,
    onNoThreads: () => {
      log.error('no GraphQL thread is left to serve the port; exiting 1');
      exit(1);
    },
  });
  await threads.listen(port, config.host);
  log.info(`listening on ${config.host}:${port} with ${config.graphqlThreads} GraphQL threads, loading models`);
  const tracing = startTracing(config.openTelemetry);
  if (tracing) log.info(`OpenTelemetry tracing on (${config.openTelemetry.exporters.join(', ')})`);

  const front = {
    drain: () => threads.drain(),
    close: () => threads.close(), // each thread: stop accepting, answer its requests in flight, flush its spans
    closeAllConnections: () => threads.closeAllConnections(),
    get inFlight() {
      return threads.requestsInFlight;
    },
  };
  const signalled = onStopSignals(signals, {
    exit,
    log,
    drain: () => shutDown({ timeoutMs: config.shutdownTimeoutMs, front, lifecycle, services: () => services, tracing, exit, log }),
  });

  const ready = (async () => {
    const loaded = await load(config, (message) => log.error(`warning: ${message}`));
    if (signalled.stopping) {
      await loaded.inference.close();
      return;
    }
    services = loaded;
    // Batch spans are made here, for operations traced in the threads (their contexts come as data).
    installBatchSpans(loaded.inference, trace.getTracer('predictql'));
    await threads.serve({
      service: loaded.inference,
      models: loaded.registry.list().map(modelViewData),
      metrics: ownerMetrics(config.metrics, loaded),
    });
    lifecycle.serve();
    logModels(log, loaded);
    log.info(`${config.graphqlThreads} GraphQL threads serve; the main thread runs the models for all of them`);
    if (config.metrics) log.info(`metrics at http://localhost:${port}/metrics, health at /health and /ready`);
    log.info(`GraphiQL at http://localhost:${port}/graphql`);
  })();
  return { port, threads, lifecycle, ready };
}

// Private: the owner's share of /metrics: the model runs and the process (once, not per thread).
function ownerMetrics(on: boolean, services: Services): Registry | undefined {
  if (!on) return undefined;
  const registry = new Registry();
  InferenceMetrics.for(services.inference).registerIn(registry);
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Binds the port alone for a moment, then frees it for the threads, which share it (reusePort).
 * That refuses a port already in use by anyone, another predictql with reusePort included (it
 * would otherwise silently share it), and resolves port 0 to one port for all threads.
 */
function claimPort(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => {
      const address = probe.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      probe.close(() => resolve(bound));
    });
  });
}
