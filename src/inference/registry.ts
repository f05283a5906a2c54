/**
 * Every model the server serves, each in one or more versions (model-versions.ts), loaded from one
 * folder per model at start. Loading at start is all or nothing: a folder that cannot be loaded,
 * checked and warmed up stops the server from starting, with the file and the problem named.
 *
 * The registry is live: a reload (src/model-control/) publishes the next set of versions as a
 * whole, and a request reads one `snapshot()` for its life, so its fields never see two sets.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelRunner, ModelSession } from './execution/model-session.ts';
import { defaultSessionSettings, type SessionSettings } from './execution/session-options.ts';
import { ManifestError, readManifest } from './manifest.ts';
import { readModelVersions, type VersionFolder } from './model-versions.ts';
import type { ModelView } from './model-view.ts';
import type { TextPadding } from './tensors.ts';

export interface RegistryLoadOptions {
  settings?: SessionSettings;
  warn?: (message: string) => void;
  /** How a text model's runs are padded: to their longest row (default), or to maxTokens (the fixed-length baseline of the benchmarks). */
  textPadding?: TextPadding;
}

/** A model's served versions, lowest first, and the one a field without `version:` gets. */
interface ServedVersions<M> {
  versions: M[];
  defaultModel: M;
}

/**
 * Models by name and version: runners (with a session) where the models run, views
 * (src/inference/model-view.ts) in a GraphQL thread, which only encodes inputs and reads outputs.
 */
export class ModelRegistry<M extends ModelView = ModelRunner> {
  #models: ReadonlyMap<string, ServedVersions<M>>;
  #snapshot: ModelRegistry<M> | undefined;
  /** On a snapshot: requests holding it (hold/release), and who waits for the last to let go. */
  #holds = 0;
  #frozen = false;
  #releaseWaiters: (() => void)[] = [];

  /** `defaults`: the version a field without `version:` gets, per model name (default: its highest). */
  constructor(models: Iterable<M>, defaults: ReadonlyMap<string, number> = new Map()) {
    this.#models = servedVersions(models, defaults);
  }

  static async load(modelsDir: string, options: RegistryLoadOptions = {}): Promise<ModelRegistry<ModelRunner>> {
    const folders = await listModelFolders(modelsDir);
    if (folders.length === 0)
      throw new ManifestError(modelsDir, 'holds no model folder (expected <name>/manifest.json + model.onnx, or <name>/<version>/…)');
    const models: ModelRunner[] = [];
    const defaults = new Map<string, number>();
    // One after another: session creation is CPU-bound and loading in parallel gains nothing on 2 cores.
    for (const folder of folders) {
      const versions = await readModelVersions(folder);
      for (const version of versions.served) models.push(await loadModelVersion(folder, version, options));
      defaults.set(folder.split(/[\\/]/).pop()!, versions.defaultVersion);
    }
    return new ModelRegistry(models, defaults);
  }

  /** Model names, sorted. */
  get names(): string[] {
    return [...this.#models.keys()];
  }

  /** Each model's default version (the one a field without `version:` gets). */
  list(): M[] {
    return [...this.#models.values()].map((m) => m.defaultModel);
  }

  /** Every served version of every model. */
  all(): M[] {
    return [...this.#models.values()].flatMap((m) => m.versions);
  }

  /** The model `name` in `version`, or its default version; undefined when not served. */
  get(name: string, version?: number): M | undefined {
    const served = this.#models.get(name);
    if (version === undefined) return served?.defaultModel;
    return served?.versions.find((m) => m.version === version);
  }

  /**
   * How logs name a model version: its name alone for a model served as its one version 1 (a folder
   * without version folders), else "name@version".
   */
  labelOf(model: { manifest: { name: string }; version: number }): string {
    const { name } = model.manifest;
    return model.version === 1 && this.versions(name).length <= 1 ? name : `${name}@${model.version}`;
  }

  /** The served versions of `name`, lowest first (empty when no such model). */
  versions(name: string): number[] {
    return this.#models.get(name)?.versions.map((m) => m.version) ?? [];
  }

  /** The models as they are now, unchanged by later publishes. */
  snapshot(): ModelRegistry<M> {
    if (!this.#snapshot) {
      const fixed = new ModelRegistry<M>([]);
      fixed.#models = this.#models;
      fixed.#snapshot = fixed;
      fixed.#frozen = true;
      this.#snapshot = fixed;
    }
    return this.#snapshot;
  }

  /**
   * The snapshot one request reads for its life, counted until it calls `release()` on it: a
   * reload retires the versions of an older snapshot only once no request holds it.
   */
  hold(): ModelRegistry<M> {
    const snapshot = this.snapshot();
    snapshot.#holds++;
    return snapshot;
  }

  /** A request holding this snapshot (hold()) is done with it. */
  release(): void {
    if (this.#holds === 0) return;
    this.#holds--;
    if (this.#holds === 0) for (const resolve of this.#releaseWaiters.splice(0)) resolve();
  }

  /** Resolves true once no request holds this snapshot, or false after `timeoutMs`. */
  released(timeoutMs: number): Promise<boolean> {
    if (this.#holds === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#releaseWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Serves `models` from now on (every version of every model, checked as the constructor does);
   * returns the snapshot it replaces, which requests under way may still hold.
   */
  publish(models: Iterable<M>, defaults: ReadonlyMap<string, number> = new Map()): ModelRegistry<M> {
    if (this.#frozen) throw new Error('a snapshot of the registry cannot be published to');
    const previous = this.snapshot();
    this.#models = servedVersions(models, defaults);
    this.#snapshot = undefined;
    return previous;
  }

  /** Each model's default version, by name. */
  defaults(): Map<string, number> {
    return new Map([...this.#models].map(([name, m]) => [name, m.defaultModel.version]));
  }
}

/** Loads one version of the model in `modelFolder` (its manifest's name must be the folder's). */
export async function loadModelVersion(
  modelFolder: string,
  version: VersionFolder,
  options: RegistryLoadOptions = {},
): Promise<ModelRunner> {
  const manifestFile = join(version.folder, 'manifest.json');
  const manifest = await readManifest(manifestFile);
  const folderName = modelFolder.split(/[\\/]/).pop();
  if (manifest.name !== folderName) {
    throw new ManifestError(manifestFile, `"name" is "${manifest.name}" but the model folder is "${folderName}"; they must match`);
  }
  return ModelSession.load(version.folder, manifest, {
    settings: options.settings ?? defaultSessionSettings,
    version: version.version,
    warn: options.warn,
    textPadding: options.textPadding ?? 'longest',
  });
}

/**
 * The registry as runners, for a service that runs its models on this thread; throws a TypeError
 * naming the first model that is a view without a session (a GraphQL thread's).
 */
export function runnersOf(registry: ModelRegistry<ModelView>): ModelRegistry<ModelRunner> {
  for (const model of registry.all()) {
    if (typeof (model as Partial<ModelRunner>).run !== 'function') {
      throw new TypeError(
        `a model that runs on this thread must have a session, but got a view without one: ${JSON.stringify(model.manifest.name)}`,
      );
    }
  }
  return registry as ModelRegistry<ModelRunner>;
}

// Private: the models grouped by name, versions sorted; two models of one name and version, or a
// default that is not served, are refused.
function servedVersions<M extends ModelView>(models: Iterable<M>, defaults: ReadonlyMap<string, number>): Map<string, ServedVersions<M>> {
  const byName = new Map<string, M[]>();
  for (const model of models) {
    const { name } = model.manifest;
    const versions = byName.get(name) ?? [];
    if (versions.some((m) => m.version === model.version))
      throw new Error(`Two models are named "${name}" in version ${model.version}; a model's versions must be unique.`);
    versions.push(model);
    byName.set(name, versions);
  }
  const served = new Map<string, ServedVersions<M>>();
  for (const name of [...byName.keys()].sort()) {
    const versions = byName.get(name)!.sort((a, b) => a.version - b.version);
    const wanted = defaults.get(name);
    const defaultModel = wanted === undefined ? versions[versions.length - 1]! : versions.find((m) => m.version === wanted);
    if (!defaultModel)
      throw new Error(`The default version ${wanted} of "${name}" is not served (served: ${versions.map((m) => m.version).join(', ')}).`);
    served.set(name, { versions, defaultModel });
  }
  return served;
}

// Private: every directory is a model folder and must load; files beside them (examples files,
// the training script) are not models. Names starting with "." or "_" (e.g. __pycache__) are skipped.
async function listModelFolders(modelsDir: string): Promise<string[]> {
  let entries: Dirent[];
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

/** The folder of model `name` under `modelsDir`. */
export function modelFolderOf(modelsDir: string, name: string): string {
  return join(modelsDir, name);
}
