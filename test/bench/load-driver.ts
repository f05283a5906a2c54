/**
 * The load generator for `npm run bench:load`, in its own process so that it does not share an
 * event loop with the server: autocannon, cycling through pre-built request bodies.
 * argv: url connections durationSeconds bodiesJsonFile
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, connections, duration, bodiesFile] = process.argv.slice(2);
const bodies = JSON.parse(readFileSync(bodiesFile!, 'utf8')) as string[];
let next = 0;
// HTTP 200 can still carry GraphQL errors: count them, a load figure with errors is no figure.
let graphqlErrors = 0;

// autocannon's own histogram keeps whole milliseconds; a 1-connection server answers in less.
// Its 'response' event carries the exact duration: keep those and take percentiles here.
const latenciesMs: number[] = [];
const { promise: done, resolve: finish, reject: fail } = Promise.withResolvers<autocannon.Result>();
const options: autocannon.Options = {
  url: url!,
  connections: Number(connections),
  duration: Number(duration),
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  requests: [
    {
      setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      onResponse: (_status, body) => {
        // GraphQL errors, or FastAPI's validation errors (the reference service's "detail").
        if (body.includes('"errors"') || body.includes('"detail"')) graphqlErrors++;
      },
    },
  ],
};
const instance = autocannon(options, (error, result) => (error ? fail(error) : finish(result)));
instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
  if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
});
const result = await done;
latenciesMs.sort((a, b) => a - b);
const percentile = (p: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor((p / 100) * latenciesMs.length))] ?? Number.NaN;

process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    reqPerSec: result.requests.average,
    latencyP50Ms: percentile(50),
    latencyP99Ms: percentile(99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    graphqlErrors,
    durationS: result.duration,
  }),
);
