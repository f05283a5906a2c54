/**
 * How the served models may change while the server runs (Triton's --model-control-mode):
 * `none` (the default) loads them once at start; `poll` watches the models folder and reloads a
 * model whose version folders or files changed; `explicit` reloads a model when an operator asks
 * through the admin endpoint (admin-server.ts). `poll` and `explicit` both serve the admin
 * endpoint, on loopback only.
 */
export const modelControlModes = ['none', 'poll', 'explicit'] as const;
export type ModelControlMode = (typeof modelControlModes)[number];

export interface ModelControlOptions {
  mode: ModelControlMode;
  /** `poll`: how often the folder is compared with what is served. */
  pollIntervalMs: number;
  /** The admin endpoint's port on 127.0.0.1 (0: any free port, said in the start-up log). */
  adminPort: number;
  /**
   * How long a retired version waits for the requests that still hold it (they started before the
   * swap) before its session is released anyway.
   */
  retireWaitMs: number;
}

export const defaultModelControlOptions: ModelControlOptions = {
  mode: 'none',
  /** 5 s: a retrained model is served within seconds, and a poll (a stat per file) costs microseconds. */
  pollIntervalMs: 5000,
  /** Beside the default API port 4000; Triton uses 8000-8002. */
  adminPort: 4001,
  retireWaitMs: 30_000,
};
