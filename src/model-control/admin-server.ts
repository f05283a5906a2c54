/**
 * The admin endpoint of model control, for operators only: a separate HTTP server bound to
 * 127.0.0.1, never to the public address. It is reached from the host itself (a shell on the
 * machine or the pod, `kubectl port-forward`), so no client of the API can reach it whatever the
 * network in front; a token would be one more secret to ship and rotate. What is left is a browser
 * on that host: a page of another site may send a simple POST to 127.0.0.1 without a preflight, so
 * a POST must carry the header `x-predictql-admin: 1` (a custom header forces a preflight, which
 * this server never answers), and a Host header other than 127.0.0.1/localhost:<port> is refused
 * (DNS rebinding). Paths follow Triton's model repository API:
 *
 * - `GET  /v2/repository/index`: every model, its versions (number, label), default and policy;
 * - `POST /v2/repository/models/<name>/load`: reloads the model from its folder (explicit mode
 *   only; under poll the folder decides): 200 with what was loaded, kept and retired and how long
 *   it took; 422 when the new version is refused (what served keeps serving), 404 for an unknown
 *   model, 409 under poll.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type ModelControl, ReloadError } from './model-control.ts';
import type { ModelControlMode } from './model-control-options.ts';

export const ADMIN_HOST = '127.0.0.1';

export class AdminServer {
  readonly #server: Server;
  readonly #control: ModelControl;
  readonly #mode: ModelControlMode;

  constructor(control: ModelControl, mode: ModelControlMode) {
    this.#control = control;
    this.#mode = mode;
    this.#server = createServer((request, response) => {
      void this.#handle(request, response).catch((error: unknown) => answer(response, 500, { error: String(error) }));
    });
  }

  /** Resolves with the bound port (0 picks a free one). */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port, host: ADMIN_HOST, exclusive: true }, () => {
        const address = this.#server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The body is never read: requests carry nothing but their path.
    request.resume();
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (host !== ADMIN_HOST && host !== 'localhost') return answer(response, 403, { error: `Host ${host} is not this loopback endpoint` });
    if (request.method === 'POST' && request.headers['x-predictql-admin'] !== '1')
      return answer(response, 403, { error: 'a POST needs the header x-predictql-admin: 1' });
    const url = new URL(request.url ?? '/', 'http://admin');
    if (url.pathname === '/v2/repository/index') {
      if (request.method !== 'GET' && request.method !== 'POST') return answer(response, 405, { error: 'GET or POST' });
      return answer(response, 200, { mode: this.#mode, models: this.#control.index() });
    }
    const load = /^\/v2\/repository\/models\/([^/]+)\/load$/.exec(url.pathname);
    if (load) {
      if (request.method !== 'POST') return answer(response, 405, { error: 'POST' });
      if (this.#mode !== 'explicit')
        return answer(response, 409, { error: `model control is ${this.#mode}: the models folder decides what is served` });
      try {
        return answer(response, 200, await this.#control.reload(decodeURIComponent(load[1]!)));
      } catch (error) {
        if (error instanceof ReloadError) return answer(response, error.status, { error: error.message });
        throw error;
      }
    }
    answer(response, 404, { error: `no such admin path: ${url.pathname} (see /v2/repository/index)` });
  }
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}
