/**
 * What serves HTTP for the server's life (server.ts): the app on this thread (InProcessFront, one
 * GraphQL thread), or N GraphQL threads on one port (threads/threads-front.ts). The server drives
 * either through the same steps: listen before the models load, serve them, drain, close.
 */
import { appOptions, configuredAppOptions, createApp, type Services } from './app.ts';
import type { Config } from './config.ts';
import { HttpServer } from './http-server.ts';
import type { ServerLifecycle } from './lifecycle.ts';
import type { ServerLog } from './server-log.ts';

export interface ServingFront {
  /** How it serves, for the start-up lines ("" or " with 2 GraphQL threads"). */
  readonly description: string;
  /** Listens (health answers, `/ready` says 503 until `serve`); resolves with the bound port, rejects if it cannot. */
  listen(port: number, host: string): Promise<number>;
  /** Builds the app over the loaded models and takes traffic; resolves once it answers. */
  serve(services: Services): Promise<void>;
  /**
   * A reload published the registry's next set of models: resolves once whatever serves reads it
   * for new requests and no request of it holds the previous set (or after `retireWaitMs`).
   */
  publishModels(services: Services, retireWaitMs: number): Promise<void>;
  /** Tells whatever serves to drain (`/ready` turns 503 there too). */
  drain(): void;
  /** Stops accepting and resolves once every request in flight is answered. */
  close(): Promise<void>;
  /** Last resort after the shutdown bound: drop every connection. */
  closeAllConnections(): void;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
}

/** The app on this thread, behind one node:http server: the models' thread runs GraphQL too. */
export class InProcessFront implements ServingFront {
  readonly description = '';
  readonly http: HttpServer;
  readonly #config: Config;
  readonly #lifecycle: ServerLifecycle;
  readonly #log: ServerLog;

  constructor(config: Config, lifecycle: ServerLifecycle, log: ServerLog) {
    this.#config = config;
    this.#lifecycle = lifecycle;
    this.#log = log;
    this.http = new HttpServer(lifecycle);
  }

  get inFlight(): number {
    return this.http.inFlight;
  }

  listen(port: number, host: string): Promise<number> {
    return this.http.listen(port, host);
  }

  async serve(services: Services): Promise<void> {
    const yoga = createApp(
      appOptions(services, {
        ...configuredAppOptions(this.#config),
        metrics: this.#config.metrics,
        lifecycle: this.#lifecycle,
        logError: (message, error) => this.#log.error(message, error),
      }),
    );
    this.http.serve(yoga);
  }

  publishModels(): Promise<void> {
    // The app reads the owner's live registry itself: model control waits for its old snapshot.
    return Promise.resolve();
  }

  drain(): void {
    // The lifecycle this server reads is the server's own: nothing else to tell.
  }

  close(): Promise<void> {
    return this.http.close();
  }

  closeAllConnections(): void {
    this.http.closeAllConnections();
  }
}
