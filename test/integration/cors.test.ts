/**
 * The CORS policy (PREDICTQL_CORS_ORIGINS) as a browser sees it: preflights and answers for a
 * listed, an unlisted and a wildcard origin. Credentials are allowed only to listed origins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appOptions, createApp, type PredictQLApp, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { loadRealApp } from '../support/app.ts';

let services: Services;
let wildcard: PredictQLApp;
let listed: PredictQLApp;
const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
const EVIL = 'https://evil.example';

beforeAll(async () => {
  ({ services, yoga: wildcard } = await loadRealApp());
  listed = createApp(appOptions(services, { cors: readConfig({ PREDICTQL_CORS_ORIGINS: `${APP},${DEV}` }).cors }));
});
afterAll(() => services.inference.close());

const preflight = (app: PredictQLApp, origin: string, requestHeaders = 'content-type, x-predictql-trace') =>
  app.fetch('http://yoga/graphql', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });

const query = (app: PredictQLApp, origin: string) =>
  app.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', 'x-predictql-trace': '1' },
    body: JSON.stringify({ query: '{ __typename }' }),
  });

const corsHeaders = (response: Response) =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-') || name === 'vary'));

describe('CORS, default (PREDICTQL_CORS_ORIGINS=*)', () => {
  it("lets any origin's pages read answers, never with credentials (the issue's preflight)", async () => {
    const response = await preflight(wildcard, EVIL, 'x-graphql-yoga-csrf');
    expect(response.status).toBe(204);
    expect(corsHeaders(response)).toEqual({
      'access-control-allow-origin': EVIL,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers':
        'content-type, x-predictql-trace, x-graphql-yoga-csrf, apollographql-client-name, apollographql-client-version',
      'access-control-max-age': '7200',
      vary: 'Origin',
    });
    const answer = await query(wildcard, EVIL);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(EVIL);
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    expect(answer.headers.get('vary')).toContain('Origin');
  });

  it('allows only its own list of request headers, whatever the preflight asks for', async () => {
    const response = await preflight(wildcard, APP, 'x-something-else');
    expect(response.headers.get('access-control-allow-headers')).not.toContain('x-something-else');
  });

  it('adds no CORS header to a request without Origin (a server, curl)', async () => {
    const response = await wildcard.fetch('http://yoga/graphql?query=%7B__typename%7D');
    expect(response.status).toBe(200);
    expect(corsHeaders(response)).toEqual({ vary: expect.stringContaining('Origin') });
  });
});

describe('CORS with listed origins', () => {
  it('lets a listed origin read answers, with credentials', async () => {
    for (const origin of [APP, DEV]) {
      const response = await preflight(listed, origin);
      expect(response.status).toBe(204);
      expect(corsHeaders(response)).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': expect.stringContaining('x-predictql-trace'),
        vary: 'Origin',
      });
      const answer = await query(listed, origin);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(((await answer.json()) as { extensions?: { inference?: unknown } }).extensions?.inference).toBeDefined();
    }
  });

  it("gives an unlisted origin (or an opaque 'null' one) no CORS header: its browser hides the answer", async () => {
    for (const origin of [EVIL, 'null', `${APP}.evil.example`, 'http://app.example.com']) {
      const response = await preflight(listed, origin);
      expect(response.status).toBe(204);
      expect(corsHeaders(response)).toEqual({ vary: 'Origin' });
      const answer = await query(listed, origin);
      expect(corsHeaders(answer)).toEqual({ vary: expect.stringContaining('Origin') });
    }
  });
});
