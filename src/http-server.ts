/**
 * The node:http server around the app, for `main.ts`: it listens before the models are loaded
 * (so `/health` answers and `/ready` says 503 during a slow start), serves the app once it is
 * built, and closes gracefully: stop accepting, let in-flight requests finish, close idle
 * keep-alive connections. In a GraphQL thread (src/threads/), each thread's server listens on the
 * same port (`reusePort`: the kernel spreads connections) and names the thread in every response.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { serverStartingBody, UNAVAILABLE_STATUS } from './errors.ts';
import type { ServerLifecycle } from './lifecycle.ts';

/** The response header naming the GraphQL thread that answered (absent with one thread: no GraphQL threads). */
export const THREAD_HEADER = 'x-predictql-thread';

export interface HttpServerOptions {
  /** The GraphQL thread serving here, sent in THREAD_HEADER. */
  thread?: string;
  /** Told each time the number of requests in flight changes (the owner reads it at shutdown). */
  onInFlight?: (requests: number) => void;
}

export class HttpServer {
  readonly server: Server;
  readonly #lifecycle: ServerLifecycle;
  readonly #options: HttpServerOptions;
  #app: RequestListener | undefined;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(lifecycle: ServerLifecycle, options: HttpServerOptions = {}) {
    this.#lifecycle = lifecycle;
    this.#options = options;
    this.server = createServer((req, res) => this.#handle(req, res));
  }

  /** Requests received and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Resolves with the bound port; rejects (EADDRINUSE, EACCES) like any start-up problem.
   * `reusePort`: share the port with the other GraphQL threads' servers (Linux SO_REUSEPORT).
   */
  listen(port: number, host: string, { reusePort = false } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, reusePort }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** From now on, requests go to `app`. */
  serve(app: RequestListener): void {
    this.#app = app;
  }

  /**
   * Stops accepting connections and resolves once every in-flight request has been answered and
   * every connection closed. The caller bounds the wait (see main.ts).
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Node closes idle keep-alive connections on close(); busy ones get `Connection: close` on
    // their response (see #handle) and end with it.
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.server.closeIdleConnections();
    await closed;
  }

  /** Last resort after the shutdown bound: drop every connection, answered or not. */
  closeAllConnections(): void {
    this.server.closeAllConnections();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.#inFlight++;
    this.#options.onInFlight?.(this.#inFlight);
    res.once('close', () => {
      this.#inFlight--;
      this.#options.onInFlight?.(this.#inFlight);
      if (this.#inFlight === 0) this.#notifyIdle();
    });
    if (this.#options.thread !== undefined) res.setHeader(THREAD_HEADER, this.#options.thread);
    if (this.#lifecycle.draining) res.setHeader('connection', 'close');
    if (this.#app) {
      this.#app(req, res);
      return;
    }
    startingResponse(req, res);
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

// Private: before the app exists (models loading) only the health endpoints have an answer.
function startingResponse(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  if (path === '/health') send(200, { status: 'ok' });
  else if (path === '/ready') send(503, { status: 'not ready', reason: 'loading models' });
  else send(UNAVAILABLE_STATUS, serverStartingBody(), { 'retry-after': '1' });
}
