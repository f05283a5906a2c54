/**
 * The server's life, as `main.ts` runs it: listen, load the models, serve; drain and exit on
 * SIGTERM/SIGINT. Its process-level parts (signals, exit, console, the loader) are parameters, so
 * tests drive the same code in-process: a signal while the models load, a second signal, a
 * shutdown with a model run in flight.
 *
 * It listens before the models load, so `/health` answers during a slow start and `/ready` stays
 * 503 until every model is warmed. On a signal: `/ready` turns 503, batchers stop waiting for more
 * work, the port stops accepting, in-flight requests (and so their batches) finish, the workers
 * stop, spans are flushed, and it exits 0, or 1 if that took longer than
 * PREDICTQL_SHUTDOWN_TIMEOUT_MS. A second signal exits 1 at once.
 */
import { appOptions, configuredAppOptions, createApp, loadServices, type Services } from './app.ts';
import type { Config } from './config.ts';
import { HttpServer } from './http-server.ts';
import { ServerLifecycle } from './lifecycle.ts';
import { startTracing } from './opentelemetry/start-tracing.ts';
import { onStopSignals, shutDown } from './shutdown.ts';

export interface ServerLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface ServerOptions {
  config: Config;
  /** Loads the models and builds the services. Default: loadServices. */
  load?: (config: Config, warn: (message: string) => void) => Promise<Services>;
  /** Where SIGTERM and SIGINT come from. Default: the process. */
  signals?: Pick<NodeJS.EventEmitter, 'on'>;
  /** Ends the process. Default: process.exit. */
  exit?: (code: number) => void;
  log?: ServerLog;
}

export interface RunningServer {
  port: number;
  http: HttpServer;
  lifecycle: ServerLifecycle;
  /** Resolves once the models are loaded and the app serves (or the server stopped while loading). */
  ready: Promise<void>;
}

export const consoleLog: ServerLog = {
  info: (message) => console.log(`predictql: ${message}`),
  error: (message, error) => (error === undefined ? console.error(`predictql: ${message}`) : console.error(`predictql: ${message}`, error)),
};

/** Listens, then loads and serves in the background (`ready`); throws if it cannot listen. */
export async function runServer(options: ServerOptions): Promise<RunningServer> {
  const { config, load = loadServices, signals = process, exit = (code) => process.exit(code), log = consoleLog } = options;
  const lifecycle = new ServerLifecycle('starting');
  const http = new HttpServer(lifecycle);
  const port = await http.listen(config.port, config.host);
  log.info(`listening on ${config.host}:${port}, loading models`);
  const tracing = startTracing(config.openTelemetry);
  if (tracing) log.info(`OpenTelemetry tracing on (${config.openTelemetry.exporters.join(', ')})`);

  let services: Services | undefined;
  const signalled = onStopSignals(signals, {
    exit,
    log,
    drain: () => shutDown({ timeoutMs: config.shutdownTimeoutMs, front: http, lifecycle, services: () => services, tracing, exit, log }),
  });

  const ready = (async () => {
    const loaded = await load(config, (message) => log.error(`warning: ${message}`));
    if (signalled.stopping) {
      // A signal came while loading: the drain is under way and serves nothing; release the models.
      await loaded.inference.close();
      return;
    }
    services = loaded;
    const yoga = createApp(
      appOptions(loaded, {
        ...configuredAppOptions(config),
        metrics: config.metrics,
        lifecycle,
        logError: (message, error) => log.error(message, error),
      }),
    );
    http.serve(yoga);
    lifecycle.serve();
    logModels(log, loaded);
    if (config.metrics) log.info(`metrics at http://localhost:${port}/metrics, health at /health and /ready`);
    log.info(`GraphiQL at http://localhost:${port}${yoga.graphqlEndpoint}`);
  })();
  return { port, http, lifecycle, ready };
}

/** The start-up lines about the loaded models: name, version, provider, and where each runs. */
export function logModels(log: ServerLog, loaded: Services): void {
  const models = loaded.registry.list().map((m) => `${m.manifest.name}@${m.manifest.version} (${m.executionProvider})`);
  log.info(`models ${models.join(', ')}`);
  for (const [name, d] of loaded.inference.decisions) log.info(`${name} runs on ${d.executor} (${d.reason})`);
}
