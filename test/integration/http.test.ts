/**
 * Over a real HTTP port (node:http in process, port 0): the issue's example query is one run, a
 * GET query needs no custom header (a GET mutation is refused), a form POST needs the CSRF header,
 * and a browser GET gets GraphiQL preset with the trace header.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictQLApp, Services } from '../../src/app.ts';
import type { InferenceReport } from '../../src/inference-report/inference-report.ts';
import { IssueExampleDocument, type IssueExampleQuery } from '../generated/graphql.ts';
import { loadRealApp } from '../support/app.ts';
import { ALL_MODELS, GBDT, MLP, sameUpToBatching, sampleEntries, sampleInputs, soloPredictions } from '../support/models.ts';
import type { Probes } from '../support/probe.ts';

let services: Services;
let yoga: PredictQLApp;
let probes: Probes;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  ({ services, yoga, probes } = await loadRealApp());
  server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  await services.inference.close();
});

describe('over HTTP', () => {
  it("answers the issue's example (200 samples + two aliases) with 202 items in one run", async () => {
    const [quiet, busy] = [sampleInputs(1, 2900)[0]!, sampleInputs(1, 2950)[0]!];
    const { result: response, runs } = await probes.counted(() =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-predictql-trace': '1' },
        body: JSON.stringify({ query: print(IssueExampleDocument), variables: { quiet, busy } }),
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/graphql-response+json');
    const body = (await response.json()) as { data: IssueExampleQuery; errors?: unknown; extensions: { inference: InferenceReport } };
    expect(body.errors).toBeUndefined();
    expect(body.data.sampleRequests!).toHaveLength(200);
    expect(body.data.busy!.model.name).toBe(MLP);
    // Each value is its own input's: the solo answers of the two aliases and of some samples.
    const [soloQuiet, soloBusy] = await soloPredictions(yoga, [quiet, busy]);
    expect(sameUpToBatching(body.data.quiet!.p50Ms, soloQuiet!.p50Ms) && sameUpToBatching(body.data.quiet!.p95Ms, soloQuiet!.p95Ms)).toBe(
      true,
    );
    expect(sameUpToBatching(body.data.busy!.p50Ms, soloBusy!.p50Ms)).toBe(true);
    const picked = [0, 57, 199];
    const soloSamples = await soloPredictions(
      yoga,
      picked.map((i) => sampleEntries()[i]!.features),
    );
    picked.forEach((i, k) => {
      expect(body.data.sampleRequests![i]!.id).toBe(sampleEntries()[i]!.id);
      expect(sameUpToBatching(body.data.sampleRequests![i]!.predictedLatency!.p50Ms, soloSamples[k]!.p50Ms)).toBe(true);
    });

    expect(runs[MLP]).toEqual({ runs: 1, items: 202, failedRuns: 0 });
    expect(runs[GBDT]!.runs).toBe(0);
    const { batches, totals } = body.extensions.inference;
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({
      model: MLP,
      size: 202,
      loads: 202,
      fields: { 'SampleRequest.predictedLatency': 200, 'Query.predictLatency': 2 },
    });
    expect(totals).toMatchObject({ batches: 1, items: 202, loads: 202, failedBatches: 0 });
  });

  it('answers a GET query with no custom header, as urql sends it (no trace without the trace header)', async () => {
    const url = `${endpoint}?query=${encodeURIComponent('{ models { name } }')}`;
    const response = await fetch(url, { headers: { accept: 'application/graphql-response+json, application/json' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { models: { name: string }[] }; extensions?: unknown };
    expect(body.data.models.map((m) => m.name).sort()).toEqual([...ALL_MODELS].sort());
    expect(body.extensions).toBeUndefined();
  });

  it('never runs a mutation over GET (405), with or without the CSRF header', async () => {
    const url = `${endpoint}?query=${encodeURIComponent('mutation { __typename }')}`;
    for (const headers of [{}, { 'x-graphql-yoga-csrf': '1' }] as Record<string, string>[]) {
      const response = await fetch(url, { headers: { accept: 'application/json', ...headers } });
      expect(response.status).toBe(405);
      const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(body.data).toBeUndefined();
      expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    }
  });

  it('still asks a form or multipart POST (what a cross-site page can send without a preflight) for the CSRF header', async () => {
    const form = { method: 'POST', body: 'query=%7B__typename%7D' };
    const bare = await fetch(endpoint, { ...form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('CSRF_HEADER_REQUIRED');
    const withHeader = await fetch(endpoint, {
      ...form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-yoga-csrf': '1', accept: 'application/json' },
    });
    expect(withHeader.status).toBe(200);
    expect(await withHeader.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves GraphiQL to a browser, with the trace header and the default query preset', async () => {
    const response = await fetch(endpoint, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('x-predictql-trace');
    expect(html).toContain('predictql');
    expect(html).toContain('sampleRequests(first: 5)');
  });
});
