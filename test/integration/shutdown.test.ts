/**
 * The real server process: health during start-up, and graceful shutdown. On SIGTERM it stops
 * accepting connections, answers the requests already in flight (their rows are still queued in
 * the batcher when the signal comes), and exits 0; past PREDICTQL_SHUTDOWN_TIMEOUT_MS it exits 1.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRealApp, type RealApp } from '../support/app.ts';
import { metricValue, parseMetrics } from '../support/metrics.ts';
import { MLP, sameUpToBatching, sampleInputs, soloPredictions } from '../support/models.ts';
import { exitWithin, freePort, type Server, startServerProcess, waitForOutput } from '../support/processes.ts';

const PREDICT_MANY = 'query PredictMany($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms p95Ms } }';

function predict(url: string, inputs: unknown[]): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: PREDICT_MANY, variables: { inputs } }),
  });
}

/** Polls /metrics until `rows` rows wait in the MLP's queue: the requests are then surely in flight. */
async function waitForQueuedRows(base: string, rows: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    if (metricValue(parseMetrics(text), 'predictql_queue_rows', { model: MLP }) >= rows) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${rows} rows queued after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the error code of a fresh TCP connection attempt (undefined if it connected). */
function connectionError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
}

async function start(env: Record<string, string>): Promise<{ server: Server; base: string; port: number }> {
  const port = await freePort();
  const server = startServerProcess({ PORT: String(port), HOST: '127.0.0.1', ...env });
  return { server, base: `http://127.0.0.1:${port}`, port };
}

// The values a process must answer, from an in-process app over the same models.
let reference: RealApp;
beforeAll(async () => {
  reference = await loadRealApp();
});
afterAll(() => reference.services.inference.close());

describe('the server process', () => {
  it('answers /health at once and /ready with 503 until its models are warmed', async () => {
    const { server, base } = await start({});
    try {
      const seen: string[] = [];
      while (!seen.includes('200 ready')) {
        const [health, ready] = await Promise.all([fetch(`${base}/health`), fetch(`${base}/ready`)]).catch(() => [undefined, undefined]);
        if (health && ready) {
          expect(health.status).toBe(200);
          const body = (await ready.json()) as { status: string; reason?: string };
          const entry = `${ready.status} ${body.status}${body.reason ? ` (${body.reason})` : ''}`;
          if (seen.at(-1) !== entry) seen.push(entry);
        }
        if (server.child.exitCode !== null) throw new Error(`exited: ${JSON.stringify(server.output())}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Loading the models (two sessions, warm-up, executor probes) takes far longer than one poll.
      expect(seen).toEqual(['503 not ready (loading models)', '200 ready']);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
  });

  it('on SIGTERM refuses new connections, finishes the requests in flight with their own values, and exits 0', async () => {
    // The longest queue delay (10 s): the queued requests wait for it or for the drain, which runs them at once.
    const { server, base, port } = await start({ PREDICTQL_MAX_QUEUE_DELAY_MS: '10000' });
    await waitForOutput(server, 'GraphiQL at');
    const batches = [0, 1, 2].map((k) => sampleInputs(20, 1000 + 20 * k));
    const inFlight = batches.map((inputs) => predict(`${base}/graphql`, inputs));
    await waitForQueuedRows(base, 60);
    server.child.kill('SIGTERM');
    await waitForOutput(server, 'SIGTERM, closing');
    expect(await connectionError(port)).toBe('ECONNREFUSED');

    const responses = await Promise.all(inFlight);
    for (const [k, response] of responses.entries()) {
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: { predictLatencies: { p50Ms: number; p95Ms: number }[] }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      const solo = await soloPredictions(reference.yoga, batches[k]!);
      expect(body.data.predictLatencies).toHaveLength(20);
      for (const [i, p] of body.data.predictLatencies.entries()) expect(sameUpToBatching(p.p50Ms, solo[i]!.p50Ms)).toBe(true);
    }
    const exited = await exitWithin(server, 30_000);
    expect(exited.code).toBe(0);
    expect(exited.stdout).toContain('predictql: closed');
    expect(exited.stderr).toBe('');
  });

  it('exits 1 with a message when an in-flight request outlasts PREDICTQL_SHUTDOWN_TIMEOUT_MS', async () => {
    const { server, port } = await start({ PREDICTQL_SHUTDOWN_TIMEOUT_MS: '300' });
    await waitForOutput(server, 'GraphiQL at');
    // A slow client: its request has begun (headers sent) but its body never finishes arriving.
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    // With Expect: 100-continue, the server answers "100 Continue" once it has taken the request in.
    const continued = new Promise<void>((resolve) => socket.on('data', (chunk) => chunk.toString().includes('100 Continue') && resolve()));
    socket.write(
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n',
    );
    await continued;
    socket.write('{"query":');
    server.child.kill('SIGTERM');
    const exited = await exitWithin(server, 30_000);
    expect(exited.code).toBe(1);
    expect(exited.stderr).toContain(
      'shutdown still waiting after PREDICTQL_SHUTDOWN_TIMEOUT_MS 300 ms (1 request(s) in flight); exiting 1',
    );
    await closed; // its connection was dropped
  });
});
