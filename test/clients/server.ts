/**
 * The real app (real models, probed: test/support/app.ts) on a loopback port for client libraries,
 * with a log of what reached it: method, URL and headers of every request, for checking what a
 * client actually sent.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppOptions, PredictQLApp, Services } from '../../src/app.ts';
import { loadRealApp } from '../support/app.ts';
import type { Probes } from '../support/probe.ts';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface ClientServer {
  url: string;
  services: Services;
  probes: Probes;
  /** Requests received since the last `take()`, oldest first. */
  take: () => Received[];
  stop: () => Promise<void>;
}

export interface Listening {
  url: string;
  /** Requests received since the last `take()`, oldest first. */
  take: () => Received[];
  close: () => Promise<void>;
}

/** Serves `app` (another app over the same services, e.g. in another mode) on a loopback port, logging requests. */
export async function listen(app: PredictQLApp): Promise<Listening> {
  let received: Received[] = [];
  const server = createServer((request, response) => {
    received.push({ method: request.method!, url: request.url!, headers: request.headers });
    return app(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    take: () => {
      const taken = received;
      received = [];
      return taken;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export async function startClientServer(env: Record<string, string> = {}, app: Partial<AppOptions> = {}): Promise<ClientServer> {
  const { services, probes, yoga } = await loadRealApp(env, app);
  const { url, take, close } = await listen(yoga);
  return {
    url,
    services,
    probes,
    take,
    stop: async () => {
      await close();
      await services.inference.close();
    },
  };
}
