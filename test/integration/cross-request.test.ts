/**
 * Cross-request batching through the real HTTP server, real models and real onnxruntime-node:
 * concurrent requests share runs (asserted by run counts and by each response's trace),
 * maxBatchSize splits, and a full queue is refused with OVERLOADED / 503 and then recovers.
 * Counts only, never times.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOptions, createApp, loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import type { InferenceReport } from '../../src/inference-report/inference-report.ts';
import { counted, MLP, sampleInputs } from '../support/models.ts';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: {
    data?: { predictLatencies?: ({ p50Ms: number } | null)[] } | null;
    errors?: { extensions?: { code?: string } }[];
    extensions?: { inference?: InferenceReport };
  };
}

const MANY = 'query Many($inputs: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $inputs) { p50Ms } }';

/** A real server on a loopback port for services loaded with `env`. */
async function startServer(env: Record<string, string>): Promise<{ services: Services; server: Server; url: string }> {
  const services = await loadServices(readConfig(env));
  const server = createServer(createApp(appOptions(services)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { services, server, url: `http://127.0.0.1:${port}/graphql` };
}

async function post(url: string, inputs: unknown[]): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-predictql-trace': '1' },
    body: JSON.stringify({ query: MANY, variables: { inputs } }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
}

async function stop({ services, server }: { services: Services; server: Server }): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await services.inference.close();
}

describe('concurrent requests through the real server', () => {
  // A queue delay makes the merge certain (requests sent together arrive well within it), so the
  // test can count exactly; the default (no delay) is checked below for consistency.
  let delayed: Awaited<ReturnType<typeof startServer>>;
  let undelayed: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    delayed = await startServer({ PREDICTQL_MAX_QUEUE_DELAY_MS: '300' });
    undelayed = await startServer({});
  });
  afterAll(async () => {
    await stop(delayed);
    await stop(undelayed);
  });

  it('share one run: 8 requests of 2 rows → one run of 16 rows, each trace showing 8 requests', async () => {
    const inputs = sampleInputs(16, 100);
    const { result, runs: delta } = await counted(delayed.services.inference, () =>
      Promise.all(Array.from({ length: 8 }, (_, k) => post(delayed.url, inputs.slice(k * 2, k * 2 + 2)))),
    );
    expect(delta[MLP]).toMatchObject({ runs: 1, items: 16 });
    const runIds = new Set<number>();
    for (const answer of result) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data!.predictLatencies!.every((p) => p !== null && p.p50Ms > 0)).toBe(true);
      const [batch, ...rest] = answer.body.extensions!.inference!.batches;
      expect(rest).toEqual([]);
      expect(batch).toMatchObject({ model: MLP, size: 16, items: 2, requests: 8, loads: 2 });
      runIds.add(batch!.runId);
    }
    expect(runIds.size).toBe(1);
  });

  it('without a queue delay, every run is accounted for: traces agree with the counted runs', async () => {
    const inputs = sampleInputs(32, 200);
    const { result, runs: delta } = await counted(undelayed.services.inference, () =>
      Promise.all(Array.from({ length: 16 }, (_, k) => post(undelayed.url, inputs.slice(k * 2, k * 2 + 2)))),
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
      const { result, runs: delta } = await counted(running.services.inference, () => post(running.url, sampleInputs(10, 300)));
      expect(delta[MLP]).toMatchObject({ runs: 3, items: 10 });
      expect(result.body.extensions!.inference!.batches.map((b) => b.size)).toEqual([4, 4, 2]);
      expect(result.body.data!.predictLatencies!.every((p) => p !== null)).toBe(true);
    } finally {
      await stop(running);
    }
  });

  it('refuses work past PREDICTQL_MAX_QUEUE_SIZE at once with OVERLOADED, 503 and Retry-After, then recovers', async () => {
    const running = await startServer({ PREDICTQL_MAX_QUEUE_SIZE: '5' });
    try {
      const { result: refused, runs: delta } = await counted(running.services.inference, () => post(running.url, sampleInputs(10, 400)));
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
});
