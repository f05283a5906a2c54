/**
 * Where the server is in its life: `starting` while models load (listening already, so
 * `/health` answers), `serving`, then `draining` from SIGTERM until exit. `/ready` and
 * `Model.ready` read it.
 */
export type LifecycleState = 'starting' | 'serving' | 'draining';

export class ServerLifecycle {
  #state: LifecycleState;

  constructor(state: LifecycleState = 'serving') {
    this.#state = state;
  }

  get state(): LifecycleState {
    return this.#state;
  }

  get draining(): boolean {
    return this.#state === 'draining';
  }

  /** Models are loaded and warmed: take traffic (unless already draining). */
  serve(): void {
    if (this.#state === 'starting') this.#state = 'serving';
  }

  /** Shutting down: no longer ready; stays so. */
  drain(): void {
    this.#state = 'draining';
  }
}
