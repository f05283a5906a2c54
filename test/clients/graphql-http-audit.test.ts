/**
 * The GraphQL-over-HTTP audit suite of graphql-http (`serverAudits`) against the real server on
 * its defaults: every MUST, SHOULD and MAY audit passes. The tally is printed for the record.
 * Beyond the audits: a variable coercion error follows the spec's statuses too.
 */
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientServer, startClientServer } from './server.ts';

let server: ClientServer;
let ready: (url: string) => void;
const url = new Promise<string>((resolve) => (ready = resolve));
beforeAll(async () => {
  server = await startClientServer();
  ready(server.url);
});
afterAll(() => server.stop());

const audits = serverAudits({ url });
const levels = ['MUST', 'SHOULD', 'MAY'] as const;
const tally = Object.fromEntries(levels.map((level) => [level, { passed: 0, total: 0 }]));

describe('graphql-http server audits', () => {
  it('covers every level: MUST, SHOULD and MAY', () => {
    const counts = levels.map((level) => audits.filter((a) => a.name.startsWith(`${level} `)).length);
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b)).toBe(audits.length);
  });

  it.each(audits.map((audit) => [`${audit.id} ${audit.name}`, audit] as const))('%s', async (_, audit) => {
    const level = audit.name.split(' ')[0]!;
    tally[level]!.total++;
    const result = await audit.fn();
    // On failure, the reason and the response the audit saw.
    expect(
      result.status === 'ok'
        ? 'ok'
        : { status: result.status, reason: result.reason, response: 'response' in result ? result.response : undefined },
    ).toBe('ok');
    tally[level]!.passed++;
  });

  it('tallies every audit as passed', () => {
    console.log(`graphql-http audits: ${levels.map((l) => `${l} ${tally[l]!.passed}/${tally[l]!.total}`).join(', ')}`);
    expect(levels.map((l) => tally[l]!.passed)).toEqual(levels.map((l) => tally[l]!.total));
  });
});

describe('beyond the audits', () => {
  it('answers a variable coercion error 200 under Accept: application/json, 400 under application/graphql-response+json', async () => {
    const body = JSON.stringify({ query: 'query ($n: Int) { sampleRequests(first: $n) { id } }', variables: { n: 'ten' } });
    for (const [accept, status] of [
      ['application/json', 200],
      ['application/graphql-response+json', 400],
    ] as const) {
      const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body });
      expect(response.status).toBe(status);
      const answer = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(answer.data).toBeUndefined();
      expect(answer.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    }
  });
});
