/**
 * The app as users run it: the real server (src/server.ts) in this process, listening on a free
 * loopback port with the default GraphQL threads (one per core, at least 2 so that the threaded
 * path is the one tested even on one core), every model probed (probe.ts) in the owner, where the
 * models run. Its `yoga` answers `fetch` over real HTTP, so tests written for `yoga.fetch` run
 * unchanged against it (test/support/graphql.ts).
 *
 * `servingModes` is the pair every test of a guarantee runs under: in process (one GraphQL
 * thread: the models' thread runs GraphQL too) and the default GraphQL threads.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll } from 'vitest';
import { loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { runServer } from '../../src/server.ts';
import { loadRealApp } from './app.ts';
import type { Fetcher } from './graphql.ts';
import { instrumentedWorker, Probes } from './probe.ts';
import { until } from './until.ts';

export interface ServedApp {
  services: Services;
  probes: Probes;
  /** Answers `fetch(url, init)` over HTTP at the server's port (the URL's origin is replaced). */
  yoga: Fetcher;
  /** http://127.0.0.1:<port> */
  base: string;
  /** GraphQL threads serving (1: in process). */
  threads: number;
  /** The admin endpoint of model control (PREDICTQL_MODEL_CONTROL poll or explicit): http://127.0.0.1:<port>. */
  admin: string | undefined;
  /** SIGTERM, then waits for the drain's exit code (0). */
  close: () => Promise<number>;
}

/** The server with `env` (PREDICTQL_* variables) in this process; GraphQL threads default to `auto` (≥ 2). */
export async function serveRealApp(env: Record<string, string> = {}): Promise<ServedApp> {
  const probes = new Probes();
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  if (env.PREDICTQL_GRAPHQL_THREADS === undefined && config.graphqlThreads < 2) config.graphqlThreads = 2;
  const signals = new EventEmitter();
  const exits: number[] = [];
  let services: Services | undefined;
  const running = await runServer({
    config,
    load: async (c, warn) => {
      services = await loadServices(c, warn, { wrapModels: probes.wrap, workerFile: instrumentedWorker });
      return services;
    },
    signals,
    wrapReloaded: probes.wrapOne,
    exit: (code) => exits.push(code),
    log: { info: () => {}, error: (message, error) => console.error(`test server: ${message}`, error ?? '') },
  });
  await running.ready;
  const base = `http://127.0.0.1:${running.port}`;
  return {
    services: services!,
    probes,
    base,
    threads: config.graphqlThreads,
    admin: running.modelControl ? `http://127.0.0.1:${running.modelControl.adminPort}` : undefined,
    yoga: {
      fetch: (url: string, init?: RequestInit) => {
        const { pathname, search } = new URL(url);
        return fetch(`${base}${pathname}${search}`, init);
      },
    },
    close: async () => {
      signals.emit('SIGTERM');
      await until(() => exits.length > 0);
      return exits[0]!;
    },
  };
}

export interface ServingMode {
  name: string;
  /** Loads the real app with `env`; `close` releases everything it started. */
  start: (env?: Record<string, string>) => Promise<{ services: Services; probes: Probes; yoga: Fetcher; close: () => Promise<unknown> }>;
}

/** In process (one GraphQL thread, `yoga.fetch`) and the default GraphQL threads (real HTTP). */
export const servingModes: readonly ServingMode[] = [
  {
    name: 'one GraphQL thread (in process)',
    start: async (env = {}) => {
      const app = await loadRealApp(env);
      return { ...app, close: () => app.services.inference.close() };
    },
  },
  { name: 'GraphQL threads (the default)', start: (env = {}) => serveRealApp(env) },
];

export type StartedApp = Awaited<ReturnType<ServingMode['start']>>;

/**
 * Starts `mode`'s app before the suite's tests (beforeAll) and closes it after them; hands it to
 * `started`, which keeps what the tests use. `env` may be computed then (a file written first).
 */
export function serveDuringSuite(
  mode: ServingMode,
  started: (app: StartedApp) => void,
  env: () => Record<string, string> | Promise<Record<string, string>> = () => ({}),
): void {
  let app: StartedApp | undefined;
  beforeAll(async () => {
    app = await mode.start(await env());
    started(app);
  });
  afterAll(() => app?.close());
}
