/**
 * `PREDICTQL_MODEL_CONTROL=poll`: every pollIntervalMs, each model's folder is compared with what
 * is served; a model whose versions, default or files changed is reloaded, once two polls in a
 * row saw the folder the same (a model still being copied in is not loaded half-written). A
 * reload that was refused is not tried again until the folder changes again: a broken version is
 * one log line and one failed load, not one per poll. A new model folder is not loaded (it changes
 * the GraphQL schema: a restart adds it); it is said once.
 */
import { readdir } from 'node:fs/promises';
import type { ServerLog } from '../server-log.ts';
import type { ModelControl } from './model-control.ts';

export class ModelPoller {
  readonly #control: ModelControl;
  readonly #modelsDir: string;
  readonly #names: readonly string[];
  readonly #intervalMs: number;
  readonly #log: Pick<ServerLog, 'info' | 'error'>;
  /** Per model: the last poll's observation, and the observation a refused reload was made from. */
  readonly #seen = new Map<string, string>();
  readonly #refused = new Map<string, string>();
  readonly #unknownSaid = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;
  /** Polls completed (tests wait on it). */
  polls = 0;

  constructor(
    control: ModelControl,
    modelsDir: string,
    names: readonly string[],
    intervalMs: number,
    log: Pick<ServerLog, 'info' | 'error'>,
  ) {
    this.#control = control;
    this.#modelsDir = modelsDir;
    this.#names = names;
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  start(): void {
    this.#schedule();
  }

  /** No more polls; resolves once the one under way is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
  }

  // Private: the next poll once this one is done, so that polls never overlap with each other.
  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => {
        this.polls++;
        this.#polling = undefined;
        this.#schedule();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    await this.#sayNewFolders();
    for (const name of this.#names) {
      if (this.#stopped) return;
      let observed: Awaited<ReturnType<ModelControl['observe']>>;
      try {
        observed = await this.#control.observe(name);
      } catch (error) {
        // A folder in the middle of a change (a version folder without its manifest yet, a
        // versions.json half-written): the next poll looks again; said once per distinct problem.
        const problem = (error as Error).message;
        if (this.#refused.get(name) !== problem)
          this.#log.error(`${name}: its folder cannot be read as it is now (polling on): ${problem}`);
        this.#refused.set(name, problem);
        continue;
      }
      const stable = this.#seen.get(name) === observed.observation;
      this.#seen.set(name, observed.observation);
      if (!observed.change || !stable || this.#refused.get(name) === observed.observation) continue;
      this.#log.info(`${name}: ${observed.change}; reloading`);
      try {
        await this.#control.reload(name);
        this.#refused.delete(name);
      } catch {
        // ModelControl logged it and counted it; what served keeps serving.
        this.#refused.set(name, observed.observation);
      }
    }
  }

  async #sayNewFolders(): Promise<void> {
    const entries = await readdir(this.#modelsDir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
      if (this.#names.includes(entry.name) || this.#unknownSaid.has(entry.name)) continue;
      this.#unknownSaid.add(entry.name);
      this.#log.info(`${entry.name}: a new model folder; a new model changes the GraphQL schema, so it is loaded at the next start`);
    }
  }
}
