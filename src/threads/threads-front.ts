/**
 * N GraphQL threads as the server's front (server.ts drives it as it drives the in-process one):
 * this thread owns the models (registry, batchers, executors) and runs every model run; the
 * GraphQL threads (graphql-threads.ts) serve HTTP on the same port and send it their jobs, so a run
 * merges requests of every thread, and a GPU keeps one session and one context. Batch spans and
 * the models' metrics are made here, once for all threads.
 */
import { createServer } from 'node:net';
import { trace } from '@opentelemetry/api';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Services } from '../app.ts';
import type { Config } from '../config.ts';
import { modelViewData } from '../inference/index.ts';
import { InferenceMetrics } from '../metrics/inference-metrics.ts';
import { installBatchSpans } from '../opentelemetry/batch-spans.ts';
import type { ServerLog } from '../server-log.ts';
import type { ServingFront } from '../serving-front.ts';
import { GraphQLThreads } from './graphql-threads.ts';

export class ThreadsFront implements ServingFront {
  readonly threads: GraphQLThreads;
  readonly #config: Config;

  /** `onNoThreads`: every thread is gone and none could be replaced (nothing serves the port). */
  constructor(config: Config, log: ServerLog, onNoThreads: () => void) {
    this.#config = config;
    this.threads = new GraphQLThreads({ count: config.graphqlThreads, config, log, onNoThreads });
  }

  get count(): number {
    return this.#config.graphqlThreads;
  }

  get description(): string {
    return ` with ${this.count} GraphQL threads`;
  }

  get inFlight(): number {
    return this.threads.requestsInFlight;
  }

  async listen(port: number, host: string): Promise<number> {
    const bound = await claimPort(port, host);
    await this.threads.listen(bound, host);
    return bound;
  }

  async serve(services: Services): Promise<void> {
    // Batch spans are made here, for operations traced in the threads (their contexts come as data).
    installBatchSpans(services.inference, trace.getTracer('predictql'));
    await this.threads.serve({
      service: services.inference,
      models: services.registry.all().map(modelViewData),
      defaults: [...services.registry.defaults()],
      metrics: ownerMetrics(this.#config.metrics, services),
    });
  }

  drain(): void {
    this.threads.drain();
  }

  /** A reload published the registry's next set: every GraphQL thread switches to it. */
  publishModels(services: Services, retireWaitMs: number): Promise<void> {
    return this.threads.publish(services.registry.all().map(modelViewData), [...services.registry.defaults()], retireWaitMs);
  }

  /** Each thread: stop accepting, answer its requests in flight, flush its spans. */
  close(): Promise<void> {
    return this.threads.close();
  }

  closeAllConnections(): void {
    this.threads.closeAllConnections();
  }
}

// Private: the owner's share of /metrics: the model runs and the process (once, not per thread).
function ownerMetrics(on: boolean, services: Services): Registry | undefined {
  if (!on) return undefined;
  const registry = new Registry();
  InferenceMetrics.for(services.inference).registerIn(registry);
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Binds the port alone for a moment, then frees it for the threads, which share it (reusePort).
 * That refuses a port already in use by anyone, another predictql with reusePort included (it
 * would otherwise silently share it), and resolves port 0 to one port for all threads.
 */
function claimPort(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => {
      const address = probe.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      probe.close(() => resolve(bound));
    });
  });
}
