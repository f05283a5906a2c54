/**
 * GET /health and GET /ready (Triton's v2 live/ready), and `models { ready }`, through the
 * lifecycle main.ts drives: starting → serving → draining.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { ServerLifecycle } from '../../src/lifecycle.ts';
import { send } from '../support/graphql.ts';

let services: Services;

beforeAll(async () => {
  services = await loadServices(readConfig({}));
});

afterAll(() => services.inference.close());

async function get(
  app: ReturnType<typeof createApp>,
  path: string,
): Promise<{ status: number; body: unknown; cacheControl: string | null }> {
  const response = await app.fetch(`http://yoga${path}`);
  return { status: response.status, body: await response.json(), cacheControl: response.headers.get('cache-control') };
}

describe('health endpoints', () => {
  it('answers live and ready once every model is loaded and warmed', async () => {
    const yoga = createApp(services);
    expect(await get(yoga, '/health')).toEqual({ status: 200, body: { status: 'ok' }, cacheControl: 'no-store' });
    expect(await get(yoga, '/ready')).toEqual({ status: 200, body: { status: 'ready' }, cacheControl: 'no-store' });
    const result = await send<{ models: { name: string; ready: boolean; warmedUp: boolean }[] }>(
      yoga,
      '{ models { name ready warmedUp } }',
    );
    expect(result.data!.models.every((m) => m.ready && m.warmedUp)).toBe(true);
  });

  it('is not ready while starting, and not ready (but live) once draining', async () => {
    const lifecycle = new ServerLifecycle('starting');
    const yoga = createApp({ ...services, lifecycle });
    expect((await get(yoga, '/ready')).body).toEqual({ status: 'not ready', reason: 'loading models' });
    lifecycle.serve();
    expect((await get(yoga, '/ready')).status).toBe(200);
    lifecycle.drain();
    expect(await get(yoga, '/ready')).toMatchObject({ status: 503, body: { status: 'not ready', reason: 'shutting down' } });
    expect((await get(yoga, '/health')).status).toBe(200);
    const result = await send<{ models: { ready: boolean; warmedUp: boolean }[] }>(yoga, '{ models { ready warmedUp } }');
    expect(result.data!.models.map((m) => [m.ready, m.warmedUp])).toEqual(services.registry.names.map(() => [false, true]));
    lifecycle.serve(); // draining is final
    expect((await get(yoga, '/ready')).status).toBe(503);
  });

  it('GET / redirects to the GraphQL endpoint (GraphiQL in a browser)', async () => {
    const response = await createApp(services).fetch('http://yoga/', { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/graphql');
  });

  it('leaves other paths and methods alone', async () => {
    const yoga = createApp(services);
    expect((await yoga.fetch('http://yoga/health', { method: 'POST' })).status).toBe(404);
    expect((await yoga.fetch('http://yoga/healthz')).status).toBe(404);
  });
});
