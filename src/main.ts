/** Starts the predictql server: read config, load models, listen. Refuses to start on bad config or models. */
import { createServer } from 'node:http';
import { appOptions, createApp, loadServices } from './app.ts';
import { ConfigError, readConfig } from './config.ts';

async function main(): Promise<void> {
  const config = readConfig();
  const services = await loadServices(config);
  const yoga = createApp(
    appOptions(services, { trace: config.trace, logError: (message, error) => console.error(message, error) }),
  );
  const server = createServer(yoga);
  // A busy port must end in the same one-line refusal as any other start-up problem.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const models = services.registry.list().map((m) => `${m.manifest.name}@${m.manifest.version} (${m.executionProvider})`);
  console.log(`predictql: models ${models.join(', ')}`);
  for (const [name, d] of services.inference.decisions) console.log(`predictql: ${name} runs on ${d.executor} (${d.reason})`);
  console.log(`predictql: GraphiQL at http://localhost:${port}${yoga.graphqlEndpoint}`);
  const stop = (signal: string) => {
    console.log(`predictql: ${signal}, closing`);
    server.close(() => void services.inference.close().then(() => process.exit(0)));
    // In-flight requests get a bounded time to finish.
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(`predictql: cannot start: ${message}`);
  process.exit(1);
});
