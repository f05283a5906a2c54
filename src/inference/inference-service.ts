/**
 * The serving side of the models: one dynamic batcher per model, each with its executor (on the
 * JS thread or on a worker thread). Loaders of every request submit here; the batcher merges
 * their jobs into runs.
 */
import { type BatchExecutor, InThreadExecutor } from './execution/executor.ts';
import type { ModelRunner } from './execution/model-session.ts';
import { WorkerExecutor, type WorkerExecutorOptions } from './execution/worker-executor.ts';
import type { ModelRegistry } from './registry.ts';
import { type CachedModel, cachePrefix, predictThroughCache, ResponseCache } from './response-cache.ts';
import { type BatcherCounters, DynamicBatcher, type RunObservation } from './scheduler/dynamic-batcher.ts';
import type { JobMeta, JobResult } from './scheduler/job.ts';
import { defaultSchedulerOptions, type SchedulerOptions } from './scheduler/scheduler-options.ts';
import type { PackedBatch } from './tensors.ts';

/** Which load of which model a job is for: a model's view (ModelView) is one. */
export interface ModelRef {
  readonly manifest: { readonly name: string };
  readonly version: number;
  readonly loadId: number;
}

/** `auto` measures the model at start and picks `worker` when a large batch would block the event loop. */
export type ExecutorChoice = 'auto' | 'main' | 'worker';

export interface InferenceServiceOptions {
  scheduler?: Partial<SchedulerOptions>;
  /** Per model name; models not listed use `defaultExecutor`. A name that is not loaded is refused. */
  executors?: Readonly<Record<string, ExecutorChoice>>;
  defaultExecutor?: ExecutorChoice;
  /** `auto` picks the worker when a run of `autoProbeRows` takes longer than this on the JS thread. */
  autoWorkerThresholdMs?: number;
  autoProbeRows?: number;
  onRun?: (run: RunObservation) => void;
  /** The worker script of `worker` executors. Default the real one; fault tests hand in another. */
  workerFile?: URL;
  /** Worker executors fail a run that takes longer, and retire its worker; 0 = never. */
  runTimeoutMs?: number;
  /** The response cache's bound in bytes (response-cache.ts), shared by every model; 0 = off. */
  responseCacheBytes?: number;
}

/** The defaults of InferenceServiceOptions (config.ts reads them too). */
export const defaultInferenceOptions = {
  defaultExecutor: 'auto' as ExecutorChoice,
  /** 2 ms: a run on the JS thread is a pause in serving every other request; the goal is an event-loop p99 ≤ 5 ms. */
  autoWorkerThresholdMs: 2,
  autoProbeRows: 1000,
  /** Long enough for any sane batch of the shipped models (a 4096-row GBDT run takes ~10 ms), short enough to free a stuck worker. */
  runTimeoutMs: 30_000,
  /**
   * Off, as Triton's: a cached answer skips the run, which trades memory for runs, and how much
   * memory repeated inputs deserve is the operator's call (PREDICTQL_RESPONSE_CACHE_BYTES).
   */
  responseCacheBytes: 0,
};

export interface ExecutorDecision {
  executor: 'main' | 'worker';
  reason: string;
}

// Private: one load of a model version, from addVersions to retire: everything the service keeps of it.
interface Load {
  model: ModelRunner;
  batcher: DynamicBatcher;
  /** Where it runs, and why. */
  decision: ExecutorDecision;
  /** How its rows are keyed in the response cache. */
  cached: CachedModel;
  /** Its rows answered from the response cache, and those that missed it. */
  cache: { hits: number; misses: number };
}

export class InferenceService {
  /** The models served now (a reload publishes the next set here: src/model-control/). */
  readonly registry: ModelRegistry;
  /** Every loaded model version, by its loadId (ModelView.loadId): a retiring one stays until its work is done. */
  readonly #loads = new Map<number, Load>();
  readonly #runListeners = new Set<(run: RunObservation) => void>();
  readonly #options: InferenceServiceOptions;
  /** Answers of earlier runs by model load and row bytes (response-cache.ts), for every thread's jobs. */
  readonly responseCache: ResponseCache;
  /** Loads of model versions while serving (model control), by model and result. */
  readonly loads = new Map<string, { loaded: number; failed: number }>();
  readonly #loadListeners = new Set<(model: string, seconds: number) => void>();

  private constructor(registry: ModelRegistry, options: InferenceServiceOptions) {
    this.registry = registry;
    this.#options = options;
    this.responseCache = new ResponseCache({ maxBytes: options.responseCacheBytes ?? defaultInferenceOptions.responseCacheBytes });
  }

  static async create(registry: ModelRegistry, options: InferenceServiceOptions = {}): Promise<InferenceService> {
    for (const name of Object.keys(options.executors ?? {})) {
      if (!registry.get(name)) {
        throw new TypeError(
          `executors names a model that is not loaded (loaded: ${registry.names.join(', ')}), but got: ${JSON.stringify(name)}`,
        );
      }
    }
    const service = new InferenceService(registry, options);
    await service.addVersions(registry.all());
    return service;
  }

  /**
   * Gives each of `models` (new versions, not yet in the registry) its executor and batcher, decided
   * as at start; nothing is routed to them until the registry publishes them.
   */
  async addVersions(models: readonly ModelRunner[]): Promise<void> {
    const options = this.#options;
    const workerOptions: WorkerExecutorOptions = {
      workerFile: options.workerFile,
      runTimeoutMs: options.runTimeoutMs ?? defaultInferenceOptions.runTimeoutMs,
    };
    for (const model of models) {
      const choice = options.executors?.[model.manifest.name] ?? options.defaultExecutor ?? defaultInferenceOptions.defaultExecutor;
      const decision = await decideExecutor(model, choice, options);
      this.#addModel(model, await createExecutor(model, decision.executor, workerOptions), decision, options);
    }
  }

  /**
   * Stops serving one model version: new jobs for it are refused as for an unknown model, its
   * queued and running work finishes on it, then its executor (worker) and session are released.
   */
  async retire(model: ModelRunner): Promise<void> {
    const load = this.#loads.get(model.loadId);
    if (!load) return;
    this.#loads.delete(model.loadId);
    // Its answers can never be served again: a version change never serves the old one's rows.
    this.responseCache.invalidate(load.cached.prefix);
    await load.batcher.close();
    await model.release?.();
  }

  /** A service whose models all run on the JS thread; needs no start-up measurement, so it is synchronous. */
  static inThread(registry: ModelRegistry, options: Omit<InferenceServiceOptions, 'executors' | 'defaultExecutor'> = {}): InferenceService {
    const service = new InferenceService(registry, options);
    for (const model of registry.all()) {
      service.#addModel(model, new InThreadExecutor(model), { executor: 'main', reason: 'configured' }, options);
    }
    return service;
  }

  /** Counts a version load by model control: loaded (with its load + warm-up time) or failed (refused; the old one serves on). */
  recordLoad(model: string, result: 'loaded' | 'failed', seconds?: number): void {
    let entry = this.loads.get(model);
    if (!entry) {
      entry = { loaded: 0, failed: 0 };
      this.loads.set(model, entry);
    }
    entry[result]++;
    if (seconds !== undefined) for (const listener of this.#loadListeners) listener(model, seconds);
  }

  /** Calls `listener` with each version load's time (the metrics' histogram). */
  onLoad(listener: (model: string, seconds: number) => void): void {
    this.#loadListeners.add(listener);
  }

  /** Whether jobs of different requests share runs. */
  get mergesRequests(): boolean {
    return this.batchers().every((b) => b.options.mergeRequests);
  }

  #addModel(model: ModelRunner, executor: BatchExecutor, decision: ExecutorDecision, options: InferenceServiceOptions): void {
    const { name } = model.manifest;
    const onRun = (run: RunObservation) => {
      options.onRun?.(run);
      for (const listener of this.#runListeners) {
        try {
          listener(run);
        } catch (error) {
          // An observer (metrics, tracing) must never stop the batcher from settling its jobs.
          console.error(`predictql: a run listener failed on model "${run.model}"`, error);
        }
      }
    };
    const rows = model.codec.layout.maxBatchRows;
    const padTo = model.codec.layout.inputs.find((t) => t.sequence?.fill === 'ids')?.sequence?.padTo;
    const rowLimit =
      rows === undefined
        ? undefined
        : { rows, reason: `model.onnx fixes its batch axis to ${rows}: ${rows === 1 ? 'one row' : `${rows} rows`} per run` };
    const batcher = new DynamicBatcher(
      {
        name,
        version: model.version,
        loadId: model.loadId,
        executionProvider: model.executionProvider,
        ...(rowLimit ? { rowLimit } : {}),
        ...(padTo ? { padTo } : {}),
      },
      executor,
      // A text model's own token budget (its manifest's maxBatchTokens) over the server's.
      model.manifest.maxBatchTokens ? { ...options.scheduler, maxBatchTokens: model.manifest.maxBatchTokens } : options.scheduler,
      onRun,
    );
    this.#loads.set(model.loadId, {
      model,
      batcher,
      decision,
      cached: { name, version: model.version, prefix: cachePrefix(name, model.version, model.loadId), inputs: model.codec.layout.inputs },
      cache: { hits: 0, misses: 0 },
    });
  }

  /**
   * Calls `listener` after every run of every model (metrics, tracing); returns the unsubscribe
   * function. It runs inside the batcher's bookkeeping: keep it short; what it throws is logged.
   */
  onRun(listener: (run: RunObservation) => void): () => void {
    this.#runListeners.add(listener);
    return () => this.#runListeners.delete(listener);
  }

  /**
   * Queues a job for `model` (packed by the loader with that model's codec, on this thread or a
   * GraphQL thread's: it runs on that very load of the model, whatever was published since); its
   * answer comes back packed, in arrays of its own. See DynamicBatcher.submit.
   */
  predict(model: ModelRef, job: PackedBatch, meta: JobMeta): Promise<JobResult> {
    const load = this.#loads.get(model.loadId);
    if (!load) return Promise.reject(new Error(`No model named "${model.manifest.name}" is served in version ${model.version}.`));
    const { batcher } = load;
    if (!this.responseCache.enabled) return batcher.submit(job, meta);
    return predictThroughCache(this.responseCache, load.cached, job, (rows) => batcher.submit(rows, meta)).then((result) => {
      const hits = result.runs.reduce((sum, run) => sum + (run.cached ? run.items : 0), 0);
      load.cache.hits += hits;
      load.cache.misses += job.rows - hits;
      return result;
    });
  }

  /**
   * The runner of a load while it has a batcher: a job encoded for a version that a reload has just
   * replaced still finds it (the GraphQL threads switch after the owner).
   */
  servedModel(loadId: number): ModelRunner | undefined {
    return this.#loads.get(loadId)?.model;
  }

  /** Each load's rows answered from the response cache and those that missed it (its metrics). */
  cacheCounts(): { model: string; version: number; hits: number; misses: number }[] {
    return [...this.#loads.values()].map(({ model, cache }) => ({ model: model.manifest.name, version: model.version, ...cache }));
  }

  /** The batcher of `model` in `version`, or of its default version. */
  batcher(model: string, version?: number): DynamicBatcher {
    const served = this.registry.get(model, version);
    const batcher = served === undefined ? undefined : this.#loads.get(served.loadId)?.batcher;
    if (!batcher) throw new Error(`No model named "${model}"${version === undefined ? '' : ` in version ${version}`}.`);
    return batcher;
  }

  /** Where `model` (its default version, or `version`) runs. */
  decision(model: string, version?: number): ExecutorDecision | undefined {
    const served = this.registry.get(model, version);
    return served === undefined ? undefined : this.#loads.get(served.loadId)?.decision;
  }

  batchers(): DynamicBatcher[] {
    return [...this.#loads.values()].map((load) => load.batcher);
  }

  counters(model: string, version?: number): BatcherCounters {
    return this.batcher(model, version).counters();
  }

  /** Runs what is queued now and stops waiting for more work (maxQueueDelayMs): the server is draining. */
  flush(): void {
    for (const batcher of this.batchers()) batcher.flush();
  }

  /** Finishes queued and running work, then stops workers. */
  async close(): Promise<void> {
    await Promise.all(this.batchers().map((b) => b.close()));
  }
}

async function decideExecutor(model: ModelRunner, choice: ExecutorChoice, options: InferenceServiceOptions): Promise<ExecutorDecision> {
  if (choice === 'main') return { executor: 'main', reason: 'configured' };
  if (!model.workerSetup) return { executor: 'main', reason: 'this runner cannot run on a worker' };
  if (choice === 'worker') return { executor: 'worker', reason: 'configured' };
  // A model that fixes its batch axis runs that many rows at most: the probe is one such run.
  let rows = Math.min(
    options.autoProbeRows ?? defaultInferenceOptions.autoProbeRows,
    model.codec.layout.maxBatchRows ?? Number.POSITIVE_INFINITY,
  );
  const thresholdMs = options.autoWorkerThresholdMs ?? defaultInferenceOptions.autoWorkerThresholdMs;
  const maxBatchTokens = model.manifest.maxBatchTokens ?? options.scheduler?.maxBatchTokens ?? defaultSchedulerOptions.maxBatchTokens;
  const { runMs, rows: probed } = await medianRunMs(model, rows, maxBatchTokens);
  rows = probed;
  return runMs > thresholdMs
    ? { executor: 'worker', reason: `a ${rows}-row run takes ${runMs.toFixed(2)} ms > ${thresholdMs} ms on the JS thread` }
    : {
        executor: 'main',
        reason: `a ${rows}-row run takes ${runMs.toFixed(2)} ms ≤ ${thresholdMs} ms; a worker round trip would cost more`,
      };
}

// Private: median of a few runs of rows spread over every feature's range, as they will be served
// (packed, run, unpacked); the first run (allocator growth) is discarded. A text model's run is
// one the batcher could form: as many sample rows as its token budget holds (rows × the longest).
async function medianRunMs(model: ModelRunner, rows: number, maxBatchTokens: number): Promise<{ runMs: number; rows: number }> {
  const executor = new InThreadExecutor(model);
  let encoded = Array.from({ length: rows }, (_, r) => {
    const result = model.codec.encode(model.codec.sampleValues(r % 97, 97));
    if (!result.ok) throw new Error(`${model.manifest.name}: a probe input is invalid: ${JSON.stringify(result.problems)}`);
    return result.row;
  });
  let packed = model.codec.pack(encoded);
  const fitting = packed.lengths ? rowsWithinTokens(packed.lengths, maxBatchTokens) : encoded.length;
  if (fitting < encoded.length) {
    encoded = encoded.slice(0, fitting);
    packed = model.codec.pack(encoded);
  }
  const parts = [{ rows: packed, start: 0, count: encoded.length }];
  await executor.run(parts);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await executor.run(parts);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { runMs: times[2]!, rows: encoded.length };
}

// Private: how many of the first rows fit in one run of at most `maxTokens` padded tokens (one at least).
function rowsWithinTokens(lengths: Int32Array, maxTokens: number): number {
  let longest = 0;
  for (let i = 0; i < lengths.length; i++) {
    longest = Math.max(longest, lengths[i]!);
    if ((i + 1) * longest > maxTokens) return Math.max(1, i);
  }
  return lengths.length;
}

async function createExecutor(model: ModelRunner, kind: 'main' | 'worker', options: WorkerExecutorOptions): Promise<BatchExecutor> {
  if (kind === 'main') return new InThreadExecutor(model);
  const executor = new WorkerExecutor(model.workerSetup!(), model.codec, options);
  await executor.start();
  return executor;
}
