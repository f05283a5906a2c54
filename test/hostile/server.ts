/**
 * The server as `main.ts` builds it (default configuration: limits, CSRF, masking), on a real
 * loopback port through src/http-server.ts, and valid traffic whose answers are known in advance
 * (computed by running the model directly).
 */
import { appOptions, createApp, loadServices, type Services } from '../../src/app.ts';
import { readConfig } from '../../src/config.ts';
import { HttpServer } from '../../src/http-server.ts';
import { ServerLifecycle } from '../../src/lifecycle.ts';
import { close, directPredict, MLP, sampleInputs, toRow } from '../support/models.ts';

export interface RunningServer {
  services: Services;
  url: string;
  origin: string;
  stop: () => Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const config = readConfig(env);
  const services = await loadServices(config, () => {});
  const lifecycle = new ServerLifecycle('starting');
  const http = new HttpServer(lifecycle);
  const port = await http.listen(0, '127.0.0.1');
  const app = createApp(
    appOptions(services, { lifecycle, limits: config.limits, introspection: config.introspection, metrics: false, logError: () => {} }),
  );
  http.serve(app);
  lifecycle.serve();
  const origin = `http://127.0.0.1:${port}`;
  return {
    services,
    origin,
    url: `${origin}/graphql`,
    stop: async () => {
      await http.close();
      await services.inference.close();
    },
  };
}

/** One valid request and a check of its answer against values computed beforehand. */
export interface ValidRequest {
  name: string;
  body: string;
  /** A problem with the answer, or undefined when it is right. */
  check: (status: number, text: string) => string | undefined;
}

/** Three shapes (one prediction, a list of 20, a page of 50) over different samples each. */
export async function validRequests(services: Services, count = 12): Promise<ValidRequest[]> {
  const mlp = services.registry.get(MLP)!;
  const requests: ValidRequest[] = [];
  for (let k = 0; k < count; k++) {
    const offset = 100 + k * 60;
    const inputs = sampleInputs(50, offset);
    const expected = (
      await directPredict(
        services.inference,
        MLP,
        inputs.map((input) => toRow(mlp, input)),
      )
    ).map((o) => o[0]!);
    const shape = k % 3;
    if (shape === 0) {
      requests.push(
        valid(
          `one prediction @${offset}`,
          { query: 'query($i: LatencyFeaturesInput!) { predictLatency(input: $i) { p50Ms } }', variables: { i: inputs[0] } },
          (data) => [(data.predictLatency as { p50Ms: number }).p50Ms],
          expected.slice(0, 1),
        ),
      );
    } else if (shape === 1) {
      requests.push(
        valid(
          `list of 20 @${offset}`,
          {
            query: 'query($in: [LatencyFeaturesInput!]!) { predictLatencies(inputs: $in) { p50Ms } }',
            variables: { in: inputs.slice(0, 20) },
          },
          (data) => (data.predictLatencies as { p50Ms: number }[]).map((p) => p.p50Ms),
          expected.slice(0, 20),
        ),
      );
    } else {
      requests.push(
        valid(
          `page of 50 @${offset}`,
          { query: `{ sampleRequests(first: 50, offset: ${offset}) { predictedLatency { p50Ms } } }` },
          (data) => (data.sampleRequests as { predictedLatency: { p50Ms: number } }[]).map((s) => s.predictedLatency.p50Ms),
          expected,
        ),
      );
    }
  }
  return requests;
}

function valid(name: string, body: object, values: (data: Record<string, unknown>) => number[], expected: number[]): ValidRequest {
  return {
    name,
    body: JSON.stringify(body),
    check(status, text) {
      if (status !== 200) return `HTTP ${status}: ${text.slice(0, 300)}`;
      const result = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
      if (result.errors) return `errors: ${JSON.stringify(result.errors).slice(0, 300)}`;
      const got = values(result.data!);
      if (got.length !== expected.length) return `${got.length} values, expected ${expected.length}`;
      const wrong = got.findIndex((v, i) => !close(v, expected[i]!));
      return wrong === -1 ? undefined : `value ${wrong}: ${got[wrong]} instead of ${expected[wrong]}`;
    },
  };
}

/** Sends valid requests on `connections` loops until `stop()`; counts answers and problems. */
export function steadyStream(url: string, requests: readonly ValidRequest[], connections = 4) {
  let running = true;
  let sent = 0;
  const problems: string[] = [];
  const loops = Array.from({ length: connections }, async (_, c) => {
    for (let i = c; running; i += connections) {
      const request = requests[i % requests.length]!;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: request.body,
        });
        const problem = request.check(response.status, await response.text());
        if (problem) problems.push(`${request.name}: ${problem}`);
      } catch (error) {
        problems.push(`${request.name}: ${(error as Error).message}`);
      }
      sent++;
    }
  });
  return {
    get sent() {
      return sent;
    },
    problems,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
