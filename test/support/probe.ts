/**
 * Probes on the real models, independent of the scheduler's own bookkeeping: every run that
 * reaches a model is counted where it reaches it (the runner on the JS thread, the worker's
 * message handler on a worker thread), with its size and whether it failed. Tests count runs and
 * rows from here, then check the trace, the metrics and the batchers' counters against it.
 *
 * A probe can also hold a run: `hold()` arms it, the next run holding a row whose first feature
 * is HOLD_MARKER blocks (on the JS thread: awaits; on a worker: Atomics.wait), `holding()`
 * resolves once it is blocked, and `release()` or `kill()` ends it. That is how tests keep a
 * model busy (so that work queues behind it) or kill a worker in the middle of a run, with no timer.
 *
 * State lives in a SharedArrayBuffer handed to the model's workers (instrumented-worker.ts).
 */
import type { ModelRegistry, ModelRunner, PackedBatch, PackedOutputs } from '../../src/inference/index.ts';
import { ModelRegistry as Registry } from '../../src/inference/index.ts';
import {
  ARMED,
  FAILED_RUNS,
  GATE,
  HOLD_MARKER,
  HOLDING,
  hasMarker,
  KILL,
  RELEASED,
  ROWS,
  RUNS,
  SIZE_SLOTS,
  SIZES,
  takeGate,
} from './probe-memory.ts';
import { WrappedRunner } from './runners.ts';

export { HOLD_MARKER } from './probe-memory.ts';
/** The worker script that counts and holds (and crashes or hangs on CRASH_MARKER / HANG_MARKER). */
export const instrumentedWorker = new URL('./instrumented-worker.ts', import.meta.url);

export interface RunCounts {
  runs: number;
  items: number;
  failedRuns: number;
}

export class ModelProbe {
  readonly name: string;
  readonly shared = new Int32Array(new SharedArrayBuffer((SIZES + SIZE_SLOTS) * 4));

  constructor(name: string) {
    this.name = name;
  }

  counts(): RunCounts {
    return {
      runs: Atomics.load(this.shared, RUNS),
      items: Atomics.load(this.shared, ROWS),
      failedRuns: Atomics.load(this.shared, FAILED_RUNS),
    };
  }

  /** Sizes of the runs numbered [from, to) (as counted by `counts().runs`). */
  sizes(from: number, to = this.counts().runs): number[] {
    if (to - from > SIZE_SLOTS) throw new RangeError(`only the last ${SIZE_SLOTS} run sizes are kept`);
    return Array.from({ length: to - from }, (_, i) => Atomics.load(this.shared, SIZES + ((from + i) % SIZE_SLOTS)));
  }

  /** The next run holding a HOLD_MARKER row blocks until release() or kill(). */
  hold(): void {
    Atomics.store(this.shared, HOLDING, 0);
    Atomics.store(this.shared, GATE, ARMED);
  }

  /** Resolves once a run is blocked by the armed hold. */
  async holding(): Promise<void> {
    while (Atomics.load(this.shared, HOLDING) === 0) await Atomics.waitAsync(this.shared, HOLDING, 0).value;
  }

  /** Lets the held run go on (later marker rows pass). */
  release(): void {
    this.#open(RELEASED);
  }

  /** Ends the held run: a worker exits (code 70) holding it; on the JS thread the run throws. Later runs pass. */
  kill(): void {
    this.#open(KILL);
  }

  /** Counts a run that reached the model on this thread (the worker counts its own). */
  recordRun(rows: number): void {
    const index = Atomics.add(this.shared, RUNS, 1);
    Atomics.add(this.shared, ROWS, rows);
    Atomics.store(this.shared, SIZES + (index % SIZE_SLOTS), rows);
  }

  recordFailure(): void {
    Atomics.add(this.shared, FAILED_RUNS, 1);
  }

  /** On the JS thread: blocks (awaits) if the hold is armed and a row is a HOLD_MARKER row. */
  async maybeHold(batch: PackedBatch): Promise<void> {
    if (Atomics.load(this.shared, GATE) !== ARMED || !hasMarker(batch, HOLD_MARKER)) return;
    Atomics.store(this.shared, HOLDING, 1);
    Atomics.notify(this.shared, HOLDING);
    while (Atomics.load(this.shared, GATE) === ARMED) await Atomics.waitAsync(this.shared, GATE, ARMED).value;
    if (takeGate(this.shared) === KILL) throw new Error('the probe killed this run');
  }

  #open(state: number): void {
    Atomics.store(this.shared, GATE, state);
    Atomics.notify(this.shared, GATE);
  }
}

/** A real model runner that reports every run to its probe (and can be held by it). */
export class ProbedRunner extends WrappedRunner {
  readonly probe: ModelProbe;

  constructor(inner: ModelRunner, probe: ModelProbe) {
    super(inner);
    this.probe = probe;
  }

  override async run(batch: PackedBatch): Promise<PackedOutputs> {
    this.probe.recordRun(batch.rows);
    try {
      await this.probe.maybeHold(batch);
      return await this.inner.run(batch);
    } catch (error) {
      this.probe.recordFailure();
      throw error;
    }
  }
}

// Only runners that can leave the JS thread get a workerSetup: the probe's memory travels with it.
function probed(inner: ModelRunner, probe: ModelProbe): ModelRunner {
  const runner = new ProbedRunner(inner, probe);
  if (!inner.workerSetup) return runner;
  return Object.assign(runner, { workerSetup: () => ({ ...inner.workerSetup!(), probe: probe.shared }) });
}

/** The probe of a model version: its name for version 1 (most models have no other), else "name@version". */
export function probeName(model: { manifest: { name: string }; version: number }): string {
  return model.version === 1 ? model.manifest.name : `${model.manifest.name}@${model.version}`;
}

/** Probes of every model of a registry, and the registry of probed runners to serve. */
export class Probes {
  readonly byModel = new Map<string, ModelProbe>();

  /** Wraps every model of `registry` (use as loadServices' `wrapModels`). */
  wrap = (registry: ModelRegistry): ModelRegistry => {
    return new Registry(registry.all().map(this.wrapOne), registry.defaults());
  };

  /**
   * Wraps one model version (as runServer's `wrapReloaded`, for the versions model control loads).
   * Version 1 of a model is probed under its name, another version under "name@version".
   */
  wrapOne = (model: ModelRunner): ModelRunner => probed(model, this.probe(probeName(model)));

  probe(model: string): ModelProbe {
    let probe = this.byModel.get(model);
    if (!probe) {
      probe = new ModelProbe(model);
      this.byModel.set(model, probe);
    }
    return probe;
  }

  snapshot(): Record<string, RunCounts> {
    return Object.fromEntries([...this.byModel].map(([name, probe]) => [name, probe.counts()]));
  }

  /** Runs `action` and returns its result with the runs (and rows, and failures) it made per model. */
  async counted<T>(action: () => Promise<T>): Promise<{ result: T; runs: Record<string, RunCounts> }> {
    const before = this.snapshot();
    const result = await action();
    const after = this.snapshot();
    const runs = Object.fromEntries(
      Object.entries(after).map(([name, a]) => {
        const b = before[name] ?? { runs: 0, items: 0, failedRuns: 0 };
        return [name, { runs: a.runs - b.runs, items: a.items - b.items, failedRuns: a.failedRuns - b.failedRuns }];
      }),
    );
    return { result, runs };
  }
}

/** The real runner under a probe (to wrap it anew, e.g. with a fault, under a probe of its own). */
export function unprobed(runner: ModelRunner): ModelRunner {
  return runner instanceof ProbedRunner ? runner.inner : runner;
}
