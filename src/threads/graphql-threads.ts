/**
 * The owner thread's GraphQL threads: it starts them, has each listen on the shared port, hands
 * them the model views and serves their prediction ports from its InferenceService
 * (prediction-bridge.ts), then drains and closes them. A thread that dies while serving is logged
 * and replaced; its requests in flight are lost (the others keep serving). A scrape of /metrics on
 * any thread gets every thread's metrics and the owner's, gathered here.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { InferenceService, ModelViewData } from '../inference/index.ts';
import type { MetricsJson } from '../metrics/aggregate-metrics.ts';
import { servePredictions } from './prediction-bridge.ts';
import type { GraphQLThreadData, OwnerMessage, ThreadMessage } from './thread-messages.ts';

const threadUrl = new URL('./graphql-thread.ts', import.meta.url);

export interface GraphQLThreadsOptions {
  count: number;
  config: Config;
  log: { info(message: string): void; error(message: string, error?: unknown): void };
  /** Every thread is gone and none could be replaced: nothing serves the port any more. */
  onNoThreads: () => void;
}

/** What the threads serve, once the models are loaded. */
interface Served {
  service: InferenceService;
  models: ModelViewData[];
  defaults: [string, number][];
  /** The owner's metrics (model runs, the process), added to every scrape. */
  metrics: Registry | undefined;
}

// Private: one running thread: its worker, its prediction port, and who waits for its messages.
interface Thread {
  index: number;
  worker: Worker;
  predictions: MessagePort;
  serving: boolean;
  /** Resolves the next message of a type; rejects when the thread fails or exits first. */
  waiters: { type: ThreadMessage['type']; resolve: (m: ThreadMessage) => void; reject: (e: Error) => void }[];
  collections: Map<number, (metrics: MetricsJson) => void>;
  /** The last generation of models it said it serves (SwitchedMessage), and who waits for the next. */
  switched: number;
  switchWaiters: (() => void)[];
}

export class GraphQLThreads {
  /** Requests in flight per thread (its slot is index − 1), written by the threads themselves. */
  readonly inFlight: Int32Array;
  readonly #options: GraphQLThreadsOptions;
  readonly #threads = new Map<number, Thread>();
  #listen: { port: number; host: string } | undefined;
  #served: Served | undefined;
  #closing = false;
  #nextCollection = 1;
  #generation = 0;
  /** Threads started so far, replacements included. */
  starts = 0;

  constructor(options: GraphQLThreadsOptions) {
    this.#options = options;
    this.inFlight = new Int32Array(new SharedArrayBuffer(4 * options.count));
  }

  /** Threads serving now. */
  get serving(): number {
    return [...this.#threads.values()].filter((t) => t.serving).length;
  }

  /** Requests received by some thread and not yet answered. */
  get requestsInFlight(): number {
    return this.inFlight.reduce((sum, _, i) => sum + Atomics.load(this.inFlight, i), 0);
  }

  /** Starts every thread and has it listen (health answers "loading models" until serve()). */
  async listen(port: number, host: string): Promise<void> {
    this.#listen = { port, host };
    const threads = Array.from({ length: this.#options.count }, (_, i) => this.#start(i + 1));
    await Promise.all(threads.map((t) => this.#ask(t, { type: 'listen', port, host }, 'listening')));
  }

  /** Gives every thread the models and their service; resolves once all of them serve. */
  async serve(served: Served): Promise<void> {
    this.#served = served;
    const threads = [...this.#threads.values()];
    for (const t of threads) servePredictions(t.predictions, served.service, (g) => this.#switched(t, g));
    await Promise.all(threads.map((t) => this.#ask(t, { type: 'models', models: served.models, defaults: served.defaults }, 'built')));
    // Only once every thread can answer: /ready turns 200 on all of them together.
    await Promise.all(threads.map((t) => this.#ask(t, { type: 'serve' }, 'serving')));
    for (const t of threads) t.serving = true;
  }

  /**
   * A reload: every serving thread serves `models` from now on; resolves once each has said so,
   * after its last request holding the previous models (or once it exited).
   */
  async publish(models: ModelViewData[], defaults: [string, number][], retireWaitMs: number): Promise<void> {
    const served = this.#served!;
    this.#served = { ...served, models, defaults };
    const generation = ++this.#generation;
    const threads = [...this.#threads.values()].filter((t) => t.serving);
    await Promise.all(
      threads.map((t) => {
        const done = new Promise<void>((resolve) => t.switchWaiters.push(resolve));
        t.worker.postMessage({ type: 'publish-models', generation, models, defaults, retireWaitMs } satisfies OwnerMessage);
        return done;
      }),
    );
  }

  /** /ready turns 503 on every thread; requests are still answered. */
  drain(): void {
    this.#closing = true;
    for (const t of this.#threads.values()) t.worker.postMessage({ type: 'drain' } satisfies OwnerMessage);
  }

  /** Every thread stops accepting, answers its requests in flight, flushes its spans and exits. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#threads.values()].map((t) => this.#stop(t)));
  }

  /** Past the shutdown bound: every thread drops its connections, answered or not. */
  closeAllConnections(): void {
    for (const t of this.#threads.values()) t.worker.postMessage({ type: 'close-connections' } satisfies OwnerMessage);
  }

  /** Ends thread `index` as a crash would (operations and tests); a serving thread is replaced. */
  async terminate(index: number): Promise<void> {
    await this.#threads.get(index)?.worker.terminate();
  }

  #start(index: number): Thread {
    const { port1, port2 } = new MessageChannel();
    const data: GraphQLThreadData = { index, config: this.#options.config, predictions: port2, inFlight: this.inFlight };
    const worker = new Worker(threadUrl, { workerData: data, transferList: [port2] });
    this.starts++;
    const thread: Thread = {
      index,
      worker,
      predictions: port1,
      serving: false,
      waiters: [],
      collections: new Map(),
      switched: this.#generation,
      switchWaiters: [],
    };
    this.#threads.set(index, thread);
    worker.on('message', (message: ThreadMessage) => this.#receive(thread, message));
    worker.on('error', (error) => this.#options.log.error(`GraphQL thread ${index} failed:`, error));
    worker.on('exit', (code) => this.#exited(thread, code));
    return thread;
  }

  #switched(thread: Thread, generation: number): void {
    thread.switched = generation;
    if (generation === this.#generation) for (const resolve of thread.switchWaiters.splice(0)) resolve();
  }

  #receive(thread: Thread, message: ThreadMessage): void {
    if (message.type === 'scrape') {
      void this.#gatherMetrics().then(({ owner, threads }) =>
        thread.worker.postMessage({ type: 'metrics', id: message.id, owner, threads } satisfies OwnerMessage),
      );
      return;
    }
    if (message.type === 'collected-metrics') {
      thread.collections.get(message.id)?.(message.metrics as MetricsJson);
      thread.collections.delete(message.id);
      return;
    }
    if (message.type === 'failed' && thread.waiters.length === 0) {
      // Not the answer to a step of its life (a drain, a close-connections): still worth a line.
      this.#options.log.error(`GraphQL thread ${thread.index} failed: ${message.message}`);
      return;
    }
    const waiters = thread.waiters;
    thread.waiters = [];
    for (const waiter of waiters) {
      if (message.type === 'failed') waiter.reject(new Error(message.message));
      else if (message.type === waiter.type) waiter.resolve(message);
      else thread.waiters.push(waiter);
    }
  }

  #ask(thread: Thread, message: OwnerMessage, answer: ThreadMessage['type']): Promise<ThreadMessage> {
    const reply = new Promise<ThreadMessage>((resolve, reject) => thread.waiters.push({ type: answer, resolve, reject }));
    thread.worker.postMessage(message);
    return reply;
  }

  async #stop(thread: Thread): Promise<void> {
    const exited = new Promise<void>((resolve) => thread.worker.once('exit', () => resolve()));
    // A thread that fails to close still ends: its exit is what the owner waits for.
    await this.#ask(thread, { type: 'close' }, 'closed').catch((error: unknown) => {
      this.#options.log.error(`GraphQL thread ${thread.index} could not close cleanly:`, error);
      void thread.worker.terminate();
    });
    await exited;
  }

  #exited(thread: Thread, code: number): void {
    if (this.#threads.get(thread.index) === thread) this.#threads.delete(thread.index);
    Atomics.store(this.inFlight, thread.index - 1, 0);
    thread.predictions.close();
    const error = new Error(`GraphQL thread ${thread.index} exited (code ${code})`);
    for (const waiter of thread.waiters) waiter.reject(error);
    thread.waiters = [];
    for (const collect of thread.collections.values()) collect([]);
    thread.collections.clear();
    // A thread that is gone holds no models: a reload waiting for it goes on.
    for (const resolve of thread.switchWaiters.splice(0)) resolve();
    if (this.#closing || !thread.serving) return;
    this.#options.log.error(
      `GraphQL thread ${thread.index} exited unexpectedly (code ${code}); its requests in flight are lost; replacing it`,
    );
    void this.#replace(thread.index);
  }

  // Private: a new thread in the dead one's place: built and serving before it takes connections.
  async #replace(index: number): Promise<void> {
    const served = this.#served!;
    const listen = this.#listen!;
    const thread = this.#start(index);
    servePredictions(thread.predictions, served.service, (g) => this.#switched(thread, g));
    try {
      await this.#ask(thread, { type: 'models', models: served.models, defaults: served.defaults }, 'built');
      await this.#ask(thread, { type: 'serve' }, 'serving');
      await this.#ask(thread, { type: 'listen', ...listen }, 'listening');
      thread.serving = true;
      this.#options.log.info(`GraphQL thread ${index} replaced`);
    } catch (error) {
      this.#options.log.error(`GraphQL thread ${index} could not be replaced:`, error);
      void thread.worker.terminate();
      if (this.serving === 0 && !this.#closing) this.#options.onNoThreads();
    }
  }

  // Private: the owner's metrics and every serving thread's (a thread that exits meanwhile adds none).
  async #gatherMetrics(): Promise<{ owner: string; threads: MetricsJson[] }> {
    const owner = (await this.#served?.metrics?.metrics()) ?? '';
    const threads = [...this.#threads.values()].filter((t) => t.serving);
    const collected = await Promise.all(
      threads.map((t) => {
        const id = this.#nextCollection++;
        const metrics = new Promise<MetricsJson>((resolve) => t.collections.set(id, resolve));
        t.worker.postMessage({ type: 'collect-metrics', id } satisfies OwnerMessage);
        return metrics;
      }),
    );
    return { owner, threads: collected };
  }
}
