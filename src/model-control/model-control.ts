/**
 * Reloads a model from its folder while the server serves it, as Triton's model control does,
 * without a dropped request: the versions its policy wants (model-versions.ts) that are new, or
 * whose files changed, are loaded, checked and warmed beside the ones serving; then the registry
 * publishes the new set in one step, every GraphQL thread switches to it, and only once no request
 * holds the old set are the versions it no longer serves retired (their queued and running work
 * finishes on them, then their sessions and workers are released). A version that fails to load,
 * or that would change the GraphQL API, is refused with a log line and a metric, and what served
 * keeps serving. One reload at a time.
 */
import { join } from 'node:path';
import { assertSameVersionApi } from '../graphql/tasks.ts';
import {
  type InferenceService,
  loadModelVersion,
  type ModelRegistry,
  type ModelRunner,
  type RegistryLoadOptions,
  readModelVersions,
  type VersionPolicy,
} from '../inference/index.ts';
import type { ServerLog } from '../server-log.ts';
import { folderFingerprint } from './folder-fingerprint.ts';

export interface ModelControlParts {
  modelsDir: string;
  /** Its registry is the live one the server serves from. */
  inference: InferenceService;
  loadOptions: RegistryLoadOptions;
  /** Tells every GraphQL thread to serve the registry's new set; resolves once each has (and no request of it holds the old). */
  publish: () => Promise<void>;
  retireWaitMs: number;
  log: Pick<ServerLog, 'info' | 'error'>;
  /** Tests: wraps each newly loaded version (to count its runs at the model), as loadServices' wrapModels. */
  wrap?: (model: ModelRunner) => ModelRunner;
}

/** What a reload did, as the admin endpoint answers it. */
export interface ReloadResult {
  model: string;
  /** Versions loaded now (new, or whose files changed), with load + warm-up time each. */
  loaded: { version: number; loadMs: number }[];
  /** Versions served before and after, unchanged. */
  kept: number[];
  /** Versions no longer served (or replaced by a new load of their number). */
  retired: number[];
  served: number[];
  defaultVersion: number;
  /** Giving the loaded versions their executors: the auto executor's probe runs, a worker's start. */
  startMs: number;
  /** From the publish to every GraphQL thread serving the new set. */
  swapMs: number;
  /** Until the retired versions finished their work and were released. */
  retireMs: number;
}

/** A reload that was refused: what served keeps serving. `status` is the admin endpoint's. */
export class ReloadError extends Error {
  readonly status: number;
  constructor(message: string, status = 422) {
    super(message);
    this.name = 'ReloadError';
    this.status = status;
  }
}

export class ModelControl {
  readonly #parts: ModelControlParts;
  /** Each served load's folder fingerprint when it was loaded, by loadId. */
  readonly #fingerprints = new Map<number, string>();
  readonly #policies = new Map<string, VersionPolicy>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(parts: ModelControlParts) {
    this.#parts = parts;
  }

  /** Reads what the served versions' folders hold now, to tell later changes apart. */
  static async start(parts: ModelControlParts): Promise<ModelControl> {
    const control = new ModelControl(parts);
    for (const name of control.#registry.names) {
      const versions = await readModelVersions(control.#folder(name));
      control.#policies.set(name, versions.policy);
      for (const v of versions.served) {
        const model = control.#registry.get(name, v.version);
        if (model) control.#fingerprints.set(model.loadId, await folderFingerprint(v.folder));
      }
    }
    return control;
  }

  get #registry(): ModelRegistry {
    return this.#parts.inference.registry;
  }

  /** Reloads `name` from its folder (queued behind a reload under way); rejects with a ReloadError when refused. */
  reload(name: string): Promise<ReloadResult> {
    const next = this.#queue.then(() => this.#reload(name));
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * What the folder of `name` holds now (`observation`, to compare two polls), and how it differs
   * from what is served (`change`, undefined when it does not). The poller asks.
   */
  async observe(name: string): Promise<{ observation: string; change: string | undefined }> {
    const versions = await readModelVersions(this.#folder(name));
    const prints = await Promise.all(versions.served.map((v) => folderFingerprint(v.folder)));
    const observation = JSON.stringify([versions.defaultVersion, versions.served.map((v, i) => [v.version, prints[i]])]);
    const served = this.#registry.versions(name);
    const wanted = versions.served.map((v) => v.version);
    let change: string | undefined;
    if (wanted.join() !== served.join()) change = `versions ${served.join(', ')} → ${wanted.join(', ')}`;
    else if (versions.defaultVersion !== this.#registry.get(name)?.version) change = `default version → ${versions.defaultVersion}`;
    else {
      const stale = versions.served.find((v, i) => prints[i] !== this.#fingerprints.get(this.#registry.get(name, v.version)!.loadId));
      if (stale) change = `version ${stale.version}'s files changed`;
    }
    return { observation, change };
  }

  /** Every model, its versions and policy, as the admin endpoint lists them. */
  index(): {
    name: string;
    task: string;
    policy: VersionPolicy | undefined;
    defaultVersion: number;
    versions: { version: number; label: string; loadId: number }[];
  }[] {
    return this.#registry.names.map((name) => {
      const served = this.#registry.versions(name).map((v) => this.#registry.get(name, v)!);
      return {
        name,
        task: served[0]!.manifest.task,
        policy: this.#policies.get(name),
        defaultVersion: this.#registry.get(name)!.version,
        versions: served.map((m) => ({ version: m.version, label: m.manifest.version, loadId: m.loadId })),
      };
    });
  }

  /** Stops taking reloads; resolves once the one under way (if any) is done. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
  }

  #folder(name: string): string {
    return join(this.#parts.modelsDir, name);
  }

  async #reload(name: string): Promise<ReloadResult> {
    const { inference, log } = this.#parts;
    if (this.#closed) throw new ReloadError('the server is shutting down', 503);
    const registry = this.#registry;
    const serving = registry.get(name);
    if (!serving) {
      throw new ReloadError(
        `no model named "${name}" is served (served: ${registry.names.join(', ')}); a new model changes the GraphQL schema: restart to add it`,
        404,
      );
    }
    const loaded: ModelRunner[] = [];
    const timings: { version: number; loadMs: number }[] = [];
    const kept: ModelRunner[] = [];
    let defaultVersion: number;
    try {
      const versions = await readModelVersions(this.#folder(name));
      defaultVersion = versions.defaultVersion;
      for (const v of versions.served) {
        const current = registry.get(name, v.version);
        const fingerprint = await folderFingerprint(v.folder);
        if (current && this.#fingerprints.get(current.loadId) === fingerprint) {
          kept.push(current);
          continue;
        }
        const started = performance.now();
        const model = await loadModelVersion(this.#folder(name), v, this.#parts.loadOptions);
        loaded.push(model);
        timings.push({ version: v.version, loadMs: round(performance.now() - started) });
        // Against the version serving now: the schema every GraphQL thread runs was built from its API.
        assertSameVersionApi(serving, model);
        this.#fingerprints.set(model.loadId, fingerprint);
      }
      this.#policies.set(name, versions.policy);
    } catch (error) {
      await Promise.all(loaded.map((m) => m.release?.()));
      for (const m of loaded) this.#fingerprints.delete(m.loadId);
      inference.recordLoad(name, 'failed');
      const message = `${name}: the reload was refused, what served keeps serving: ${(error as Error).message}`;
      log.error(message);
      throw new ReloadError(message);
    }
    const fresh = loaded.map((m) => this.#parts.wrap?.(m) ?? m);
    const startStarted = performance.now();
    await inference.addVersions(fresh);
    const startMs = round(performance.now() - startStarted);
    const next = [...kept, ...fresh];
    const retired = registry.all().filter((m) => m.manifest.name === name && !kept.includes(m));
    const defaults = registry.defaults();
    defaults.set(name, defaultVersion);
    const swapStarted = performance.now();
    const previous = registry.publish([...registry.all().filter((m) => m.manifest.name !== name), ...next], defaults);
    await this.#parts.publish();
    const swapMs = round(performance.now() - swapStarted);
    const retireStarted = performance.now();
    if (!(await previous.released(this.#parts.retireWaitMs)))
      log.error(`${name}: requests still held the previous versions after ${this.#parts.retireWaitMs} ms; retiring them anyway`);
    await Promise.all(retired.map((m) => inference.retire(m)));
    for (const m of retired) this.#fingerprints.delete(m.loadId);
    const retireMs = round(performance.now() - retireStarted);
    for (const t of timings) inference.recordLoad(name, 'loaded', t.loadMs / 1000);
    const result: ReloadResult = {
      model: name,
      loaded: timings,
      kept: kept.map((m) => m.version),
      retired: retired.map((m) => m.version),
      served: registry.versions(name),
      defaultVersion,
      startMs,
      swapMs,
      retireMs,
    };
    log.info(
      `${name}: reloaded: serving ${result.served.join(', ')} (default ${defaultVersion}); loaded ${
        timings.map((t) => `${t.version} in ${t.loadMs} ms`).join(', ') || 'none'
      }; retired ${result.retired.join(', ') || 'none'}; executors ${startMs} ms, swap ${swapMs} ms, retire ${retireMs} ms`,
    );
    return result;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
