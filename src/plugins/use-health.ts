/**
 * `GET /health` (live: 200 while the process answers at all) and `GET /ready` (200 only when
 * every model is loaded and warmed and the server is not starting or shutting down, else 503 with
 * the reason), as Triton's `/v2/health/live` and `/v2/health/ready`: a load balancer or a
 * Kubernetes probe sends traffic on ready and restarts on not-live. Also puts the lifecycle in
 * the context, for `Model.ready`.
 */
import type { Plugin } from 'graphql-yoga';
import type { PredictQLContext } from '../graphql/context.ts';
import type { ModelView } from '../inference/index.ts';
import type { ServerLifecycle } from '../lifecycle.ts';

export interface HealthOptions {
  lifecycle: ServerLifecycle;
  models: () => readonly ModelView[];
  livePath?: string;
  readyPath?: string;
}

/** Why the server should get no traffic, or undefined when it is ready. */
export function notReadyReason(lifecycle: ServerLifecycle, models: readonly ModelView[]): string | undefined {
  if (lifecycle.state === 'draining') return 'shutting down';
  if (lifecycle.state === 'starting') return 'loading models';
  const cold = models.filter((m) => !m.warmedUp);
  return cold.length > 0 ? `not warmed up: ${cold.map((m) => m.manifest.name).join(', ')}` : undefined;
}

export function useHealth({ lifecycle, models, livePath = '/health', readyPath = '/ready' }: HealthOptions): Plugin<PredictQLContext> {
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (url.pathname === livePath) {
        endResponse(healthResponse(fetchAPI, 200, { status: 'ok' }));
      } else if (url.pathname === readyPath) {
        const reason = notReadyReason(lifecycle, models());
        endResponse(healthResponse(fetchAPI, reason ? 503 : 200, reason ? { status: 'not ready', reason } : { status: 'ready' }));
      }
    },
    onContextBuilding({ extendContext }) {
      extendContext({ lifecycle });
    },
  };
}

function healthResponse(fetchAPI: { Response: typeof Response }, status: number, body: Record<string, string>): Response {
  return new fetchAPI.Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}
