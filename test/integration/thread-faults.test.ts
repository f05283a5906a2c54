/**
 * The server with GraphQL threads (src/server.ts, src/threads/threads-front.ts) in-process, with its signals, exit and log in
 * the test's hands: a GraphQL thread killed with a request in flight loses that request, the
 * other thread keeps serving, and a replacement serves in its place; a second signal during the
 * drain exits 1 at once. Runs are held by a probe, never timed.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServices } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { runServer, type ServerLog } from '../../src/server.ts';
import { ThreadsFront } from '../../src/threads/threads-front.ts';
import { connectionPerThread, type PinnedConnection } from '../support/connections.ts';
import { GBDT, MLP, sampleInputs } from '../support/models.ts';
import { HOLD_MARKER, instrumentedWorker, Probes } from '../support/probe.ts';
import { until } from '../support/until.ts';

const MANY =
  'query ($inputs: [LatencyFeaturesInput!]!, $model: String) { predictLatencies(inputs: $inputs, model: $model) { p50Ms p95Ms } }';
const config = readConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  PREDICTQL_GRAPHQL_THREADS: '2',
  PREDICTQL_EXECUTOR: `${MLP}=main,${GBDT}=worker`,
});
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function serve() {
  const probes = new Probes();
  const signals = new EventEmitter();
  const exits: number[] = [];
  const logged = { info: [] as string[], error: [] as string[] };
  const log: ServerLog = { info: (m) => logged.info.push(m), error: (m) => logged.error.push(m) };
  const running = await runServer({
    config,
    load: (c, warn) => loadServices(c, warn, { wrapModels: probes.wrap, workerFile: instrumentedWorker }),
    signals,
    exit: (code) => exits.push(code),
    log,
  });
  await running.ready;
  const connections: PinnedConnection[] = [];
  cleanups.push(async () => {
    for (const c of connections) c.close();
    if (exits.length === 0) signals.emit('SIGTERM');
    await until(() => exits.length > 0);
  });
  const pin = async () => {
    const pinned = await connectionPerThread(`http://127.0.0.1:${running.port}`, 2);
    connections.push(...pinned.values());
    return pinned;
  };
  if (!(running.front instanceof ThreadsFront)) throw new Error('expected GraphQL threads');
  return { ...running, threads: running.front.threads, probes, signals, exits, logged, pin };
}

describe('the threaded server, in-process', () => {
  it('a GraphQL thread killed with a request in flight: that request is lost, the other thread serves, a replacement takes its place', async () => {
    const server = await serve();
    const pinned = await server.pin();
    const mlp = server.probes.probe(MLP);
    mlp.hold();
    const lost = pinned.get('1')!.graphql(MANY, { inputs: [{ ...sampleInputs(1)[0]!, payloadKb: HOLD_MARKER }] });
    await mlp.holding();
    // Expected before the kill: the rejection comes while terminate() is awaited.
    const refused = expect(lost).rejects.toThrow(/socket hang up|ECONNRESET/);
    await server.threads.terminate(1);
    await refused;
    // While the MLP's run is still held, thread 2 answers (from the GBDT, on another batcher).
    const meanwhile = await pinned.get('2')!.graphql(MANY, { inputs: sampleInputs(3), model: GBDT });
    expect(meanwhile.headers['x-predictql-thread']).toBe('2');
    expect(JSON.parse(meanwhile.body).errors).toBeUndefined();
    mlp.release(); // the run ends; its answer to the dead thread goes nowhere
    await until(() => server.logged.info.includes('GraphQL thread 1 replaced'));
    expect(server.logged.error).toContain('GraphQL thread 1 exited unexpectedly (code 1); its requests in flight are lost; replacing it');
    expect(server.threads.serving).toBe(2);
    expect(server.threads.starts).toBe(3);
    // Both threads answer again, the replacement under the dead one's name.
    const again = await server.pin();
    for (const [thread, connection] of again) {
      const answer = await connection.graphql(MANY, { inputs: sampleInputs(4, 10) });
      expect(answer.headers['x-predictql-thread']).toBe(thread);
      expect(JSON.parse(answer.body).errors).toBeUndefined();
    }
    server.signals.emit('SIGTERM');
    await until(() => server.exits.length > 0);
    expect(server.exits).toEqual([0]);
  });

  it('a second signal during the drain exits 1 at once', async () => {
    const server = await serve();
    const pinned = await server.pin();
    const mlp = server.probes.probe(MLP);
    mlp.hold();
    const pending = pinned.get('2')!.graphql(MANY, { inputs: [{ ...sampleInputs(1)[0]!, payloadKb: HOLD_MARKER }] });
    await mlp.holding();
    server.signals.emit('SIGTERM');
    expect(server.exits).toEqual([]);
    server.signals.emit('SIGINT');
    expect(server.exits).toEqual([1]);
    mlp.release();
    expect((await pending).status).toBe(200);
  });
});
