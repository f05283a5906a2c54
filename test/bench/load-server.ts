/**
 * The server under load for `npm run bench:load`: the real app on a loopback port, configured by
 * the usual environment variables, reporting over IPC what only the server can see: runs and
 * items (mean batch size), event-loop delay (of this, the main thread) and peak RSS. With
 * PREDICTQL_GRAPHQL_THREADS > 1 it is the threaded server (src/threads/): GraphQL threads serve
 * the port and this thread runs the models; else the app is served on this thread, as with one.
 */

import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { appOptions, createApp, loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { runServer } from '../../src/server.ts';

const config = readConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
const signals = new EventEmitter();
// The report off unless asked for (bench:floor asks for the default): bench:load's figures are
// the batching's, without the report's per-request check.
const inferenceReport = process.env.PREDICTQL_INFERENCE_REPORT === undefined ? 'off' : config.inferenceReport;
const { services, port, close } = config.graphqlThreads > 1 ? await serveThreaded() : await serveHere();

async function serveHere(): Promise<{ services: Services; port: number; close: () => void }> {
  const services = await loadServices(config, () => {});
  const server = createServer(createApp(appOptions(services, { inferenceReport })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const close = () => {
    server.close();
    void services.inference.close().then(() => process.exit(0));
  };
  return { services, port: typeof address === 'object' && address ? address.port : 0, close };
}

async function serveThreaded(): Promise<{ services: Services; port: number; close: () => void }> {
  let loaded: Services | undefined;
  const running = await runServer({
    config: { ...config, inferenceReport },
    load: async (c, warn) => {
      loaded = await loadServices(c, warn);
      return loaded;
    },
    signals,
    exit: (code) => process.exit(code),
    log: { info: () => {}, error: (message, error) => console.error(`load server: ${message}`, error ?? '') },
  });
  await running.ready;
  return { services: loaded!, port: running.port, close: () => signals.emit('SIGTERM') };
}

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
let peakRssBytes = 0;
const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())), 25);
let baseline = snapshotCounters();
// CPU time of the whole process, every thread (GraphQL threads, inference workers) included.
let cpuBaseline = process.cpuUsage();

function snapshotCounters() {
  let runs = 0;
  let items = 0;
  let tokens = 0;
  let paddedTokens = 0;
  for (const name of services.registry.names) {
    const c = services.inference.counters(name);
    runs += c.runs;
    items += c.items;
    tokens += c.tokens;
    paddedTokens += c.paddedTokens;
  }
  return { runs, items, tokens, paddedTokens };
}

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'reset') {
    loopDelay.disable();
    loopDelay.reset();
    loopDelay.enable();
    peakRssBytes = process.memoryUsage.rss();
    baseline = snapshotCounters();
    cpuBaseline = process.cpuUsage();
    process.send!({ cmd: 'reset-done' });
  } else if (message.cmd === 'stats') {
    const now = snapshotCounters();
    process.send!({
      cmd: 'stats',
      runs: now.runs - baseline.runs,
      items: now.items - baseline.items,
      tokens: now.tokens - baseline.tokens,
      paddedTokens: now.paddedTokens - baseline.paddedTokens,
      eventLoopP99Ms: loopDelay.percentile(99) / 1e6,
      eventLoopMaxMs: loopDelay.max / 1e6,
      peakRssMb: Math.max(peakRssBytes, process.memoryUsage.rss()) / 2 ** 20,
      cpuMs: cpuMsSince(cpuBaseline),
      rssMb: process.memoryUsage.rss() / 2 ** 20,
      heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
    });
  } else if (message.cmd === 'gc-stats') {
    // Memory as the server holds it when idle, after a full collection (needs --expose-gc), so
    // that two readings compare what is retained rather than where the collector happened to be.
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    process.send!({ cmd: 'gc-stats', rssMb: memory.rss / 2 ** 20, heapUsedMb: memory.heapUsed / 2 ** 20, collected: 'gc' in globalThis });
  } else if (message.cmd === 'exit') {
    clearInterval(sampler);
    close();
  }
});

const decisions = Object.fromEntries(
  services.registry.list().map((m) => [m.manifest.name, services.inference.decision(m.manifest.name)?.executor]),
);
process.send!({ cmd: 'ready', port, decisions });

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}
