/**
 * onnxruntime session settings. The defaults were chosen by measurement on the 2-core target
 * machine (docs/benchmarks.md; `npm run bench:session`): alone, two intra-op threads run the
 * GBDT's large batches 1.5x faster and change nothing for the MLP; but under load the second
 * thread takes the core the JS thread needs, and the server answered ~30 % fewer requests with
 * twice the event-loop delay. Graph optimization `all` is never slower than `basic`.
 */
import type { InferenceSession } from 'onnxruntime-node';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export type ExecutionProviderName = 'cpu' | 'cuda';

export interface SessionSettings {
  intraOpThreads: number;
  interOpThreads: number;
  graphOptimization: GraphOptimizationLevel;
  /** In order of preference; the first one that loads is used. */
  executionProviders: readonly ExecutionProviderName[];
}

export const defaultSessionSettings: SessionSettings = {
  intraOpThreads: 1,
  interOpThreads: 1,
  graphOptimization: 'all',
  executionProviders: ['cpu'],
};

export function toOrtSessionOptions(
  settings: SessionSettings,
  providers: readonly ExecutionProviderName[],
): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: settings.intraOpThreads,
    interOpNumThreads: settings.interOpThreads,
    graphOptimizationLevel: settings.graphOptimization,
    executionMode: 'sequential',
    executionProviders: [...providers],
    // The warm-up run settles the arena; per-run allocations then come from it.
    enableCpuMemArena: true,
  };
}
