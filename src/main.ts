/**
 * Starts the predictql server with the configuration from the environment and the command line:
 * one server (src/server.ts), with the app on this thread when PREDICTQL_GRAPHQL_THREADS is 1, else
 * with N GraphQL threads and this one running the models. `--help` prints every setting. Refuses
 * to start on bad config, a busy port or bad models, with the reason on stderr and exit code 1.
 */
import { ConfigError, helpText, parseCommandLine, readConfig } from './config.ts';
import { runServer } from './server.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (parseCommandLine(argv).help) {
    process.stdout.write(helpText());
    return;
  }
  const { ready } = await runServer({ config: readConfig(process.env, argv) });
  await ready;
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(`predictql: cannot start: ${message}`);
  process.exit(1);
});
