/**
 * The server with GraphQL threads (PREDICTQL_GRAPHQL_THREADS=2) as a real process: both threads
 * answer on one port; requests of different threads merge into one run of the owner (forced by a
 * full batch, no timer race); a scrape on either thread reports every thread's operations and the
 * owner's runs; a drain with requests in flight on both threads answers them all; operation spans
 * of both threads link to the one batch span. With one thread, no GraphQL thread exists.
 */
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRealApp, type RealApp } from '../support/app.ts';
import { connectionPerThread, type PinnedConnection } from '../support/connections.ts';
import { metricValue, parseMetrics, type Sample } from '../support/metrics.ts';
import { MLP, sameUpToBatching, sampleInputs, soloPredictions } from '../support/models.ts';
import { exitWithin, freePort, type Server, startServerProcess, waitForOutput } from '../support/processes.ts';
import { until } from '../support/until.ts';

const MANY = 'query Many($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms p95Ms } }';
type ManyBody = {
  data: { predictLatencies: { p50Ms: number; p95Ms: number }[] };
  errors?: unknown;
  extensions?: {
    inference: { batches: { runId: number; size: number; items: number; requests: number; queuedAtMs: number; startedAtMs: number }[] };
  };
};

async function start(env: Record<string, string>): Promise<{ server: Server; base: string; port: number }> {
  const port = await freePort();
  const server = startServerProcess({ PORT: String(port), HOST: '127.0.0.1', ...env });
  await waitForOutput(server, 'GraphiQL at', 30_000);
  return { server, base: `http://127.0.0.1:${port}`, port };
}

let reference: RealApp;
beforeAll(async () => {
  reference = await loadRealApp();
});
afterAll(() => reference.services.inference.close());

/** The predictions must be each input's own, as a request of its own would get them. */
async function expectOwnValues(body: ManyBody, inputs: ReturnType<typeof sampleInputs>): Promise<void> {
  expect(body.errors).toBeUndefined();
  const solo = await soloPredictions(reference.yoga, inputs);
  expect(body.data.predictLatencies).toHaveLength(inputs.length);
  for (const [i, p] of body.data.predictLatencies.entries()) expect(sameUpToBatching(p.p50Ms, solo[i]!.p50Ms)).toBe(true);
}

describe('two GraphQL threads, one owner of the models', () => {
  let server: Server;
  let base: string;
  let pinned: Map<string, PinnedConnection>;
  beforeAll(async () => {
    // A batch of 8 rows runs the moment it is full; until then the model waits (up to 10 s) for more.
    ({ server, base } = await start({
      PREDICTQL_GRAPHQL_THREADS: '2',
      PREDICTQL_MAX_QUEUE_DELAY_MS: '10000',
      PREDICTQL_MAX_BATCH_SIZE: '8',
    }));
    pinned = await connectionPerThread(base, 2);
  });
  afterAll(async () => {
    for (const connection of pinned?.values() ?? []) connection.close();
    expect((await server.stop()).code).toBe(0);
  });

  it('serves on one port from both threads, each naming itself; many connections reach both', async () => {
    expect([...pinned.keys()].sort()).toEqual(['1', '2']);
    expect(server.output().stdout).toContain('2 GraphQL threads serve; the main thread runs the models for all of them');
    const seen = new Map<string, number>();
    // 16 connections at once, 4 requests each: all on one thread would have odds 2^-15.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        const { PinnedConnection } = await import('../support/connections.ts');
        const connection = new PinnedConnection(base);
        for (let i = 0; i < 4; i++) {
          const answer = await connection.send('/ready');
          expect(answer.status).toBe(200);
          const thread = String(answer.headers['x-predictql-thread']);
          seen.set(thread, (seen.get(thread) ?? 0) + 1);
        }
        connection.close();
      }),
    );
    expect([...seen.keys()].sort()).toEqual(['1', '2']);
    expect([...seen.values()].reduce((a, b) => a + b)).toBe(64);
  });

  it('merges requests of different threads into one run of the owner; each report says requests: 2', async () => {
    const before = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    const inputs = [sampleInputs(3, 40), sampleInputs(5, 60)];
    const [one, two] = [pinned.get('1')!, pinned.get('2')!];
    // 3 rows wait for more; 5 more rows from the other thread fill the batch of 8, which runs at once.
    const answers = await Promise.all([
      one.graphql(MANY, { inputs: inputs[0] }, { trace: true }),
      two.graphql(MANY, { inputs: inputs[1] }, { trace: true }),
    ]);
    expect(answers.map((a) => a.headers['x-predictql-thread'])).toEqual(['1', '2']);
    const bodies = answers.map((a) => JSON.parse(a.body) as ManyBody);
    const batches = bodies.map((b) => b.extensions!.inference.batches);
    expect(batches.map((b) => b.length)).toEqual([1, 1]);
    expect(batches[0]![0]).toMatchObject({ size: 8, items: 3, requests: 2 });
    expect(batches[1]![0]).toMatchObject({ size: 8, items: 5, requests: 2, runId: batches[0]![0]!.runId });
    // Each report is on its own request's time axis: the run starts after that request queued its rows.
    for (const [b] of batches) expect(b!.startedAtMs).toBeGreaterThanOrEqual(b!.queuedAtMs);
    await expectOwnValues(bodies[0]!, inputs[0]!);
    await expectOwnValues(bodies[1]!, inputs[1]!);
    const after = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    const delta = (name: string) => metricValue(after, name, { model: MLP }) - metricValue(before, name, { model: MLP });
    expect(delta('predictql_inference_runs_total')).toBe(1);
    expect(delta('predictql_inference_items_total')).toBe(8);
  });

  it('a scrape on either thread reports every thread’s operations and the owner’s runs', async () => {
    const operations = (samples: Sample[]) =>
      samples
        .filter((s) => s.name === 'predictql_graphql_operations_total' && s.labels.operationName === 'Many')
        .reduce((n, s) => n + s.value, 0);
    const scrape = async (thread: string) => parseMetrics((await pinned.get(thread)!.send('/metrics')).body);
    const [before1, before2] = [await scrape('1'), await scrape('2')];
    expect(operations(before1)).toBe(operations(before2));
    // 3 requests on thread 1 and 2 on thread 2; each fills a batch of 8 alone: one run each.
    for (const [thread, count] of [
      ['1', 3],
      ['2', 2],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const answer = await pinned.get(thread)!.graphql(MANY, { inputs: sampleInputs(8, 100 + 8 * i) });
        expect(answer.headers['x-predictql-thread']).toBe(thread);
        expect(JSON.parse(answer.body).errors).toBeUndefined();
      }
    }
    for (const thread of ['1', '2']) {
      const after = await scrape(thread);
      expect(operations(after) - operations(before1)).toBe(5);
      expect(
        metricValue(after, 'predictql_inference_runs_total', { model: MLP }) -
          metricValue(before1, 'predictql_inference_runs_total', { model: MLP }),
      ).toBe(5);
      expect(
        metricValue(after, 'predictql_inference_items_total', { model: MLP }) -
          metricValue(before1, 'predictql_inference_items_total', { model: MLP }),
      ).toBe(40);
      // Process metrics come once, from the owner: not summed over threads.
      expect(after.filter((s) => s.name === 'process_start_time_seconds')).toHaveLength(1);
    }
  });
});

describe('two GraphQL threads: draining and tracing', () => {
  it('on SIGTERM answers the requests in flight on both threads with their own values, stops accepting, and exits 0', async () => {
    const { server, base, port } = await start({ PREDICTQL_GRAPHQL_THREADS: '2', PREDICTQL_MAX_QUEUE_DELAY_MS: '10000' });
    const pinned = await connectionPerThread(base, 2);
    const inputs = [sampleInputs(20, 1000), sampleInputs(20, 1020)];
    const inFlight = ['1', '2'].map((thread, k) => pinned.get(thread)!.graphql(MANY, { inputs: inputs[k] }));
    // Both jobs are queued in the owner (40 rows): both threads hold a request in flight.
    await until(
      async () => metricValue(parseMetrics(await (await fetch(`${base}/metrics`)).text()), 'predictql_queue_rows', { model: MLP }) >= 40,
      20,
    );
    server.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => [a.status, a.headers['x-predictql-thread']])).toEqual([
      [200, '1'],
      [200, '2'],
    ]);
    for (const [k, answer] of answers.entries()) await expectOwnValues(JSON.parse(answer.body) as ManyBody, inputs[k]!);
    const exited = await exitWithin(server, 30_000);
    expect(exited.code).toBe(0);
    expect(exited.stdout).toContain('predictql: closed');
    expect(exited.stderr).toBe('');
    expect(await connectionError(port)).toBe('ECONNREFUSED');
    for (const connection of pinned.values()) connection.close();
  });

  it('OTEL_TRACES_EXPORTER=console: the batch span of a merged run links to the operation spans of both threads', async () => {
    const { server, base } = await start({
      PREDICTQL_GRAPHQL_THREADS: '2',
      PREDICTQL_MAX_QUEUE_DELAY_MS: '10000',
      PREDICTQL_MAX_BATCH_SIZE: '4',
      OTEL_TRACES_EXPORTER: 'console',
    });
    const pinned = await connectionPerThread(base, 2);
    const named = (name: string) => `query ${name}($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms } }`;
    const answers = await Promise.all([
      pinned.get('1')!.graphql(named('OnThreadOne'), { inputs: sampleInputs(2, 7) }),
      pinned.get('2')!.graphql(named('OnThreadTwo'), { inputs: sampleInputs(2, 9) }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await waitForOutput(server, "name: 'predictql.batch'");
    await waitForOutput(server, "name: 'query OnThreadTwo'");
    await waitForOutput(server, "name: 'query OnThreadOne'");
    const { stdout } = server.output();
    const spanId = (name: string) => new RegExp(`name: '${name}',\\s*id: '([0-9a-f]{16})'`).exec(stdout)?.[1];
    const batch = stdout.slice(stdout.indexOf("name: 'predictql.batch'"));
    expect(batch).toContain("'predictql.batch.requests': 2");
    const links = batch.slice(batch.indexOf('links:'), batch.indexOf('\n}'));
    for (const operation of ['query OnThreadOne', 'query OnThreadTwo']) expect(links).toContain(`spanId: '${spanId(operation)}'`);
    for (const connection of pinned.values()) connection.close();
    expect((await server.stop()).code).toBe(0);
  });

  it.each([
    ['a plain listener', false],
    // Another predictql with threads: without the claim, SO_REUSEPORT would let both share the port silently.
    ['a listener that shares ports (reusePort)', true],
  ])('refuses to start on a port held by %s, exiting 1 with the reason, serving nothing', async (_holder, reusePort) => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) =>
      holder.listen({ port: 0, host: '127.0.0.1', reusePort }, () => resolve((holder.address() as { port: number }).port)),
    );
    try {
      const server = startServerProcess({ PORT: String(port), HOST: '127.0.0.1', PREDICTQL_GRAPHQL_THREADS: '2' });
      const exited = await exitWithin(server, 30_000);
      expect(exited.code).toBe(1);
      expect(exited.stderr).toContain(`predictql: cannot start: listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
      expect(exited.stdout).not.toContain('listening');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('with PREDICTQL_GRAPHQL_THREADS=1 serves on the main thread alone: no response names a GraphQL thread', async () => {
    const { server, base } = await start({ PREDICTQL_GRAPHQL_THREADS: '1' });
    const response = await fetch(`${base}/ready`);
    expect(response.status).toBe(200);
    expect(response.headers.has('x-predictql-thread')).toBe(false);
    expect(server.output().stdout).not.toContain('GraphQL threads');
    expect((await server.stop()).code).toBe(0);
  });
});

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
