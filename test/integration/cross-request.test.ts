/**
 * Cross-request batching through a real HTTP server, real models and real onnxruntime-node.
 * Merges are forced, not hoped for: a held run (probe.ts) keeps the model busy while the requests
 * queue behind it, so their jobs can only run together. Runs and rows are counted where they
 * reach the model; every merged field must equal its input's solo prediction. Counts and values
 * only, never times.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictQLApp, Services } from '../../src/app.ts';
import type { InferenceReport } from '../../src/inference-report/inference-report.ts';
import { loadRealApp } from '../support/app.ts';
import { GBDT, MLP, sameUpToBatching, sampleInputs, soloPredictions } from '../support/models.ts';
import { HOLD_MARKER, type Probes } from '../support/probe.ts';
import { until } from '../support/until.ts';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: {
    data?: Record<string, unknown> & { predictLatencies?: ({ p50Ms: number; p95Ms: number } | null)[] };
    errors?: { path?: (string | number)[]; extensions?: { code?: string } }[];
    extensions?: { inference?: InferenceReport };
  };
}

type Input = ReturnType<typeof sampleInputs>[number];
const MANY =
  'query Many($inputs: [LatencyFeaturesInput!]!, $model: String) { predictLatencies(inputs: $inputs, model: $model) { p50Ms p95Ms } }';
const EXECUTORS = { PREDICTQL_EXECUTOR: `${MLP}=main,${GBDT}=worker` };

interface Running {
  services: Services;
  yoga: PredictQLApp;
  probes: Probes;
  server: Server;
  url: string;
}

/** A real server on a loopback port over probed models loaded with `env`. */
async function startServer(env: Record<string, string>): Promise<Running> {
  const { services, yoga, probes } = await loadRealApp({ ...EXECUTORS, ...env });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { services, yoga, probes, server, url: `http://127.0.0.1:${port}/graphql` };
}

async function postQuery(url: string, query: string, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-predictql-trace': '1' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
}

const post = (url: string, inputs: readonly Input[], model?: string) => postQuery(url, MANY, { inputs, model });

async function stop({ services, server }: Running): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await services.inference.close();
}

/** Holds `model` with a one-row request (its answer is returned for the caller to await once released). */
async function holdModel(running: Running, model: string): Promise<{ blocker: Promise<Answer> }> {
  const probe = running.probes.probe(model);
  probe.hold();
  const blocker = post(running.url, [{ ...sampleInputs(1, 2999)[0]!, payloadKb: HOLD_MARKER }], model);
  await probe.holding();
  return { blocker };
}

describe('concurrent requests through the real server', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startServer({});
  });
  afterAll(() => stop(running));

  it.each([
    [MLP, 'main'],
    [GBDT, 'worker'],
  ])("merge into one run on %s (%s thread): 8 requests of 2 rows, each field its own input's solo answer", async (model, executor) => {
    expect(running.services.inference.batcher(model).executorKind).toBe(executor);
    const probe = running.probes.probe(model);
    const inputs = sampleInputs(16, model === MLP ? 100 : 200);
    const { blocker } = await holdModel(running, model);
    // The model is busy with the held run: every request sent now queues, and only they queue.
    const pending = Array.from({ length: 8 }, (_, k) => post(running.url, inputs.slice(k * 2, k * 2 + 2), model));
    await until(() => running.services.inference.batcher(model).queuedRows === 16);
    const before = probe.counts();
    probe.release();
    const answers = await Promise.all(pending);
    expect((await blocker).status).toBe(200);

    const made = probe.counts();
    expect(made.runs - before.runs).toBe(1);
    expect(probe.sizes(before.runs)).toEqual([16]);
    expect(made.failedRuns).toBe(before.failedRuns);
    const solo = await soloPredictions(running.yoga, inputs, model);
    const runIds = new Set<number>();
    for (const [k, answer] of answers.entries()) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      const [batch, ...rest] = answer.body.extensions!.inference!.batches;
      expect(rest).toEqual([]);
      expect(batch).toMatchObject({ model, size: 16, items: 2, requests: 8, loads: 2, executor });
      runIds.add(batch!.runId);
      for (const [i, value] of answer.body.data!.predictLatencies!.entries()) {
        const want = solo[k * 2 + i]!;
        expect(sameUpToBatching(value!.p50Ms, want.p50Ms), `request ${k} item ${i} p50Ms`).toBe(true);
        expect(sameUpToBatching(value!.p95Ms, want.p95Ms), `request ${k} item ${i} p95Ms`).toBe(true);
      }
    }
    expect(runIds.size).toBe(1);
  });

  it('without a hold, every run is accounted for: traces agree with the runs counted at the model', async () => {
    const inputs = sampleInputs(32, 300);
    const { result, runs: delta } = await running.probes.counted(() =>
      Promise.all(Array.from({ length: 16 }, (_, k) => post(running.url, inputs.slice(k * 2, k * 2 + 2)))),
    );
    const runs = new Map<number, { size: number; items: number; requests: number }>();
    for (const answer of result) {
      expect(answer.status).toBe(200);
      for (const b of answer.body.extensions!.inference!.batches) {
        const seen = runs.get(b.runId) ?? { size: b.size, items: 0, requests: b.requests };
        seen.items += b.items;
        runs.set(b.runId, seen);
      }
    }
    expect(runs.size).toBe(delta[MLP]!.runs);
    for (const run of runs.values()) expect(run.items).toBe(run.size); // every row of a run belongs to one of these responses
    expect([...runs.values()].reduce((n, r) => n + r.size, 0)).toBe(32);
    expect(delta[MLP]!.items).toBe(32);
  });
});

describe('scheduler limits through the real server', () => {
  it('splits a job larger than PREDICTQL_MAX_BATCH_SIZE into runs of at most that size', async () => {
    const running = await startServer({ PREDICTQL_MAX_BATCH_SIZE: '4' });
    try {
      const probe = running.probes.probe(MLP);
      const before = probe.counts().runs;
      const result = await post(running.url, sampleInputs(10, 300));
      expect(probe.sizes(before)).toEqual([4, 4, 2]);
      expect(result.body.extensions!.inference!.batches.map((b) => b.size)).toEqual([4, 4, 2]);
      expect(result.body.data!.predictLatencies!.every((p) => p !== null)).toBe(true);
    } finally {
      await stop(running);
    }
  });

  it('refuses work past PREDICTQL_MAX_QUEUE_SIZE at once with OVERLOADED, 503 and Retry-After, then recovers', async () => {
    const running = await startServer({ PREDICTQL_MAX_QUEUE_SIZE: '5' });
    try {
      const { result: refused, runs: delta } = await running.probes.counted(() => post(running.url, sampleInputs(10, 400)));
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body.errors!.every((e) => e.extensions?.code === 'OVERLOADED')).toBe(true);
      expect(refused.body.extensions!.inference!.totals.refusedItems).toBe(10);
      expect(delta[MLP]!.runs).toBe(0);
      const after = await post(running.url, sampleInputs(5, 400));
      expect(after.status).toBe(200);
      expect(after.body.data!.predictLatencies!.every((p) => p !== null)).toBe(true);
    } finally {
      await stop(running);
    }
  });

  it("answers a partly refused operation with 200: the refused model's fields OVERLOADED, the other model's values", async () => {
    const running = await startServer({ PREDICTQL_MAX_QUEUE_SIZE: '4' });
    try {
      const { blocker } = await holdModel(running, GBDT);
      const filler = post(running.url, sampleInputs(3, 500), GBDT); // 3 of the 4 rows the queue takes
      await until(() => running.services.inference.batcher(GBDT).queuedRows === 3);
      const inputs = sampleInputs(4, 510);
      const query =
        'query Mixed($a: LatencyFeaturesInput!, $b: LatencyFeaturesInput!, $c: LatencyFeaturesInput!, $d: LatencyFeaturesInput!) {' +
        ` g1: predictLatency(input: $a, model: "${GBDT}") { p50Ms } g2: predictLatency(input: $b, model: "${GBDT}") { p50Ms }` +
        ' m1: predictLatency(input: $c) { p50Ms } m2: predictLatency(input: $d) { p50Ms } }';
      const mixed = await postQuery(running.url, query, { a: inputs[0], b: inputs[1], c: inputs[2], d: inputs[3] });
      expect(mixed.status).toBe(200);
      expect(mixed.retryAfter).toBeNull();
      expect(mixed.body.errors!.map((e) => [e.path!.join('.'), e.extensions?.code]).sort()).toEqual([
        ['g1', 'OVERLOADED'],
        ['g2', 'OVERLOADED'],
      ]);
      const solo = await soloPredictions(running.yoga, inputs.slice(2));
      expect(sameUpToBatching((mixed.body.data!.m1 as { p50Ms: number }).p50Ms, solo[0]!.p50Ms)).toBe(true);
      expect(sameUpToBatching((mixed.body.data!.m2 as { p50Ms: number }).p50Ms, solo[1]!.p50Ms)).toBe(true);
      running.probes.probe(GBDT).release();
      expect((await filler).status).toBe(200);
      expect((await blocker).status).toBe(200);
    } finally {
      await stop(running);
    }
  });

  it('refuses a job still queued after PREDICTQL_QUEUE_TIMEOUT_MS with OVERLOADED (503), and serves the next', async () => {
    const running = await startServer({ PREDICTQL_QUEUE_TIMEOUT_MS: '50' });
    try {
      // The held run cannot end before the release: the queued job can only leave by timing out.
      const { blocker } = await holdModel(running, MLP);
      const late = await post(running.url, sampleInputs(3, 600));
      expect(late.status).toBe(503);
      expect(late.retryAfter).toBe('1');
      expect(late.body.errors!.map((e) => e.extensions?.code)).toEqual(['OVERLOADED', 'OVERLOADED', 'OVERLOADED']);
      expect(late.body.extensions!.inference!.totals.refusedItems).toBe(3);
      running.probes.probe(MLP).release();
      expect((await blocker).status).toBe(200);
      const next = await post(running.url, sampleInputs(3, 600));
      expect(next.status).toBe(200);
      expect(next.body.errors).toBeUndefined();
    } finally {
      await stop(running);
    }
  });
});
