/**
 * Starts the predictql server: read config (environment and flags), listen, load models, serve;
 * drain and exit on SIGTERM/SIGINT. Refuses to start on bad config, a busy port or bad models.
 *
 * It listens before the models load, so `/health` answers during a slow start and `/ready` stays
 * 503 until every model is warmed. On a signal: `/ready` turns 503, the port stops accepting,
 * in-flight requests (and so their batches) finish, the schedulers drain, spans are flushed, and
 * the process exits 0, or 1 if that took longer than PREDICTQL_SHUTDOWN_TIMEOUT_MS.
 */
import { appOptions, createApp, loadServices, type Services } from './app.ts';
import { ConfigError, helpText, parseCommandLine, readConfig } from './config.ts';
import { HttpServer } from './http-server.ts';
import { ServerLifecycle } from './lifecycle.ts';
import { startTracing } from './opentelemetry/start-tracing.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (parseCommandLine(argv).help) {
    process.stdout.write(helpText());
    return;
  }
  const config = readConfig(process.env, argv);
  const lifecycle = new ServerLifecycle('starting');
  const http = new HttpServer(lifecycle);
  const port = await http.listen(config.port, config.host);
  console.log(`predictql: listening on ${config.host}:${port}, loading models`);
  const tracing = startTracing(config.openTelemetry);
  if (tracing) console.log(`predictql: OpenTelemetry tracing on (${config.openTelemetry.exporters.join(', ')})`);

  let services: Services | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`predictql: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`predictql: ${signal}, closing`);
    lifecycle.drain();
    const timer = setTimeout(() => {
      console.error(
        `predictql: shutdown still waiting after PREDICTQL_SHUTDOWN_TIMEOUT_MS ${config.shutdownTimeoutMs} ` +
          `ms (${http.inFlight} request(s) in flight); exiting 1`,
      );
      http.closeAllConnections();
      process.exit(1);
    }, config.shutdownTimeoutMs);
    void (async () => {
      await http.close(); // stop accepting, let in-flight requests (and their batches) finish
      await services?.inference.close(); // queued and running batches, then the workers
      await tracing?.shutdown(); // flush spans
      clearTimeout(timer);
      console.log('predictql: closed');
      process.exit(0);
    })().catch((error: unknown) => {
      console.error('predictql: shutdown failed:', error);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  services = await loadServices(config, (message) => console.warn(`predictql: warning: ${message}`));
  if (stopping) return; // a signal came while loading: the drain above exits
  const yoga = createApp(
    appOptions(services, {
      inferenceReport: config.inferenceReport,
      metrics: config.metrics,
      limits: config.limits,
      introspection: config.introspection,
      lifecycle,
      logError: (message, error) => console.error(message, error),
    }),
  );
  http.serve(yoga);
  lifecycle.serve();
  const models = services.registry.list().map((m) => `${m.manifest.name}@${m.manifest.version} (${m.executionProvider})`);
  console.log(`predictql: models ${models.join(', ')}`);
  for (const [name, d] of services.inference.decisions) console.log(`predictql: ${name} runs on ${d.executor} (${d.reason})`);
  if (config.metrics) console.log(`predictql: metrics at http://localhost:${port}/metrics, health at /health and /ready`);
  console.log(`predictql: GraphiQL at http://localhost:${port}${yoga.graphqlEndpoint}`);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(`predictql: cannot start: ${message}`);
  process.exit(1);
});
