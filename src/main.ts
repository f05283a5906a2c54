/**
 * Starts the predictql server with the configuration from the environment and the command line:
 * on this thread alone with one GraphQL thread (src/server.ts), else with N GraphQL threads and this
 * one running the models (src/threads/threaded-server.ts). `--help` prints every setting. Refuses
 * to start on bad config, a busy port or bad models, with the reason on stderr and exit code 1.
 */
import { ConfigError, helpText, parseCommandLine, readConfig } from './config.ts';
import { runServer } from './server.ts';
import { runThreadedServer } from './threads/threaded-server.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (parseCommandLine(argv).help) {
    process.stdout.write(helpText());
    return;
  }
  const config = readConfig(process.env, argv);
  const { ready } = config.graphqlThreads === 1 ? await runServer({ config }) : await runThreadedServer({ config });
  await ready;
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  console.error(`predictql: cannot start: ${message}`);
  process.exit(1);
});
