/**
 * The hostile corpus (corpus.json) against the real HTTP server, while a steady stream of valid
 * queries runs beside it: every hostile request gets its expected status and `extensions.code`,
 * the valid stream gets no error and the right values, and the server is ready afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, type HostileCase, type Outcome, send } from './corpus.ts';
import { type RunningServer, startServer, steadyStream, validRequests } from './server.ts';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(() => server.stop());

describe('the hostile corpus', () => {
  it('holds at least 60 cases, each named once', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  it('every case gets its status and code while valid traffic is served without error', async () => {
    const stream = steadyStream(server.url, await validRequests(server.services));
    const outcomes = new Map<HostileCase, Outcome | Error>();
    // Four hostile clients at once, beside the four valid ones.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < corpus.length) {
          const c = corpus[next++]!;
          outcomes.set(c, await send(server.url, c).catch((error: unknown) => error as Error));
        }
      }),
    );
    const sentDuringCorpus = stream.sent;
    await stream.stop();

    const mismatches = corpus.flatMap((c) => {
      const got = outcomes.get(c)!;
      if (got instanceof Error) return [`${c.name}: request failed: ${got.message}`];
      return got.status === c.expect.status && got.code === c.expect.code
        ? []
        : [`${c.name}: got ${got.status} ${got.code}, expected ${c.expect.status} ${c.expect.code}`];
    });
    expect(mismatches).toEqual([]);
    expect(stream.problems).toEqual([]);
    expect(sentDuringCorpus).toBeGreaterThanOrEqual(20);
  });

  it('leaves the server ready and answering', async () => {
    expect((await fetch(`${server.origin}/ready`)).status).toBe(200);
    const [request] = await validRequests(server.services, 1);
    const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request!.body });
    expect(request!.check(response.status, await response.text())).toBeUndefined();
  });
});
