/**
 * Every model the server serves, loaded from one folder per model at start. Loading is all or
 * nothing: a folder that cannot be loaded, checked and warmed up stops the server from starting,
 * with the file and the problem named.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelRunner, ModelSession } from './execution/model-session.ts';
import { defaultSessionSettings, type SessionSettings } from './execution/session-options.ts';
import { ManifestError, readManifest } from './manifest.ts';
import type { ModelView } from './model-view.ts';
import type { TextPadding } from './tensors.ts';

export interface RegistryLoadOptions {
  settings?: SessionSettings;
  warn?: (message: string) => void;
  /** How a text model's runs are padded: to their longest row (default), or to maxTokens (the fixed-length baseline of the benchmarks). */
  textPadding?: TextPadding;
}

/**
 * Models by name: runners (with a session) where the models run, views (src/inference/model-view.ts)
 * in a GraphQL thread, which only encodes inputs and reads outputs.
 */
export class ModelRegistry<M extends ModelView = ModelRunner> {
  readonly #models = new Map<string, M>();

  constructor(models: Iterable<M>) {
    for (const model of models) {
      const { name } = model.manifest;
      if (this.#models.has(name)) throw new Error(`Two models are named "${name}"; model names must be unique.`);
      this.#models.set(name, model);
    }
  }

  static async load(modelsDir: string, options: RegistryLoadOptions = {}): Promise<ModelRegistry<ModelRunner>> {
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
      models.push(
        await ModelSession.load(folder, manifest, { settings, warn: options.warn, textPadding: options.textPadding ?? 'longest' }),
      );
    }
    return new ModelRegistry(models);
  }

  get names(): string[] {
    return [...this.#models.keys()];
  }

  list(): M[] {
    return [...this.#models.values()];
  }

  get(name: string): M | undefined {
    return this.#models.get(name);
  }
}

/**
 * The registry as runners, for a service that runs its models on this thread; throws a TypeError
 * naming the first model that is a view without a session (a GraphQL thread's).
 */
export function runnersOf(registry: ModelRegistry<ModelView>): ModelRegistry<ModelRunner> {
  for (const model of registry.list()) {
    if (typeof (model as Partial<ModelRunner>).run !== 'function') {
      throw new TypeError(
        `a model that runs on this thread must have a session, but got a view without one: ${JSON.stringify(model.manifest.name)}`,
      );
    }
  }
  return registry as ModelRegistry<ModelRunner>;
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
