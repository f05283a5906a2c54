/**
 * The server's life (src/server.ts) driven in-process, with its signals and exit in the test's
 * hands: a signal while the models load, a shutdown with a worker run held in flight, a second
 * signal. Nothing here waits on a timer: runs are held by a probe and released by the test.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { runServer, type ServerLog } from '../../src/server.ts';
import { loadRealApp } from '../support/app.ts';
import { GBDT, MLP, sameUpToBatching, sampleInputs, soloPredictions } from '../support/models.ts';
import { HOLD_MARKER, instrumentedWorker, Probes } from '../support/probe.ts';
import { until } from '../support/until.ts';

const config = readConfig({ PORT: '0', HOST: '127.0.0.1', PREDICTQL_EXECUTOR: `${MLP}=main,${GBDT}=worker` });
const quiet: ServerLog = { info: () => {}, error: () => {} };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A server whose signals and exit the test holds. */
async function serve(load: (warn: (m: string) => void) => Promise<Services>) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const running = await runServer({ config, load: (_config, warn) => load(warn), signals, exit: (code) => exits.push(code), log: quiet });
  cleanups.push(async () => {
    running.front.closeAllConnections();
    await running.front.close().catch(() => {});
  });
  return { ...running, signals, exits, url: `http://127.0.0.1:${running.port}/graphql` };
}

const MANY =
  'query ($inputs: [LatencyFeaturesInput!]!, $model: String) { predictLatencies(inputs: $inputs, model: $model) { p50Ms p95Ms } }';
function post(url: string, inputs: unknown[], model?: string) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: MANY, variables: { inputs, model } }),
  });
}

/** Probed real models with the GBDT on an instrumented worker. */
async function probedServices(probes: Probes, warn: (m: string) => void): Promise<Services> {
  const services = await loadServices(config, warn, { wrapModels: probes.wrap, workerFile: instrumentedWorker });
  cleanups.push(() => services.inference.close());
  return services;
}

describe('the server, in-process', () => {
  it('a SIGTERM while the models load: exits 0 at once, and releases the models once they have loaded', async () => {
    let finishLoading!: (services: Services) => void;
    const server = await serve(() => new Promise<Services>((resolve) => (finishLoading = resolve)));
    expect(server.lifecycle.state).toBe('starting');
    server.signals.emit('SIGTERM');
    await until(() => server.exits.length > 0);
    expect(server.exits).toEqual([0]);
    // The load finishes after the drain: nothing serves it, and its models are closed.
    const { services } = await loadRealApp();
    finishLoading(services);
    await server.ready;
    const job = services.registry.get(MLP)!.codec.pack([[new Float32Array(8)]]);
    await expect(services.inference.predict(services.registry.get(MLP)!, job, { requestId: 1 })).rejects.toThrow(/shutting down/);
    expect(server.lifecycle.state).toBe('draining');
  });

  it('a SIGTERM with a worker run in flight: waits for that run, answers its request with its values, then exits 0', async () => {
    const probes = new Probes();
    const server = await serve((warn) => probedServices(probes, warn));
    await server.ready;
    const inputs = [{ ...sampleInputs(1, 3)[0]!, payloadKb: HOLD_MARKER }, ...sampleInputs(4, 10)];
    const gbdt = probes.probe(GBDT);
    gbdt.hold();
    const pending = post(server.url, inputs, GBDT);
    await gbdt.holding();
    server.signals.emit('SIGTERM');
    // The drain runs to the request in flight: it cannot finish while the run is held.
    await until(() => server.lifecycle.state === 'draining');
    expect(server.front.inFlight).toBe(1);
    expect(server.exits).toEqual([]);
    gbdt.release();
    const response = await pending;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { predictLatencies: { p50Ms: number }[] }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    const { yoga, services } = await loadRealApp();
    cleanups.push(() => services.inference.close());
    const solo = await soloPredictions(yoga, inputs, GBDT);
    for (const [i, p] of body.data.predictLatencies.entries()) expect(sameUpToBatching(p.p50Ms, solo[i]!.p50Ms)).toBe(true);
    await until(() => server.exits.length > 0);
    expect(server.exits).toEqual([0]);
  });

  it('a second signal during the drain exits 1 at once', async () => {
    const probes = new Probes();
    const server = await serve((warn) => probedServices(probes, warn));
    await server.ready;
    const mlp = probes.probe(MLP);
    mlp.hold();
    const pending = post(server.url, [{ ...sampleInputs(1)[0]!, payloadKb: HOLD_MARKER }]);
    await mlp.holding();
    server.signals.emit('SIGTERM');
    expect(server.exits).toEqual([]);
    server.signals.emit('SIGINT');
    expect(server.exits).toEqual([1]);
    mlp.release();
    expect((await pending).status).toBe(200);
  });
});
