/**
 * Every model the server serves, loaded from one folder per model at start. Loading is all or
 * nothing: a folder that cannot be loaded, checked and warmed up stops the server from starting,
 * with the file and the problem named.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest, ManifestError } from './manifest.ts';
import { ModelSession, type ModelRunner } from './model-session.ts';
import { defaultSessionSettings, type SessionSettings } from './session-options.ts';
import { packRows, splitRows } from './tensors.ts';

export interface BatchStats {
  model: string;
  /** Rows in the run. */
  size: number;
  /** From the first item being asked for (`enqueuedAtMs`) to the run starting. */
  queueMs: number;
  /** The run itself, packing and splitting excluded. */
  computeMs: number;
  /** `performance.now()` when the run started. */
  startedAtMs: number;
  executionProvider: string;
}

export interface BatchResult {
  outputs: Float32Array[];
  stats: BatchStats;
}

export interface ModelCounters {
  runs: number;
  items: number;
  failedRuns: number;
}

export interface RegistryLoadOptions {
  settings?: SessionSettings;
  warn?: (message: string) => void;
}

export class ModelRegistry {
  readonly #models = new Map<string, ModelRunner>();
  readonly #counters = new Map<string, ModelCounters>();

  constructor(models: Iterable<ModelRunner>) {
    for (const model of models) {
      const { name } = model.manifest;
      if (this.#models.has(name)) throw new Error(`Two models are named "${name}"; model names must be unique.`);
      this.#models.set(name, model);
      this.#counters.set(name, { runs: 0, items: 0, failedRuns: 0 });
    }
  }

  static async load(modelsDir: string, options: RegistryLoadOptions = {}): Promise<ModelRegistry> {
    const settings = options.settings ?? defaultSessionSettings;
    const folders = await listModelFolders(modelsDir);
    if (folders.length === 0) throw new ManifestError(modelsDir, 'holds no model folder (expected <name>/manifest.json + model.onnx)');
    const models: ModelRunner[] = [];
    // One after another: session creation is CPU-bound and loading in parallel gains nothing on 2 cores.
    for (const folder of folders) {
      const manifestFile = join(folder, 'manifest.json');
      const manifest = await readManifest(manifestFile);
      const folderName = folder.split(/[\\/]/).pop();
      if (manifest.name !== folderName) {
        throw new ManifestError(manifestFile, `"name" is "${manifest.name}" but the folder is "${folderName}"; they must match`);
      }
      models.push(await ModelSession.load(folder, manifest, { settings, warn: options.warn }));
    }
    return new ModelRegistry(models);
  }

  get names(): string[] {
    return [...this.#models.keys()];
  }

  list(): ModelRunner[] {
    return [...this.#models.values()];
  }

  get(name: string): ModelRunner | undefined {
    return this.#models.get(name);
  }

  counters(name: string): ModelCounters {
    const counters = this.#counters.get(name);
    if (!counters) throw new Error(`No model named "${name}".`);
    return { ...counters };
  }

  /** Counts a run made outside `predict` (by a scheduler's executor), so counters cover every run. */
  noteRun(name: string, rows: number, failed: boolean): void {
    const counters = this.#counters.get(name);
    if (!counters) return;
    counters.runs++;
    counters.items += rows;
    if (failed) counters.failedRuns++;
  }

  /**
   * Runs `rows` through `name` in one batch and returns one output row per input row, in order.
   * Throws when the run fails; the whole batch shares that fate.
   */
  async predict(name: string, rows: readonly Float32Array[], enqueuedAtMs = performance.now()): Promise<BatchResult> {
    const model = this.#models.get(name);
    if (!model) throw new Error(`No model named "${name}".`);
    const counters = this.#counters.get(name)!;
    const packed = packRows(rows, model.manifest.features.length);
    const startedAtMs = performance.now();
    let data: Float32Array;
    try {
      data = await model.run(packed, rows.length);
    } catch (error) {
      counters.failedRuns++;
      throw error;
    } finally {
      counters.runs++;
      counters.items += rows.length;
    }
    const computeMs = performance.now() - startedAtMs;
    const outputs = splitRows(data, rows.length, model.manifest.outputs.length);
    return {
      outputs,
      stats: {
        model: name,
        size: rows.length,
        queueMs: startedAtMs - enqueuedAtMs,
        computeMs,
        startedAtMs,
        executionProvider: model.executionProvider,
      },
    };
  }
}

// Private: every directory is a model folder and must load; files beside them (the sample catalog,
// the training script) are not models. Names starting with "." or "_" (e.g. __pycache__) are skipped.
async function listModelFolders(modelsDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(modelsDir, { withFileTypes: true });
  } catch (error) {
    throw new ManifestError(modelsDir, `cannot be read as the models folder (${(error as Error).message})`);
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_'))
    .map((e) => join(modelsDir, e.name))
    .sort();
}
