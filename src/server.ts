/**
 * The server's life, as `main.ts` runs it, written once for both ways of serving HTTP (the
 * front: the app on this thread, or N GraphQL threads on one port with this thread running the
 * models for all of them): listen, load the models, serve; drain and exit on SIGTERM/SIGINT. Its
 * process-level parts (signals, exit, console, the loader) are parameters, so tests drive the
 * same code in-process: a signal while the models load, a second signal, a shutdown with a model
 * run in flight.
 *
 * It listens before the models load, so `/health` answers during a slow start and `/ready` stays
 * 503 until every model is warmed and the front serves. On a signal: `/ready` turns 503, batchers
 * stop waiting for more work, the front stops accepting, in-flight requests (and so their
 * batches) finish, the workers stop, spans are flushed, and it exits 0, or 1 if that took longer
 * than PREDICTQL_SHUTDOWN_TIMEOUT_MS. A second signal exits 1 at once.
 */
import { loadServices, type Services } from './app.ts';
import type { Config } from './config.ts';
import type { ModelRunner } from './inference/index.ts';
import { ServerLifecycle } from './lifecycle.ts';
import { type RunningModelControl, startModelControl } from './model-control/index.ts';
import { startTracing } from './opentelemetry/start-tracing.ts';
import { consoleLog, type ServerLog } from './server-log.ts';
import { InProcessFront, type ServingFront } from './serving-front.ts';
import { onStopSignals, shutDown } from './shutdown.ts';
import { ThreadsFront } from './threads/threads-front.ts';

export { consoleLog, type ServerLog } from './server-log.ts';

export interface ServerOptions {
  config: Config;
  /** Loads the models and builds the services. Default: loadServices. */
  load?: (config: Config, warn: (message: string) => void) => Promise<Services>;
  /** Where SIGTERM and SIGINT come from. Default: the process. */
  signals?: Pick<NodeJS.EventEmitter, 'on'>;
  /** Ends the process. Default: process.exit. */
  exit?: (code: number) => void;
  log?: ServerLog;
  /** Tests: wraps each model version model control loads while serving (as `load` wraps those of the start). */
  wrapReloaded?: (model: ModelRunner) => ModelRunner;
}

export interface RunningServer {
  port: number;
  /** What serves HTTP: an InProcessFront (one GraphQL thread) or a ThreadsFront. */
  front: ServingFront;
  lifecycle: ServerLifecycle;
  /** Resolves once the models are loaded and the front serves (or the server stopped while loading). */
  ready: Promise<void>;
  /** Model control, once serving, when PREDICTQL_MODEL_CONTROL is poll or explicit. */
  readonly modelControl: RunningModelControl | undefined;
}

/** Listens, then loads and serves in the background (`ready`); throws if it cannot listen. */
export async function runServer(options: ServerOptions): Promise<RunningServer> {
  const { config, load = loadServices, signals = process, exit = (code) => process.exit(code), log = consoleLog } = options;
  const lifecycle = new ServerLifecycle('starting');
  const front: ServingFront =
    config.graphqlThreads === 1
      ? new InProcessFront(config, lifecycle, log)
      : new ThreadsFront(config, log, () => {
          log.error('no GraphQL thread is left to serve the port; exiting 1');
          exit(1);
        });
  const port = await front.listen(config.port, config.host);
  log.info(`listening on ${config.host}:${port}${front.description}, loading models`);
  const tracing = startTracing(config.openTelemetry);
  if (tracing) log.info(`OpenTelemetry tracing on (${config.openTelemetry.exporters.join(', ')})`);

  let services: Services | undefined;
  let control: RunningModelControl | undefined;
  const signalled = onStopSignals(signals, {
    exit,
    log,
    drain: () =>
      shutDown({
        timeoutMs: config.shutdownTimeoutMs,
        front,
        drain: () => lifecycle.drain(),
        // Model control stops first (no reload starts while draining), then the models close.
        models: () => {
          const inference = services?.inference;
          if (!inference) return undefined;
          return {
            flush: () => inference.flush(),
            close: async () => {
              await control?.close();
              await inference.close();
            },
          };
        },
        tracing,
        exit,
        log,
      }),
  });

  const ready = (async () => {
    const loaded = await load(config, (message) => log.error(`warning: ${message}`));
    if (signalled.stopping) {
      // A signal came while loading: the drain is under way and serves nothing; release the models.
      await loaded.inference.close();
      return;
    }
    services = loaded;
    await front.serve(loaded);
    lifecycle.serve();
    logModels(log, loaded);
    control = await startModelControl(config.modelControl, loaded, front, {
      modelsDir: config.modelsDir,
      loadOptions: { settings: config.session, textPadding: config.textPadding },
      log,
      ...(options.wrapReloaded ? { wrap: options.wrapReloaded } : {}),
    });
    // A signal while model control started: the drain began without it; stop it now.
    if (signalled.stopping) await control?.close();
    if (front instanceof ThreadsFront) log.info(`${front.count} GraphQL threads serve; the main thread runs the models for all of them`);
    if (config.metrics) log.info(`metrics at http://localhost:${port}/metrics, health at /health and /ready`);
    log.info(`GraphiQL at http://localhost:${port}/graphql`);
  })();
  return {
    port,
    front,
    lifecycle,
    ready,
    get modelControl() {
      return control;
    },
  };
}

/** The start-up lines about the loaded models: name, version, provider, and where each runs. */
export function logModels(log: ServerLog, loaded: Services): void {
  const models = loaded.registry.all().map((m) => `${describeVersion(loaded, m)} (${m.executionProvider})`);
  log.info(`models ${models.join(', ')}`);
  for (const m of loaded.registry.all()) {
    const d = loaded.inference.decision(m.manifest.name, m.version);
    if (d) log.info(`${loaded.registry.labelOf(m)} runs on ${d.executor} (${d.reason})`);
  }
  for (const batcher of loaded.inference.batchers())
    if (batcher.model.rowLimit)
      log.info(
        `${loaded.registry.labelOf({ manifest: batcher.model, version: batcher.model.version })} runs at most ${batcher.model.rowLimit.rows} row(s) at a time (${batcher.model.rowLimit.reason})`,
      );
  for (const model of loaded.registry.all())
    for (const change of model.changes ?? [])
      log.info(`${loaded.registry.labelOf(model)}: served as rewritten at load (model.onnx unchanged): ${change}`);
}

// Private: "name@label" (the manifest's version); a model in version folders adds its number, and
// whether fields without `version:` get it.
function describeVersion(loaded: Services, m: ModelRunner): string {
  if (loaded.registry.labelOf(m) === m.manifest.name) return `${m.manifest.name}@${m.manifest.version}`;
  const isDefault = loaded.registry.get(m.manifest.name) === m;
  return `${m.manifest.name}@${m.manifest.version} [version ${m.version}${isDefault ? ', default' : ''}]`;
}
