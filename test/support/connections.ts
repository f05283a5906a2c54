/**
 * HTTP connections a test can pin to a GraphQL thread: the kernel hands each new connection to one
 * of the threads listening on the port (SO_REUSEPORT), and every request on a keep-alive
 * connection then reaches that thread. The response header x-predictql-thread names it.
 */
import { Agent, request } from 'node:http';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One socket, kept alive: its requests all go to the thread that accepted it. */
export class PinnedConnection {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly #base: URL;

  constructor(base: string) {
    this.#base = new URL(base);
  }

  send(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.#base), { method: init.method ?? 'GET', agent: this.#agent, headers: init.headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(init.body);
    });
  }

  /** A GraphQL POST; `trace` asks for the inference report. */
  graphql(query: string, variables?: unknown, { trace = false } = {}): Promise<Answer> {
    return this.send('/graphql', {
      method: 'POST',
      body: JSON.stringify({ query, variables }),
      headers: { 'content-type': 'application/json', ...(trace ? { 'x-predictql-trace': '1' } : {}) },
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * One connection to each of `threads` GraphQL threads: new connections are opened (and asked
 * GET /health) until every thread has answered one; at most `attempts` (the kernel's choice is a
 * hash of the client port: 64 connections all missing one of two threads has odds 2^-63).
 */
export async function connectionPerThread(base: string, threads: number, attempts = 64): Promise<Map<string, PinnedConnection>> {
  const found = new Map<string, PinnedConnection>();
  for (let i = 0; i < attempts && found.size < threads; i++) {
    const connection = new PinnedConnection(base);
    const thread = (await connection.send('/health')).headers['x-predictql-thread'];
    if (typeof thread === 'string' && !found.has(thread)) found.set(thread, connection);
    else connection.close();
  }
  if (found.size < threads) throw new Error(`${attempts} connections reached only threads ${[...found.keys()].join(', ')}`);
  return found;
}
